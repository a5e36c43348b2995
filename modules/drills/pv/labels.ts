/**
 * Labels of the drill PV (procès-verbal), French (default: the words the operators, the platform
 * owner and the auditors use) and English; the words every PV shares (evidence, REX, validation)
 * and the number formats come from modules/reports/pv/. The French terms that stay in the English
 * output (PV, PRA/PCA, DIMA, PDMA, REX, « Lu et approuvé ») are glossed once, in the English
 * glossary line under the title.
 */
import type { Lang, Text } from '../../../policies/types.ts';
import { PV_LABELS } from '../../reports/pv/labels.ts';

const LABELS = {
  ...PV_LABELS,
  title: { fr: 'PV d’exercice PRA/PCA', en: 'PRA/PCA drill PV' },
  glossary: {
    fr: '',
    en: 'PV: procès-verbal, the signed validation record · PRA/PCA: plan de reprise / de continuité d’activité (disaster recovery / business continuity) · DIMA: the monthly unavailability budget (disponibilité) · PDMA: perte de données maximale admissible (RPO) · REX: retour d’expérience (lessons learned) · « Lu et approuvé »: read and approved',
  },
  identification: { fr: 'Identification de l’exercice', en: 'Drill identification' },
  runId: { fr: 'Exercice', en: 'Drill' },
  kind: { fr: 'Type', en: 'Kind' },
  single: { fr: 'exercice unitaire', en: 'single fault' },
  campaign: { fr: 'campagne', en: 'campaign' },
  runTitle: { fr: 'Intitulé', en: 'Title' },
  scope: { fr: 'Périmètre', en: 'Scope' },
  workload: { fr: 'Charge d’écriture', en: 'Write workload' },
  perWriter: { fr: 'op/s par écrivain', en: 'ops/s per writer' },
  writers: { fr: 'écrivains', en: 'writers' },
  faultsInjected: { fr: 'pannes injectées', en: 'faults injected' },
  targets: { fr: 'Objectifs', en: 'Targets' },
  target: { fr: 'Objectif', en: 'Target' },
  rtoTarget: { fr: 'RTO (reprise des écritures par un site survivant)', en: 'RTO (writes back through a surviving site)' },
  lostTarget: { fr: 'PDMA/RPO : écritures acquittées perdues', en: 'PDMA/RPO: acknowledged writes lost' },
  dimaTarget: { fr: 'DIMA : budget d’indisponibilité mensuel', en: 'DIMA: monthly unavailability budget' },
  pass: { fr: 'RÉUSSI — objectifs atteints', en: 'PASS — targets met' },
  fail: { fr: 'ÉCHEC — objectifs non atteints', en: 'FAIL — targets not met' },
  summary: { fr: 'Synthèse par panne', en: 'Summary per fault' },
  fault: { fr: 'Panne', en: 'Fault' },
  spec: { fr: 'Spécification', en: 'Specification' },
  faultKind: { fr: 'Nature', en: 'Kind' },
  siteAimed: { fr: 'Site visé', en: 'Site aimed at' },
  siteHit: { fr: 'Site touché', en: 'Site hit' },
  hold: { fr: 'Maintien de la panne', en: 'Fault held for' },
  figures: { fr: 'Mesures', en: 'Figures' },
  rto: { fr: 'RTO', en: 'RTO' },
  failbackRto: { fr: 'RTO du retour (failback)', en: 'Failback RTO' },
  writeGap: { fr: 'Interruption des écritures', en: 'Write gap' },
  rpoExposure: { fr: 'Fenêtre d’exposition PDMA/RPO (sans standby synchrone)', en: 'PDMA/RPO exposure window (no synchronous standby)' },
  rpoExposureShort: { fr: 'Exposition RPO', en: 'RPO exposure' },
  lost: { fr: 'Écritures perdues', en: 'Writes lost' },
  dimaShare: { fr: 'Part du budget DIMA du mois', en: 'Share of the month’s DIMA budget' },
  dimaShareShort: { fr: 'Part DIMA', en: 'DIMA share' },
  dimaTotal: { fr: 'Budget DIMA consommé par l’exercice', en: 'DIMA budget used by the drill' },
  of: { fr: 'sur', en: 'of' },
  neverStopped: { fr: 'sans interruption', en: 'writes never stopped' },
  noReason: { fr: 'Tous les objectifs sont atteints.', en: 'Every target is met.' },
  timeline: { fr: 'Chronologie', en: 'Timeline' },
  event: { fr: 'Événement', en: 'Event' },
  sinceInjection: { fr: 't depuis l’injection (s)', en: 't since injection (s)' },
  noEvent: { fr: 'Aucun événement enregistré.', en: 'No event recorded.' },
  chart: { fr: 'Débit, latence et fenêtres de panne', en: 'Throughput, latency and fault windows' },
  chartNote: {
    fr: 'Le graphique (débit acquitté par seconde, latence, échecs, fenêtres de panne) figure dans la version HTML de ce PV (pv.html).',
    en: 'The chart (acknowledged throughput per second, latency, failures, fault windows) is in the HTML version of this PV (pv.html).',
  },
  chartCaption: {
    fr: 'Zones ombrées : fenêtre de chaque panne (injection → réparation). Traits verticaux : promotion d’un nouveau leader, première écriture acquittée après la panne. Barres rouges : opérations refusées ; orange : issue incertaine.',
    en: 'Shaded: each fault’s window (injection → healing). Vertical lines: promotion of a new leader, first acknowledged write after the fault. Red bars: refused operations; orange: unknown outcome.',
  },
  checker: { fr: 'Vérification du registre des écritures', en: 'Write ledger check' },
  acknowledged: { fr: 'Acquittées', en: 'Acknowledged' },
  failed: { fr: 'Refusées', en: 'Failed' },
  unknown: { fr: 'Issue incertaine', en: 'Unknown outcome' },
  unknownPresent: { fr: 'Incertaines finalement écrites', en: 'Unknown but written after all' },
  lostIds: { fr: 'Écritures acquittées absentes du leader final', en: 'Acknowledged writes missing from the final leader' },
  missingOnStandby: { fr: 'Écritures absentes du standby synchrone', en: 'Writes missing from the synchronous standby' },
  contentsBad: {
    fr: 'Documents acquittés relus après l’exercice (contenu dans le stockage objet) : absents ou altérés',
    en: 'Acknowledged documents read back after the drill (content in the object store): missing or altered',
  },
  contentsChecked: {
    fr: '{n} documents relus à travers les WAF, contenu comparé à l’empreinte SHA-256 écrite',
    en: '{n} documents read back through the WAFs, content compared with the SHA-256 written',
  },
  splitBrain: { fr: 'Indices de split-brain (deux leaders acceptant des écritures)', en: 'Split-brain evidence (two leaders taking writes)' },
  none: { fr: 'aucune', en: 'none' },
  more: { fr: '… et {n} de plus', en: '… and {n} more' },
  count: { fr: 'Nombre', en: 'Count' },
  logs: { fr: 'Extraits de journaux', en: 'Log excerpts' },
  source: { fr: 'Source', en: 'Source' },
  noLog: { fr: 'Aucun extrait.', en: 'No excerpt.' },
  signature: { fr: 'Signature', en: 'Signature' },
  roleOperator: { fr: 'Opérateur de l’exercice', en: 'Drill operator' },
  seconds: { fr: 'secondes depuis le début de l’exercice', en: 'seconds since the start of the drill' },
  opsPerSecond: { fr: 'écritures acquittées / s', en: 'acknowledged writes / s' },
  latency: { fr: 'latence (ms, échelle log)', en: 'latency (ms, log scale)' },
  failuresPerSecond: { fr: 'échecs / s', en: 'failures / s' },
  failedPerSecond: { fr: 'refusées / s', en: 'failed / s' },
  unknownPerSecond: { fr: 'incertaines / s', en: 'unknown / s' },
  p50: { fr: 'latence médiane', en: 'latency p50' },
  max: { fr: 'max', en: 'max' },
  faultWindow: { fr: 'fenêtre de panne', en: 'fault window' },
  markerPromoted: { fr: 'promotion', en: 'promoted' },
  markerFirstWrite: { fr: '1re écriture', en: '1st write' },
  noData: { fr: 'Aucune mesure', en: 'No data' },
} satisfies Record<string, Text>;

export type PvLabel = keyof typeof LABELS;

export function label(key: PvLabel, lang: Lang): string {
  return LABELS[key][lang];
}

/** Every kind of TimelineEventKind has a label (checked by pv.test.ts). */
const EVENTS: Record<string, Text> = {
  injected: { fr: 'injection de la panne', en: 'fault injected' },
  detected: { fr: 'panne détectée (première opération en échec ou lente)', en: 'fault detected (first failed or slow operation)' },
  'leader-lost': { fr: 'perte du leader', en: 'leader lost' },
  promoted: { fr: 'promotion d’un nouveau leader', en: 'new leader promoted' },
  'proxy-switched': { fr: 'bascule des proxys (HAProxy)', en: 'proxies switched (HAProxy)' },
  'first-write-after': { fr: 'première écriture acquittée après la panne', en: 'first acknowledged write after the fault' },
  'sync-standby-lost': { fr: 'perte du standby synchrone', en: 'synchronous standby lost' },
  healed: { fr: 'panne réparée', en: 'fault healed' },
  'sync-standby-back': { fr: 'standby synchrone rétabli', en: 'synchronous standby back' },
  'site-back': { fr: 'le site touché écrit de nouveau', en: 'the site hit writes again' },
  failback: { fr: 'retour au leader initial (failback)', en: 'failback to the first leader' },
  'failback-write-after': { fr: 'première écriture acquittée après le retour', en: 'first acknowledged write after the failback' },
};

/** `Défaillance 3 — ` before an excerpt's event (nothing for an excerpt without its fault). */
export function faultPrefix(fault: unknown, lang: Lang): string {
  return typeof fault === 'number' && Number.isInteger(fault) && fault > 0 ? `${lang === 'fr' ? 'Défaillance' : 'Fault'} ${fault} — ` : '';
}

export function eventLabel(kind: string, lang: Lang): string {
  return EVENTS[kind]?.[lang] ?? kind;
}

/** Every kind of FAULT_KINDS has a label (checked by pv.test.ts); unknown kinds print as themselves. */
const FAULTS: Record<string, Text> = {
  'site-loss': { fr: 'perte d’un site', en: 'site loss' },
  partition: { fr: 'partition réseau entre sites', en: 'network partition between sites' },
  'postmaster-crash': { fr: 'arrêt brutal de PostgreSQL (postmaster)', en: 'PostgreSQL crash (postmaster)' },
  'patroni-crash': { fr: 'arrêt brutal de Patroni', en: 'Patroni crash' },
  'etcd-loss': { fr: 'perte d’un membre etcd', en: 'etcd member loss' },
  'dc3-loss': { fr: 'perte du site arbitre (DC3)', en: 'arbiter site loss (DC3)' },
  'waf-loss': { fr: 'perte du WAF d’un site', en: 'loss of a site’s WAF' },
  'hsm-loss': { fr: 'perte du HSM d’un site', en: 'loss of a site’s HSM' },
  switchover: { fr: 'bascule planifiée (switchover)', en: 'planned switchover' },
};

export function faultLabel(kind: string, lang: Lang): string {
  return FAULTS[kind]?.[lang] ?? kind;
}

/** `… et 3 de plus` / `… and 3 more`. */
export function more(n: number, lang: Lang): string {
  return label('more', lang).replace('{n}', String(n));
}
