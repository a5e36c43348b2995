/** The rule registry: every rule set, in report order. Ids are stable; never reuse one. */
import { CONTINUITY_RULES } from './rules/continuity.ts';
import { CRYPTO_RULES } from './rules/crypto.ts';
import { ENVIRONMENT_RULES } from './rules/environments.ts';
import { GOVERNANCE_RULES } from './rules/governance.ts';
import { HOSTING_RULES } from './rules/hosting.ts';
import { NETWORK_RULES } from './rules/network.ts';
import { STORAGE_RULES } from './rules/storage.ts';
import { SUPERVISION_RULES } from './rules/supervision.ts';
import { WORKLOAD_RULES } from './rules/workloads.ts';
import type { Rule, RuleSetId, Text } from './types.ts';

/** The cartography of algorithms in use, attached by the engine to every result (policies/engine.ts imports no rule file). */
export { cryptoInventory } from './rules/crypto.ts';

export const RULES: readonly Rule[] = [
  ...HOSTING_RULES,
  ...CONTINUITY_RULES,
  ...NETWORK_RULES,
  ...CRYPTO_RULES,
  ...STORAGE_RULES,
  ...ENVIRONMENT_RULES,
  ...SUPERVISION_RULES,
  ...WORKLOAD_RULES,
  ...GOVERNANCE_RULES,
];

export const RULE_SET_TITLES: Record<RuleSetId, Text> = {
  hosting: { fr: 'Hébergement et souveraineté', en: 'Hosting and sovereignty' },
  continuity: { fr: 'Continuité (PCA/PRA)', en: 'Continuity (BCP/DRP)' },
  network: { fr: 'Réseau', en: 'Network' },
  crypto: { fr: 'Cryptographie', en: 'Cryptography' },
  environments: { fr: 'Environnements', en: 'Environments' },
  supervision: { fr: 'Supervision', en: 'Supervision' },
  workloads: { fr: 'Charges applicatives (OpenShift)', en: 'Application workloads (OpenShift)' },
  governance: { fr: 'Gouvernance', en: 'Governance' },
};
