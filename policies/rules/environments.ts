/**
 * Environments: the CCTP's SLO per class, 30 editor slots in certification, no production data
 * outside production unless pseudonymised, isolation between environments, pre-production scope,
 * and the catalogue of environments the CCTP names.
 */
import type { EnvironmentClass } from '../../modules/model/types.ts';
import { envDoc, isProduction, topo } from '../evidence/model.ts';
import { ofType, tfEvidence } from '../evidence/terraform.ts';
import { cctp, type Rule, secnum, t, type Violation } from '../types.ts';

/** The catalog's figures (EXG_DIS_2.1, 3.1, 4.1, 5.1): availability, window, maximum monthly downtime. */
const EXPECTED_SLO: Record<'production' | 'certification' | 'other', { requirement: string; pct: number; window: string; maxSeconds: number }> = {
  production: { requirement: 'EXG_DIS_2.1', pct: 99.9, window: '00:00-24:00 7/7', maxSeconds: 2592 },
  certification: { requirement: 'EXG_DIS_3.1', pct: 99.8, window: '04:00-22:00 7/7', maxSeconds: 3888 },
  other: { requirement: 'EXG_DIS_5.1', pct: 99.5, window: '08:00-20:00 working days', maxSeconds: 4320 },
};

const sloPerClass: Rule = {
  id: 'ENV-001',
  set: 'environments',
  severity: 'high',
  title: t('SLO de la classe d’environnement', 'SLO of the environment class'),
  description: t(
    'Topologie : disponibilité, plage de service et budget mensuel d’indisponibilité calculés pour la classe, comparés aux chiffres du catalogue (production 99,9 % 24/7 = 43 min 12 s ; certification 99,8 % 4 h-22 h 7/7 ; autres 99,5 % 8 h-20 h jours ouvrés = 1 h 12 min). Le CCTP arrondit la certification à 1 h ; le budget calculé (1 h 4 min 48 s) est accepté.',
    'Topology: availability, service window and monthly downtime budget computed for the class, compared with the catalog’s figures (production 99.9% 24/7 = 43 min 12 s; certification 99.8% 04-22h 7/7; others 99.5% 08-20h working days = 1 h 12 min). The CCTP rounds certification to 1 h; the computed budget (1 h 4 min 48 s) is accepted.',
  ),
  remediation: t('Corriger la classe de l’environnement ou modules/model/slo.ts.', 'Fix the environment’s class or modules/model/slo.ts.'),
  requirements: cctp('EXG_DIS_2.1', 'EXG_DIS_3.1', 'EXG_DIS_4.1', 'EXG_DIS_5.1'),
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const cls = tp.environment.class;
    const want = cls === 'production' ? EXPECTED_SLO.production : cls === 'certification' ? EXPECTED_SLO.certification : EXPECTED_SLO.other;
    const s = tp.slo;
    const out: Violation[] = [];
    if (s.availabilityPct !== want.pct || s.windowLabel !== want.window || s.monthlyBudgetSeconds > want.maxSeconds) {
      out.push({
        subject: cls,
        message: t(
          `SLO ${s.availabilityPct} % ${s.windowLabel} (${s.monthlyBudget}) au lieu de ${want.pct} % ${want.window} (${want.requirement}).`,
          `SLO ${s.availabilityPct}% ${s.windowLabel} (${s.monthlyBudget}) instead of ${want.pct}% ${want.window} (${want.requirement}).`,
        ),
        evidence: [topo(tp, ['slo'], { availabilityPct: s.availabilityPct, window: s.windowLabel, monthlyBudgetSeconds: s.monthlyBudgetSeconds })],
      });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production 99.9 % 24/7', mutate: () => {} },
    fail: {
      description: 'production computed at 99.5 %',
      mutate: (i) => {
        i.topology!.slo.availabilityPct = 99.5;
      },
    },
  },
};

const editorSlots: Rule = {
  id: 'ENV-002',
  set: 'environments',
  severity: 'high',
  title: t('30 éditeurs simultanés en certification', '30 concurrent editors in certification'),
  description: t('Topologie : editorSlots de l’environnement de certification ≥ 30.', 'Topology: editorSlots of the certification environment ≥ 30.'),
  remediation: t('Déclarer editorSlots: 30 (ou plus) et dimensionner en conséquence.', 'Declare editorSlots: 30 (or more) and size accordingly.'),
  requirements: cctp('EXG_ENV_10', 'EXG_ENV_2'),
  needs: ['topology'],
  appliesTo: (i) => i.topology?.environment.class === 'certification',
  check: (input) => {
    const n = input.topology!.environment.editorSlots ?? 0;
    return n >= 30
      ? []
      : [
          {
            subject: 'editorSlots',
            message: t(`${n} créneaux éditeurs (30 attendus).`, `${n} editor slots (30 expected).`),
            evidence: [envDoc(input, ['editorSlots'], n)],
          },
        ];
  },
  fixtures: {
    pass: {
      description: 'certification with 30 slots',
      mutate: (i) => {
        i.topology!.environment.class = 'certification';
        i.topology!.environment.editorSlots = 30;
      },
    },
    fail: {
      description: 'certification with 20 slots',
      mutate: (i) => {
        i.topology!.environment.class = 'certification';
        i.topology!.environment.editorSlots = 20;
      },
    },
  },
};

const FICTITIOUS_ONLY: EnvironmentClass[] = ['demo', 'formation', 'dev'];

const noProductionData: Rule = {
  id: 'ENV-003',
  set: 'environments',
  severity: 'critical',
  title: t('Pas de données de production hors production sans pseudonymisation', 'No production data outside production unless pseudonymised'),
  description: t(
    'Modèle : dataSource d’un environnement hors production ≠ production ; démo, formation et dev en données synthétiques (fictives). Terraform : le stockage PBS d’un environnement hors production n’est ni le datastore ni l’espace de noms de la production (pas de restauration croisée).',
    'Model: dataSource of a non-production environment ≠ production; demo, training and dev on synthetic (fictitious) data. Terraform: a non-production PBS storage is neither production’s datastore nor namespace (no cross restore).',
  ),
  remediation: t(
    'Alimenter la hors-production par hdsctl dataset ou une copie pseudonymisée.',
    'Feed non-production with hdsctl dataset or a pseudonymised copy.',
  ),
  requirements: [...cctp('EXG_ENV_6', 'EXG_ENV_2', 'EXG_PSE_4', 'CAIH-4.2-1'), ...secnum('12')],
  needs: ['topology'],
  appliesTo: (i) => !isProduction(i),
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const src = tp.environment.dataSource;
    if (src === 'production')
      out.push({
        subject: 'dataSource',
        message: t('Environnement hors production alimenté en données de production.', 'Non-production environment fed with production data.'),
        evidence: [envDoc(input, ['dataSource'], src)],
      });
    else if (FICTITIOUS_ONLY.includes(tp.environment.class) && src !== 'synthetic')
      out.push({
        subject: 'dataSource',
        message: t(`${tp.environment.class} doit utiliser des données fictives.`, `${tp.environment.class} must use fictitious data.`),
        evidence: [envDoc(input, ['dataSource'], src)],
      });
    if (input.terraform) {
      for (const s of ofType(input.terraform, 'proxmox_storage_pbs')) {
        if (s.body.datastore === 'production' || s.body.namespace === 'production')
          out.push({
            subject: s.stack,
            message: t(`${s.stack} lit les sauvegardes de production.`, `${s.stack} reads production backups.`),
            evidence: [tfEvidence(s, ['datastore'], s.body.datastore)],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: {
      description: 'recette-like environment on synthetic data, its own PBS datastore',
      mutate: (i) => {
        i.topology!.environment.class = 'recette';
        i.topology!.environment.dataSource = 'synthetic';
        for (const s of ofType(i.terraform!, 'proxmox_storage_pbs')) Object.assign(s.body, { datastore: 'recette', namespace: 'recette' });
      },
    },
    fail: {
      description: 'recette fed with production data',
      mutate: (i) => {
        i.topology!.environment.class = 'recette';
        i.topology!.environment.dataSource = 'production';
      },
    },
  },
};

const isolatedEnvironments: Rule = {
  id: 'ENV-004',
  set: 'environments',
  severity: 'high',
  title: t('Environnements isolés les uns des autres', 'Environments isolated from each other'),
  description: t(
    'Topologie : le bloc d’adresses de l’environnement ne chevauche celui d’aucun autre environnement de la plateforme. Terraform : ses VM sont dans son propre pool.',
    'Topology: the environment’s address block overlaps no other environment’s on the platform. Terraform: its VMs are in its own pool.',
  ),
  remediation: t('Donner un slot d’adresses libre (hdsctl env new le choisit).', 'Use a free address slot (hdsctl env new picks one).'),
  requirements: [...cctp('EXG_ENV_13', 'CAIH-4.2-1', 'EXG_ENV_3', 'EXG_ENV_4', 'MD23-2.1.3-1'), ...secnum('13')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    for (const p of input.peers.filter((x) => x.environment.name !== tp.environment.name && x.environment.platform === tp.environment.platform)) {
      if (p.environment.addressBlock === tp.environment.addressBlock)
        out.push({
          subject: p.environment.name,
          message: t(
            `Même bloc d’adresses que ${p.environment.name} (${tp.environment.addressBlock}).`,
            `Same address block as ${p.environment.name} (${tp.environment.addressBlock}).`,
          ),
          evidence: [envDoc(input, ['network', 'slot'], tp.environment.slot)],
        });
    }
    if (input.terraform) {
      for (const vm of ofType(input.terraform, 'proxmox_virtual_environment_vm')) {
        const pools = ofType(input.terraform, 'proxmox_virtual_environment_pool').filter((p) => p.stack === vm.stack);
        if (!pools.some((p) => p.body.pool_id === tp.environment.name))
          out.push({
            subject: String(vm.body.name),
            message: t(`VM ${vm.body.name} hors du pool ${tp.environment.name}.`, `VM ${vm.body.name} outside pool ${tp.environment.name}.`),
            evidence: [tfEvidence(vm, ['pool_id'], vm.body.pool_id)],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'distinct blocks', mutate: () => {} },
    fail: {
      description: 'a peer on production’s address block',
      mutate: (i) => {
        i.peers.find((p) => p.environment.name !== i.target)!.environment.addressBlock = i.topology!.environment.addressBlock;
      },
    },
  },
};

const preprodScope: Rule = {
  id: 'ENV-005',
  set: 'environments',
  severity: 'medium',
  title: t('La pré-production couvre le périmètre de production', 'Pre-production covers the production scope'),
  description: t(
    'Topologie : une pré-production a tous les types de service, tous les domaines PostgreSQL et tous les sites de la production de sa plateforme, dans la classe hors production.',
    'Topology: a pre-production has every service kind, every PostgreSQL domain and every site of its platform’s production, in the non-production class.',
  ),
  remediation: t('Ajouter à la pré-production les services et domaines manquants.', 'Add the missing services and domains to pre-production.'),
  requirements: cctp('EXG_DIS_4.3', 'EXG_ENV_2', 'DUI-K2-1'),
  needs: ['topology'],
  appliesTo: (i) => i.topology?.environment.class === 'preprod',
  check: (input) => {
    const tp = input.topology!;
    const prod = input.peers.find((p) => p.environment.class === 'production' && p.environment.platform === tp.environment.platform);
    if (!prod) return [];
    const missing = (a: Iterable<string>, b: Iterable<string>) => [...new Set(a)].filter((x) => !new Set(b).has(x));
    const kinds = missing(
      prod.services.map((s) => s.kind),
      tp.services.map((s) => s.kind),
    );
    const domains = missing(
      prod.guests.filter((g) => g.domain).map((g) => g.domain!),
      tp.guests.filter((g) => g.domain).map((g) => g.domain!),
    );
    const sites = missing(
      prod.sites.map((s) => s.id),
      tp.sites.map((s) => s.id),
    );
    const all = [...kinds, ...domains, ...sites];
    return all.length
      ? [
          {
            subject: 'scope',
            message: t(`Manque par rapport à la production : ${all.join(', ')}.`, `Missing compared with production: ${all.join(', ')}.`),
            evidence: [envDoc(input, ['services'])],
          },
        ]
      : [];
  },
  fixtures: {
    pass: {
      description: 'a pre-production with production’s scope',
      mutate: (i) => {
        const prod = structuredClone(i.topology!);
        i.peers.push(prod);
        i.topology!.environment.class = 'preprod';
      },
    },
    fail: {
      description: 'a pre-production without Kafka',
      mutate: (i) => {
        i.peers.push(structuredClone(i.topology!));
        i.topology!.environment.class = 'preprod';
        i.topology!.services = i.topology!.services.filter((s) => s.kind !== 'kafka');
      },
    },
  },
};

const CATALOGUE: Array<{ cls: EnvironmentClass; min: number; req: string }> = [
  { cls: 'production', min: 1, req: 'EXG_ENV_2' },
  { cls: 'preprod', min: 2, req: 'EXG_ENV_2' },
  { cls: 'certification', min: 1, req: 'EXG_ENV_2' },
  { cls: 'formation', min: 1, req: 'EXG_ENV_2' },
  { cls: 'demo', min: 1, req: 'EXG_ENV_2' },
  { cls: 'recette', min: 1, req: 'EXG_ENV_3' },
  { cls: 'integration', min: 1, req: 'EXG_ENV_4' },
  { cls: 'bench', min: 1, req: 'EXG_ENV_4' },
  { cls: 'dev', min: 1, req: 'EXG_ENV_4' },
];

const environmentCatalogue: Rule = {
  id: 'ENV-006',
  set: 'environments',
  severity: 'medium',
  title: t('Catalogue des environnements du CCTP', 'The CCTP’s catalogue of environments'),
  description: t(
    'Topologies de la plateforme (jugé sur la production) : production, deux pré-productions (N et N+1), certification éditeurs, formation, démo, recette, intégration, bench et développement existent.',
    'Topologies of the platform (judged on production): production, two pre-productions (N and N+1), editor certification, training, demo, recette, integration, bench and development exist.',
  ),
  remediation: t('Créer l’environnement manquant avec hdsctl env new.', 'Create the missing environment with hdsctl env new.'),
  requirements: cctp('EXG_ENV_1', 'EXG_ENV_2', 'EXG_ENV_3', 'EXG_ENV_4', 'DUI-K2-1', 'MD23-2.1.3-1'),
  needs: ['topology'],
  appliesTo: isProduction,
  check: (input) => {
    const tp = input.topology!;
    const all = [tp, ...input.peers.filter((p) => p.environment.name !== tp.environment.name && p.environment.platform === tp.environment.platform)];
    return CATALOGUE.flatMap(({ cls, min, req }) => {
      const n = all.filter((p) => p.environment.class === cls).length;
      return n >= min
        ? []
        : [
            {
              subject: cls,
              message: t(`${n} environnement(s) ${cls}, ${min} attendu(s) (${req}).`, `${n} ${cls} environment(s), ${min} expected (${req}).`),
              evidence: [{ file: 'environments/', pointer: '/', value: all.map((p) => p.environment.name) }],
            },
          ];
    });
  },
  fixtures: {
    pass: { description: 'the shipped environments', mutate: () => {} },
    fail: {
      description: 'bench removed',
      mutate: (i) => {
        i.peers = i.peers.filter((p) => p.environment.class !== 'bench');
      },
    },
  },
};

export const ENVIRONMENT_RULES: Rule[] = [sloPerClass, editorSlots, noProductionData, isolatedEnvironments, preprodScope, environmentCatalogue];
