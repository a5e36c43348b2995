/** Labels of the human-readable reports, French (default, the auditors' language) and English. */
import type { Lang, Text } from '../../policies/types.ts';

const LABELS = {
  title: { fr: 'Rapport de conformité HDS / SecNumCloud / ANSSI / CCTP', en: 'HDS / SecNumCloud / ANSSI / CCTP compliance report' },
  generated: { fr: 'Généré le', en: 'Generated on' },
  threshold: { fr: 'Seuil d’échec', en: 'Failure threshold' },
  verdict: { fr: 'Verdict', en: 'Verdict' },
  ok: { fr: 'CONFORME (aucun écart non dérogé au seuil)', en: 'PASS (no unwaived finding at the threshold)' },
  ko: { fr: 'NON CONFORME', en: 'FAIL' },
  summary: { fr: 'Synthèse', en: 'Summary' },
  byFramework: { fr: 'Par référentiel', en: 'By framework' },
  bySeverity: { fr: 'Par sévérité', en: 'By severity' },
  bySet: { fr: 'Par famille de règles', en: 'By rule set' },
  framework: { fr: 'Référentiel', en: 'Framework' },
  severity: { fr: 'Sévérité', en: 'Severity' },
  rules: { fr: 'Règles', en: 'Rules' },
  failed: { fr: 'En échec', en: 'Failed' },
  passed: { fr: 'Conformes', en: 'Passed' },
  waived: { fr: 'Dérogés', en: 'Waived' },
  findings: { fr: 'Écarts', en: 'Findings' },
  noFinding: { fr: 'Aucun écart.', en: 'No finding.' },
  target: { fr: 'Cible', en: 'Target' },
  rule: { fr: 'Règle', en: 'Rule' },
  subject: { fr: 'Objet', en: 'Subject' },
  message: { fr: 'Constat', en: 'Finding' },
  evidence: { fr: 'Preuve (fichier, pointeur JSON)', en: 'Evidence (file, JSON pointer)' },
  inspects: { fr: 'Ce que la règle inspecte', en: 'What the rule inspects' },
  remediation: { fr: 'Remédiation', en: 'Remediation' },
  requirements: { fr: 'Exigences', en: 'Requirements' },
  waivers: { fr: 'Dérogations', en: 'Waivers' },
  owner: { fr: 'Propriétaire', en: 'Owner' },
  expires: { fr: 'Expire le', en: 'Expires' },
  justification: { fr: 'Justification', en: 'Justification' },
  state: { fr: 'État', en: 'State' },
  coverage: { fr: 'Couverture des exigences (taux d’automatisation, EXG_ENV_17)', en: 'Requirement coverage (automation rate, EXG_ENV_17)' },
  requirement: { fr: 'Exigence', en: 'Requirement' },
  area: { fr: 'Domaine', en: 'Area' },
  coveredBy: { fr: 'Couverte par', en: 'Covered by' },
  notCovered: { fr: 'non couverte', en: 'not covered' },
  results: { fr: 'Résultats par règle', en: 'Results per rule' },
  status: { fr: 'Statut', en: 'Status' },
  inputs: { fr: 'Entrées jugées (SHA-256)', en: 'Inputs judged (SHA-256)' },
  inventory: { fr: 'Cartographie cryptographique et exposition post-quantique', en: 'Cryptographic inventory and post-quantum exposure' },
  component: { fr: 'Composant', en: 'Component' },
  usage: { fr: 'Usage', en: 'Usage' },
  algorithm: { fr: 'Algorithme', en: 'Algorithm' },
  exposure: { fr: 'Exposition', en: 'Exposure' },
  waiverErrors: { fr: 'Erreurs du fichier de dérogations', en: 'Waivers file errors' },
} satisfies Record<string, Text>;

export type Label = keyof typeof LABELS;

export function label(key: Label, lang: Lang): string {
  return LABELS[key][lang];
}

const STATUS: Record<string, Text> = {
  pass: { fr: 'conforme', en: 'pass' },
  fail: { fr: 'échec', en: 'fail' },
  waived: { fr: 'dérogé', en: 'waived' },
  skipped: { fr: 'non évaluée', en: 'skipped' },
  'not-applicable': { fr: 'sans objet', en: 'not applicable' },
  active: { fr: 'active', en: 'active' },
  expired: { fr: 'expirée', en: 'expired' },
  unused: { fr: 'inutilisée', en: 'unused' },
};

export function statusLabel(s: string, lang: Lang): string {
  return STATUS[s]?.[lang] ?? s;
}

const SEVERITY: Record<string, Text> = {
  critical: { fr: 'critique', en: 'critical' },
  high: { fr: 'haute', en: 'high' },
  medium: { fr: 'moyenne', en: 'medium' },
  low: { fr: 'basse', en: 'low' },
  info: { fr: 'info', en: 'info' },
};

export function severityLabel(s: string, lang: Lang): string {
  return SEVERITY[s]?.[lang] ?? s;
}

const EXPOSURE: Record<string, Text> = {
  shor: { fr: 'cassé par Shor (migrer, hybrider)', en: 'broken by Shor (migrate, hybridise)' },
  grover: { fr: 'affaibli par Grover (256 bits suffisent)', en: 'weakened by Grover (256 bits suffice)' },
  none: { fr: 'post-quantique', en: 'post-quantum' },
  unknown: { fr: 'non classé', en: 'not classified' },
};

export function exposureLabel(s: string, lang: Lang): string {
  return EXPOSURE[s]?.[lang] ?? s;
}
