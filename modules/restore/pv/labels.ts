/**
 * Labels of the restore-test PV (procès-verbal), French (default) and English, and the
 * requirement ids each part answers: EXG_PRA_3 (regular, random restore tests with traces and a
 * PV; restored data in a site secured like production), EXG_PRA_2 (backups with execution
 * evidence), EXG_DIS_4.2 (refresh to a given date) and EXG_EVO_36 (reference copies restored).
 * The words every PV shares (evidence, REX, validation...) and the number formats come from
 * modules/reports/pv/, as for the drill PV.
 */
import type { Lang, Text } from '../../../policies/types.ts';
import { num } from '../../reports/pv/format.ts';
import { PV_LABELS } from '../../reports/pv/labels.ts';
import type { FindingCode } from '../plan.ts';
import type { ChoiceMode, RestoreCheckId, RestorePhaseName } from '../types.ts';

/** The requirement ids the PV as a whole answers. */
export const PV_REQUIREMENTS = ['EXG_PRA_3', 'EXG_PRA_2', 'EXG_DIS_4.2', 'EXG_EVO_36'] as const;

const LABELS = {
  ...PV_LABELS,
  /** The shared words under this PV's names. */
  findings: PV_LABELS.reasons,
  start: PV_LABELS.startedAt,
  phaseDuration: PV_LABELS.duration,
  title: { fr: 'PV de test de restauration', en: 'Restore test PV' },
  glossary: {
    fr: '',
    en: 'PV: procès-verbal, the signed validation record · PITR: point-in-time recovery · WAL: PostgreSQL’s write-ahead log · REX: retour d’expérience (lessons learned) · « Lu et approuvé »: read and approved',
  },
  requirements: { fr: 'Exigences', en: 'Requirements' },
  pass: { fr: 'RÉUSSI — sauvegarde restaurée et vérifiée', en: 'PASS — backup restored and verified' },
  fail: { fr: 'ÉCHEC — restauration non prouvée', en: 'FAIL — restore not proven' },
  noFinding: {
    fr: 'Toutes les vérifications obligatoires ont réussi, la copie a été détruite.',
    en: 'Every required check passed; the copy was destroyed.',
  },
  identification: { fr: 'Identification du test', en: 'Test identification' },
  runId: { fr: 'Test', en: 'Test' },
  domain: { fr: 'Domaine (stanza pgBackRest)', en: 'Domain (pgBackRest stanza)' },
  duration: { fr: 'Durée totale', en: 'Total duration' },
  keyFigures: { fr: 'Chiffres clés', en: 'Key figures' },
  choice: { fr: 'Choix du jeu de sauvegarde et de l’instant', en: 'Choice of the backup set and time' },
  mode: { fr: 'Mode', en: 'Mode' },
  seed: { fr: 'Graine', en: 'Seed' },
  requestedAt: { fr: 'Instant demandé', en: 'Time asked for' },
  drawnTime: { fr: 'Instant tiré ou retenu', en: 'Time drawn or chosen' },
  mark: {
    fr: 'Repère de restauration (instant dont l’empreinte des tables de la source est connue : le dernier à cet instant ou avant)',
    en: 'Restore mark (an instant whose source table fingerprints are known: the latest at or before that time)',
  },
  targetTime: { fr: 'Instant cible (recovery_target_time, inclus)', en: 'Target time (recovery_target_time, inclusive)' },
  window: { fr: 'Fenêtre de restauration possible', en: 'Restore window' },
  candidates: { fr: 'Jeux candidats', en: 'Candidate sets' },
  backupSet: { fr: 'Jeu de sauvegarde', en: 'Backup set' },
  label: { fr: 'Étiquette', en: 'Label' },
  setType: { fr: 'Type', en: 'Type' },
  setStart: { fr: 'Début de la sauvegarde', en: 'Backup start' },
  setStop: { fr: 'Fin de la sauvegarde', en: 'Backup end' },
  prior: { fr: 'Jeu de référence', en: 'Prior set' },
  wal: { fr: 'WAL début / fin', en: 'WAL start / stop' },
  size: { fr: 'Taille de la base', en: 'Database size' },
  repoSize: { fr: 'Taille dans le dépôt', en: 'Size in the repository' },
  repo: { fr: 'Dépôt', en: 'Repository' },
  repo1: { fr: 'repo1 — dépôt chiffré du site de secours (DC3)', en: 'repo1 — encrypted repository in the backup site (DC3)' },
  repo2: { fr: 'repo2 — copie hors ligne', en: 'repo2 — offline copy' },
  pageErrors: { fr: 'Erreurs de pages signalées par pgBackRest', en: 'Page errors reported by pgBackRest' },
  yes: { fr: 'oui', en: 'yes' },
  no: { fr: 'non', en: 'no' },
  replay: { fr: 'Rejouer ce choix', en: 'Replay this choice' },
  replayRandom: {
    fr: 'Le tirage ne dépend que de la graine, de la liste des jeux de sauvegarde (pgbackrest info, en preuve) et de la fenêtre ci-dessus : rejoué sur les mêmes, il donne le même jeu et le même instant. Tirage k : les 8 premiers octets (gros-boutiste) de SHA-256(« hds-restore-test:v1:<graine>:<k> ») ; le jeu d’abord, uniformément, puis l’instant à la milliseconde entre la fin du jeu + 1 s et celle du jeu suivant (ou la fin de la fenêtre).',
    en: 'The draw depends only on the seed, the list of backup sets (pgbackrest info, in the evidence) and the window above: replayed on the same, it gives the same set and the same time. Draw k: the first 8 bytes (big-endian) of SHA-256("hds-restore-test:v1:<seed>:<k>"); the set first, uniformly, then the time to the millisecond between the set’s end + 1 s and the next set’s (or the window’s end).',
  },
  replayAt: {
    fr: 'Restaure le même jeu au même instant, tant que ce jeu est dans la rétention.',
    en: 'Restores the same set to the same time, while the set is still retained.',
  },
  isolation: { fr: 'Isolement du site de restauration', en: 'Isolation of the restore site' },
  isolationIntro: {
    fr: 'Les données restaurées sont protégées comme en production (EXG_PRA_3).',
    en: 'The restored data is protected as in production (EXG_PRA_3).',
  },
  netns: { fr: 'Espace de noms réseau', en: 'Network namespace' },
  route: { fr: 'Route vers l’extérieur', en: 'Route out' },
  routeNone: { fr: 'aucune', en: 'none' },
  tls: { fr: 'TLS obligatoire', en: 'TLS required' },
  encryptedAtRest: { fr: 'Chiffrement au repos', en: 'Encryption at rest' },
  access: { fr: 'Accès', en: 'Access' },
  phases: { fr: 'Déroulement', en: 'Phases' },
  phase: { fr: 'Phase', en: 'Phase' },
  total: { fr: 'Total', en: 'Total' },
  noPhase: { fr: 'Aucune phase enregistrée.', en: 'No phase recorded.' },
  rate: { fr: 'Débit de restauration', en: 'Restore rate' },
  rateText: { fr: '{rate} ({bytes} en {duration})', en: '{rate} ({bytes} in {duration})' },
  baseline: { fr: 'Rapport à une copie brute du répertoire de données', en: 'Ratio to a plain copy of the data directory' },
  baselineText: { fr: '{ratio} × ({rate} en copie brute)', en: '{ratio} × ({rate} plain copy)' },
  checks: { fr: 'Vérifications', en: 'Checks' },
  check: { fr: 'Vérification', en: 'Check' },
  evidenceFile: { fr: 'Preuve', en: 'Evidence' },
  noCheck: { fr: 'Aucune vérification enregistrée.', en: 'No check recorded.' },
  destruction: { fr: 'Destruction de la copie restaurée', en: 'Destruction of the restored copy' },
  destroyedAt: { fr: 'Détruite le', en: 'Destroyed at' },
  destroyedWhat: { fr: 'Éléments détruits', en: 'What was destroyed' },
  notDestroyed: {
    fr: 'AUCUNE DESTRUCTION ENREGISTRÉE : la copie restaurée doit être détruite et la destruction consignée.',
    en: 'NO DESTRUCTION RECORDED: the restored copy must be destroyed and its destruction recorded.',
  },
} satisfies Record<string, Text>;

export type PvLabel = keyof typeof LABELS;

export function label(key: PvLabel, lang: Lang): string {
  return LABELS[key][lang];
}

/** Every id of RESTORE_CHECK_IDS has a title (checked by pv.test.ts), with the requirements it proves. */
export const CHECKS: Record<RestoreCheckId, Text & { requirements: readonly string[] }> = {
  'physical.checksums': {
    fr: 'Intégrité physique : sommes de contrôle de toutes les pages (data checksums)',
    en: 'Physical integrity: checksums of every page (data checksums)',
    requirements: ['EXG_PRA_3', 'EXG_PRA_2'],
  },
  'physical.amcheck': {
    fr: 'Intégrité physique : pg_amcheck sur toutes les relations',
    en: 'Physical integrity: pg_amcheck over every relation',
    requirements: ['EXG_PRA_3', 'EXG_PRA_2'],
  },
  'logical.ledger-before': {
    fr: 'Intégrité logique : toute écriture acquittée avant l’instant cible est présente',
    en: 'Logical integrity: every write acknowledged before the target time is present',
    requirements: ['EXG_PRA_3', 'EXG_DIS_4.2'],
  },
  'logical.ledger-after': {
    fr: 'Intégrité logique : aucune écriture envoyée après l’instant cible n’est présente',
    en: 'Logical integrity: no write sent after the target time is present',
    requirements: ['EXG_PRA_3', 'EXG_DIS_4.2'],
  },
  'logical.table-hashes': {
    fr: 'Intégrité logique : nombre de lignes et empreinte de contenu de chaque table égaux à ceux de la source au même instant',
    en: 'Logical integrity: row count and content hash of every table equal to the source’s at the same instant',
    requirements: ['EXG_PRA_3', 'EXG_EVO_36'],
  },
  'service.document-read': {
    fr: 'Service : le service de référence relit un document depuis la copie restaurée',
    en: 'Service: the reference service reads a document back from the restored copy',
    requirements: ['EXG_PRA_3'],
  },
};

/** A check's title: the PV's label for a known id, the run's own title otherwise, else the id. */
export function checkTitle(id: string, title: Text | undefined, lang: Lang): string {
  return (CHECKS as Record<string, Text | undefined>)[id]?.[lang] ?? title?.[lang] ?? id;
}

export function checkRequirements(id: string): readonly string[] {
  return (CHECKS as Record<string, { requirements: readonly string[] } | undefined>)[id]?.requirements ?? ['EXG_PRA_3'];
}

/** Every phase of RESTORE_PHASES has a label (checked by pv.test.ts); others print as named. */
export const PHASES: Record<RestorePhaseName, Text> = {
  choose: { fr: 'choix du jeu de sauvegarde et de l’instant', en: 'choice of the backup set and time' },
  restore: { fr: 'restauration du jeu (pgBackRest)', en: 'restore of the set (pgBackRest)' },
  start: { fr: 'démarrage de PostgreSQL et rejeu des WAL jusqu’à l’instant cible', en: 'PostgreSQL start and WAL replay to the target time' },
  checks: { fr: 'vérifications de la copie', en: 'checks of the copy' },
  destroy: { fr: 'destruction de la copie', en: 'destruction of the copy' },
};

export function phaseLabel(name: string, lang: Lang): string {
  return (PHASES as Record<string, Text | undefined>)[name]?.[lang] ?? name;
}

export const MODES: Record<ChoiceMode, Text> = {
  at: { fr: 'instant donné (--at)', en: 'given time (--at)' },
  random: { fr: 'tirage aléatoire reproductible (--random --seed)', en: 'reproducible random draw (--random --seed)' },
  latest: { fr: 'dernier instant archivé', en: 'latest archived instant' },
};

export function modeLabel(mode: unknown, lang: Lang): string {
  return (MODES as Record<string, Text | undefined>)[String(mode)]?.[lang] ?? (mode ? String(mode) : '—');
}

const SKIPPED: Text = { fr: 'non exécuté', en: 'skipped' };

/** A check's verdict word (every PV's pass / fail words); anything but pass or skipped reads as a failure. */
export function checkVerdictLabel(v: string, lang: Lang): string {
  return v === 'skipped' ? SKIPPED[lang] : label(v === 'pass' ? 'passShort' : 'failShort', lang);
}

export const FINDINGS: Record<FindingCode, Text> = {
  'check-failed': { fr: 'la vérification « {check} » a échoué', en: 'the check “{check}” failed' },
  'check-missing': { fr: 'la vérification obligatoire « {check} » manque', en: 'the required check “{check}” is missing' },
  'check-skipped': { fr: 'la vérification obligatoire « {check} » n’a pas été exécutée', en: 'the required check “{check}” was skipped' },
  'not-destroyed': { fr: 'la destruction de la copie restaurée n’est pas enregistrée', en: 'the destruction of the restored copy is not recorded' },
  'not-isolated': {
    fr: 'le site de restauration n’est pas isolé comme la production (aucune route, TLS, chiffrement au repos, accès restreint)',
    en: 'the restore site is not isolated like production (no route, TLS, encryption at rest, restricted access)',
  },
  'recorded-fail': {
    fr: 'l’exécution a enregistré un échec (voir le déroulement et les preuves)',
    en: 'the run recorded a failure (see the phases and the evidence)',
  },
};

const OPERATOR_ROLE: Text = { fr: 'Opérateur du test', en: 'Test operator' };

/** The signatories' roles: the test's operator, then the platform owner and the auditor as in every PV. */
export function roleLabel(role: 'operator' | 'owner' | 'auditor', lang: Lang): string {
  return role === 'operator' ? OPERATOR_ROLE[lang] : label(role === 'owner' ? 'roleOwner' : 'roleAuditor', lang);
}

const UNITS: Record<Lang, string[]> = { fr: ['o', 'Kio', 'Mio', 'Gio', 'Tio', 'Pio'], en: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] };

/** Bytes in binary units with one decimal: `25,7 Mio` / `25.7 MiB`; '—' for anything but a finite number ≥ 0. */
export function bytes(n: unknown, lang: Lang): string {
  const v = Number(n);
  if (typeof n !== 'number' || !Number.isFinite(v) || v < 0) return '—';
  let i = 0;
  let x = v;
  while (x >= 1024 && i < UNITS[lang].length - 1) {
    x /= 1024;
    i++;
  }
  return `${num(x, i === 0 ? 0 : 1, lang)} ${UNITS[lang][i]}`;
}

/** Bytes per second: `112,4 Mio/s`. */
export function byteRate(n: unknown, lang: Lang): string {
  const b = bytes(n, lang);
  return b === '—' ? b : `${b}/s`;
}
