/**
 * The words every PV (procès-verbal: the drill PV, modules/drills/pv/, and the restore-test PV,
 * modules/restore/pv/) shares, French (default) and English: the run's identification, the
 * verdict, the evidence table, the REX and the validation block. One wording for every PV, so an
 * auditor signs the same block whatever was tested. Each PV adds its own labels to these.
 */
import type { Lang, Text } from '../../../policies/types.ts';

export const PV_LABELS = {
  environment: { fr: 'Environnement', en: 'Environment' },
  startedAt: { fr: 'Début', en: 'Start' },
  endedAt: { fr: 'Fin', en: 'End' },
  duration: { fr: 'Durée', en: 'Duration' },
  operator: { fr: 'Opérateur', en: 'Operator' },
  verdict: { fr: 'Verdict', en: 'Verdict' },
  overall: { fr: 'Verdict global', en: 'Overall verdict' },
  passShort: { fr: 'réussi', en: 'pass' },
  failShort: { fr: 'échec', en: 'fail' },
  reasons: { fr: 'Motifs', en: 'Reasons' },
  detail: { fr: 'Détail', en: 'Detail' },
  evidence: { fr: 'Preuves', en: 'Evidence' },
  file: { fr: 'Fichier', en: 'File' },
  content: { fr: 'Contenu', en: 'Content' },
  bytes: { fr: 'Octets', en: 'Bytes' },
  noEvidence: { fr: 'Aucun fichier de preuve.', en: 'No evidence file.' },
  rex: { fr: 'Retour d’expérience (REX)', en: 'Lessons learned (REX)' },
  rexTodo: {
    fr: 'À compléter : constats, causes, actions correctives, responsables, échéances.',
    en: 'To complete: findings, causes, corrective actions, owners, due dates.',
  },
  validation: { fr: 'Validation', en: 'Validation' },
  decision: { fr: 'Décision', en: 'Decision' },
  validated: { fr: 'validé', en: 'validated' },
  validatedWithReserves: { fr: 'validé avec réserves', en: 'validated with reservations' },
  notValidated: { fr: 'non validé', en: 'not validated' },
  reserves: { fr: 'Réserves', en: 'Reservations' },
  role: { fr: 'Rôle', en: 'Role' },
  name: { fr: 'Nom', en: 'Name' },
  position: { fr: 'Fonction', en: 'Position' },
  date: { fr: 'Date', en: 'Date' },
  readApproved: { fr: 'Mention « Lu et approuvé », signature', en: '« Lu et approuvé », signature' },
  roleOwner: { fr: 'Responsable de plateforme', en: 'Platform owner' },
  roleAuditor: { fr: 'Auditeur / RSSI', en: 'Auditor / CISO (RSSI)' },
  renderedFrom: { fr: 'Rendu depuis pv.json (source de vérité), SHA-256', en: 'Rendered from pv.json (source of truth), SHA-256' },
} satisfies Record<string, Text>;

export type PvLabel = keyof typeof PV_LABELS;

export function pvLabel(key: PvLabel, lang: Lang): string {
  return PV_LABELS[key][lang];
}

/** The decision boxes of the validation block, in print order. */
export const PV_DECISIONS = ['validated', 'validatedWithReserves', 'notValidated'] as const;

export type PvDecision = (typeof PV_DECISIONS)[number];
