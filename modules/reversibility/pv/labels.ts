/**
 * Labels of the reversibility documents, French (default) and English: the dry-run report (rapport
 * de tir à blanc: EXG_REV_9, EXG_REV_11, and EXG_REV_1 for the source's service during the export)
 * and the destruction certificate (EXG_REV_7, EXG_REV_18, DUI-C3d-7). The words every PV shares
 * (evidence, REX, validation...) and the number formats come from modules/reports/pv/; sizes and
 * durations are written as in the restore-test PV.
 */
import type { Lang, Text } from '../../../policies/types.ts';
import { PV_LABELS } from '../../reports/pv/labels.ts';
import type { SignatureFailure } from './signature.ts';
import type { DestroyedKind, DestructionFindingCode, DifferenceKind, DryRunFindingCode, DryRunPhaseName, ExportSection, ReversibilityRole } from './types.ts';

/** The requirement ids the dry-run report answers. */
export const DRY_RUN_REQUIREMENTS = ['EXG_REV_9', 'EXG_REV_11', 'EXG_REV_1', 'EXG_REV_14', 'EXG_REV_19'] as const;

/** The requirement ids the destruction certificate answers. */
export const DESTRUCTION_REQUIREMENTS = ['EXG_REV_7', 'EXG_REV_18', 'DUI-C3d-7'] as const;

/** The export rate the issue sets against pg_dump of the same databases in the same run. */
export const RATE_GOAL = 0.8;

/** EXG_REV_18: decommissioning at most two months after the taker's operational takeover. */
export const DECOMMISSION_MONTHS = 2;

const LABELS = {
  ...PV_LABELS,
  findings: PV_LABELS.reasons,
  start: PV_LABELS.startedAt,
  phaseDuration: PV_LABELS.duration,
  requirements: { fr: 'Exigences', en: 'Requirements' },
  identification: { fr: 'Identification', en: 'Identification' },
  keyFigures: { fr: 'Chiffres clés', en: 'Key figures' },
  totalDuration: { fr: 'Durée totale', en: 'Total duration' },
  yes: { fr: 'oui', en: 'yes' },
  no: { fr: 'non', en: 'no' },
  site: { fr: 'Site', en: 'Site' },
  result: { fr: 'Résultat', en: 'Result' },
  passed: { fr: 'réussi', en: 'passed' },
  failed: { fr: 'échec', en: 'failed' },
  skipped: { fr: 'non exécuté', en: 'skipped' },
  what: { fr: 'Élément', en: 'What' },
  why: { fr: 'Motif', en: 'Why' },
  total: { fr: 'Total', en: 'Total' },

  // The dry run
  dryRunTitle: { fr: 'Rapport de tir à blanc de réversibilité', en: 'Reversibility dry-run report' },
  dryRunGlossary: {
    fr: '',
    en: 'Tir à blanc: dry run (the export rebuilt by a taker’s bootstrap into an isolated copy, then torn down) · repreneur: the taker of the service · PV: procès-verbal, the signed validation record · WAF: web application firewall · REX: retour d’expérience (lessons learned) · « Lu et approuvé »: read and approved',
  },
  dryRunPass: { fr: 'RÉUSSI — plateforme reconstruite depuis l’export, aucune différence', en: 'PASSED — platform rebuilt from the export, no difference' },
  dryRunFail: { fr: 'ÉCHEC — réversibilité non prouvée', en: 'FAILED — reversibility not proven' },
  dryRunNoFinding: {
    fr: 'Toutes les phases ont réussi, aucune différence entre la source et la copie reconstruite, la copie a été détruite.',
    en: 'Every phase passed, no difference between the source and the rebuilt copy, the copy was torn down.',
  },
  runId: { fr: 'Tir à blanc', en: 'Dry run' },
  exportRef: { fr: 'Export testé', en: 'Export tested' },
  manifestSha256: { fr: 'SHA-256 de manifest.json', en: 'SHA-256 of manifest.json' },
  commit: { fr: 'Commit de l’outillage (kit de reconstruction)', en: 'Toolkit commit (rebuild kit)' },
  snapshotAt: { fr: 'Instantané des données', en: 'Data snapshot' },
  recipient: { fr: 'Certificat du repreneur (documents chiffrés pour)', en: 'Taker’s certificate (documents encrypted for)' },
  noRecipient: { fr: 'aucun', en: 'none' },
  isolation: { fr: 'Isolement de la copie reconstruite', en: 'Isolation of the rebuilt copy' },
  phases: { fr: 'Déroulement', en: 'Phases' },
  phase: { fr: 'Phase', en: 'Phase' },
  noPhase: { fr: 'Aucune phase enregistrée.', en: 'No phase recorded.' },
  volumes: { fr: 'Volumes exportés', en: 'Volumes exported' },
  files: { fr: 'Fichiers', en: 'Files' },
  size: { fr: 'Taille', en: 'Size' },
  tables: { fr: 'Tables', en: 'Tables' },
  rows: { fr: 'Lignes', en: 'Rows' },
  documents: { fr: 'Documents', en: 'Documents' },
  section: { fr: 'Partie de l’export', en: 'Export section' },
  differences: { fr: 'Différences constatées', en: 'Differences found' },
  differencesCount: { fr: 'Différences', en: 'Differences' },
  difference: { fr: 'différence', en: 'difference' },
  noDifference: {
    fr: 'Aucune différence : chaque fichier, nombre de lignes, empreinte de table et document est identique au manifeste.',
    en: 'No difference: every file, row count, table hash and document equals the manifest.',
  },
  kind: { fr: 'Nature', en: 'Kind' },
  where: { fr: 'Où', en: 'Where' },
  expected: { fr: 'Attendu', en: 'Expected' },
  found: { fr: 'Constaté', en: 'Found' },
  availability: { fr: 'Service de la source pendant l’export (EXG_REV_1)', en: 'Source’s service during the export (EXG_REV_1)' },
  availabilityShort: { fr: 'Disponibilité de la source', en: 'Source availability' },
  availabilityIntro: {
    fr: 'Sondes à travers le WAF pendant toute la durée de l’export : le service ne doit pas s’interrompre.',
    en: 'Probes through the WAF for the whole export: the service must not stop.',
  },
  notMeasured: { fr: 'non mesurée', en: 'not measured' },
  notMeasuredLong: {
    fr: 'NON MESURÉE : la continuité du service pendant l’export n’est pas démontrée par ce tir.',
    en: 'NOT MEASURED: this run does not show the service continued during the export.',
  },
  probe: { fr: 'Sonde', en: 'Probe' },
  interval: { fr: 'Période des sondes', en: 'Probe interval' },
  window: { fr: 'Fenêtre de mesure', en: 'Measured window' },
  requests: { fr: 'Requêtes', en: 'Requests' },
  errors: { fr: 'Erreurs', en: 'Errors' },
  availabilityRate: { fr: 'Disponibilité', en: 'Availability' },
  latency: { fr: 'Latence p50 / p95 / max', en: 'Latency p50 / p95 / max' },
  availabilityText: { fr: '{availability} ({errors} erreurs sur {requests} requêtes)', en: '{availability} ({errors} errors out of {requests} requests)' },
  rate: { fr: 'Débit d’export', en: 'Export rate' },
  rateText: { fr: '{rate} ({bytes} en {duration})', en: '{rate} ({bytes} in {duration})' },
  pgDump: { fr: 'pg_dump des mêmes bases, même tir', en: 'pg_dump of the same databases, same run' },
  ratio: { fr: 'Rapport au débit de pg_dump', en: 'Ratio to pg_dump’s rate' },
  ratioText: { fr: '{ratio} × (objectif ≥ {goal} × : {met})', en: '{ratio} × (goal ≥ {goal} ×: {met})' },
  goalMet: { fr: 'atteint', en: 'met' },
  goalMissed: { fr: 'non atteint', en: 'missed' },
  pgDumpNotMeasured: { fr: 'pg_dump non mesuré dans ce tir', en: 'pg_dump not measured in this run' },
  rateNotMeasured: { fr: 'non mesuré', en: 'not measured' },
  notIncluded: { fr: 'Ce que l’export ne contient pas', en: 'What the export does not hold' },
  nothingExcluded: { fr: 'Rien n’est exclu de l’export.', en: 'Nothing is left out of the export.' },
  notDone: { fr: 'Ce que ce tir n’a pas fait', en: 'What this run did not do' },
  firstErrors: { fr: 'Premières erreurs', en: 'First errors' },
  rebuilt: { fr: 'Copie reconstruite', en: 'Rebuilt copy' },
  slot: { fr: 'Tranche réseau', en: 'Network slot' },
  netns: { fr: 'Espaces de noms réseau', en: 'Network namespaces' },
  smoke: { fr: 'Tests de fumée de la copie', en: 'Smoke checks of the copy' },
  check: { fr: 'Test', en: 'Check' },
  noRebuilt: { fr: 'Aucune copie reconstruite.', en: 'No rebuilt copy.' },
  exportKept: { fr: 'Export conservé après le tir', en: 'Export kept after the run' },
  lessons: { fr: 'Constats relevés par l’outillage', en: 'What the toolkit noticed' },

  // The destruction certificate
  destructionTitle: { fr: 'Certificat de destruction', en: 'Destruction certificate' },
  destructionGlossary: {
    fr: '',
    en: 'Crypto-shredding: destroying the keys so every encrypted copy becomes unreadable · HSM: hardware security module · responsable de traitement: data controller · PV: procès-verbal, the signed validation record · REX: retour d’expérience (lessons learned) · « Lu et approuvé »: read and approved',
  },
  destructionPass: { fr: 'DÉTRUIT — destruction prouvée', en: 'DESTROYED — destruction proven' },
  destructionFail: { fr: 'ÉCHEC — destruction non prouvée', en: 'FAILED — destruction not proven' },
  destructionNoFinding: {
    fr: 'Chaque élément est détruit, aucune clé ne subsiste sur aucun jeton, chaque dépôt et compartiment est vide, aucun document de l’échantillon ne se déchiffre plus.',
    en: 'Every item is destroyed, no key is left on any token, every repository and bucket is empty, no sampled document decrypts any more.',
  },
  certificateId: { fr: 'Certificat', en: 'Certificate' },
  environmentClass: { fr: 'Classe d’environnement', en: 'Environment class' },
  noApproval: {
    fr: 'AUCUNE RÉFÉRENCE D’ACCORD FORMEL (DUI-C3d-7 : la destruction suit l’accord formel du responsable de traitement)',
    en: 'NO FORMAL AGREEMENT REFERENCED (DUI-C3d-7: destruction follows the data controller’s formal agreement)',
  },
  afterSignature: { fr: 'Après la signature', en: 'After the signature' },
  contentSha256Before: { fr: 'SHA-256 du contenu lu avant', en: 'SHA-256 of the content read before' },
  ciphertextSha256: { fr: 'SHA-256 du chiffré essayé après', en: 'SHA-256 of the ciphertext tried after' },
  apiStatusAfter: { fr: 'Réponse de l’API après', en: 'API answer after' },
  requestedBy: { fr: 'Demandée par', en: 'Requested by' },
  approvalRef: { fr: 'Accord formel (référence)', en: 'Formal agreement (reference)' },
  approvedAt: { fr: 'Accord donné le', en: 'Agreed on' },
  takeoverAt: { fr: 'Reprise opérationnelle par le repreneur', en: 'Operational takeover by the taker' },
  deadline: { fr: 'Délai de décommissionnement (EXG_REV_18 : au plus {months} mois)', en: 'Decommissioning delay (EXG_REV_18: at most {months} months)' },
  deadlineText: { fr: '{days} jours après la reprise (échéance {due}) : {met}', en: '{days} days after the takeover (due {due}): {met}' },
  deadlineMet: { fr: 'dans le délai', en: 'on time' },
  deadlineMissed: { fr: 'HORS DÉLAI', en: 'LATE' },
  itemsDestroyed: { fr: 'Éléments détruits', en: 'Items destroyed' },
  keysDestroyed: { fr: 'Clés HSM détruites (crypto-effacement)', en: 'HSM keys destroyed (crypto-shredding)' },
  tokensChecked: { fr: 'Jetons HSM vérifiés', en: 'HSM tokens checked' },
  listingsEmpty: { fr: 'Listes vides / listes vérifiées', en: 'Listings empty / listings checked' },
  documentsUnreadable: { fr: 'Documents indéchiffrables / échantillon', en: 'Documents undecryptable / sample' },
  destroyedItems: { fr: 'Ce qui a été détruit', en: 'What was destroyed' },
  name: { fr: 'Nom', en: 'Name' },
  method: { fr: 'Méthode', en: 'Method' },
  at: { fr: 'Le', en: 'At' },
  noItem: { fr: 'AUCUN ÉLÉMENT DÉTRUIT ENREGISTRÉ.', en: 'NO DESTROYED ITEM RECORDED.' },
  resultDestroyed: { fr: 'détruit', en: 'destroyed' },
  resultAbsent: { fr: 'déjà absent', en: 'already absent' },
  resultFailed: { fr: 'ÉCHEC', en: 'FAILED' },
  proofs: { fr: 'Vérifications après destruction', en: 'Checks after the destruction' },
  tokenProofs: { fr: 'Clés absentes de chaque jeton HSM', en: 'Keys absent from every HSM token' },
  token: { fr: 'Jeton', en: 'Token' },
  labelsFound: { fr: 'Objets trouvés après destruction (étiquettes)', en: 'Objects found after the destruction (labels)' },
  destroyedKeysFound: { fr: 'Clés détruites encore présentes', en: 'Destroyed keys still present' },
  noneFound: { fr: 'aucun', en: 'none' },
  noToken: { fr: 'AUCUN JETON VÉRIFIÉ.', en: 'NO TOKEN CHECKED.' },
  listingProofs: { fr: 'Dépôts, compartiments et répertoires listés vides', en: 'Repositories, buckets and directories listed empty' },
  command: { fr: 'Commande', en: 'Command' },
  entries: { fr: 'Entrées', en: 'Entries' },
  noListing: { fr: 'Aucune liste enregistrée.', en: 'No listing recorded.' },
  documentProofs: { fr: 'Échantillon de documents lisibles avant, indéchiffrables après', en: 'Sample of documents readable before, undecryptable after' },
  document: { fr: 'Document', en: 'Document' },
  domain: { fr: 'Domaine', en: 'Domain' },
  readableBefore: { fr: 'Lisible avant', en: 'Readable before' },
  readableAfter: { fr: 'Lisible après', en: 'Readable after' },
  errorSeen: { fr: 'Erreur constatée au déchiffrement', en: 'Error seen when decrypting' },
  noDocument: { fr: 'AUCUN DOCUMENT ÉCHANTILLONNÉ.', en: 'NO DOCUMENT SAMPLED.' },
  notCovered: { fr: 'Ce que cette destruction ne couvre pas', en: 'What this destruction does not cover' },
  nothingUncovered: { fr: 'Rien : chaque copie connue de l’outillage est couverte.', en: 'Nothing: every copy the toolkit knows of is covered.' },
  signature: { fr: 'Signature électronique (clé HSM)', en: 'Electronic signature (HSM key)' },
  signatureIntro: {
    fr: 'Signature détachée du JSON canonique du certificat sans les champs signature, validation et rex (remplis après la signature), faite avec la clé non extractible du HSM, comme le manifeste de l’export.',
    en: 'Detached signature of the certificate’s canonical JSON without the signature, validation and rex fields (filled in after signing), made with the HSM’s non-extractable key, as the export’s manifest.',
  },
  signedSha256: { fr: 'SHA-256 du contenu signé', en: 'SHA-256 of the signed content' },
  algorithm: { fr: 'Algorithme', en: 'Algorithm' },
  certificateSha256: { fr: 'SHA-256 du certificat de signature', en: 'SHA-256 of the signing certificate' },
  signatureValue: { fr: 'Signature (base64)', en: 'Signature (base64)' },
  unsigned: {
    fr: 'NON SIGNÉ : ce certificat n’a pas encore été signé avec la clé HSM.',
    en: 'UNSIGNED: this certificate has not been signed with the HSM key yet.',
  },
  signatureShort: { fr: 'Signature HSM', en: 'HSM signature' },
  signatureCheck: { fr: 'Contrôle de la signature', en: 'Signature check' },
  signatureValid: {
    fr: 'valide : vérifiée avec le certificat de signature inclus, sur le contenu ci-dessus',
    en: 'valid: checked with the included signing certificate, over the content above',
  },
  signatureInvalid: { fr: 'INVALIDE ({reason})', en: 'INVALID ({reason})' },
  signatureUnchecked: {
    fr: 'non vérifiée ici (certificat de signature non inclus) : voir signing-cert.pem de l’export',
    en: 'not checked here (signing certificate not included): see the export’s signing-cert.pem',
  },
  signedSha256Recorded: { fr: 'SHA-256 signé, selon le signataire', en: 'SHA-256 signed, according to the signer' },
  signed: { fr: 'signé', en: 'signed' },
  unsignedShort: { fr: 'non signé', en: 'unsigned' },
} satisfies Record<string, Text>;

export type Label = keyof typeof LABELS;

export function label(key: Label, lang: Lang): string {
  return LABELS[key][lang];
}

/** Every phase of DRY_RUN_PHASES has a label (checked by pv.test.ts); others print as named. */
export const PHASES: Record<DryRunPhaseName, Text> = {
  export: { fr: 'export (source en service, sondes actives)', en: 'export (source serving, probes running)' },
  bootstrap: { fr: 'bootstrap.sh du repreneur', en: 'the taker’s bootstrap.sh' },
  verify: { fr: 'vérification de la signature et des empreintes', en: 'signature and hash verification' },
  install: { fr: 'installation des prérequis', en: 'installation of the prerequisites' },
  workspace: { fr: 'espace de travail (outillage du kit, environnement de l’export)', en: 'workspace (the kit’s toolkit, the export’s environment)' },
  rebuild: { fr: 'reconstruction de la plateforme (lab isolé)', en: 'platform rebuild (isolated lab)' },
  load: { fr: 'chargement et vérification des données', en: 'data load and verification' },
  documents: { fr: 'réimport des documents (clés du repreneur)', en: 'document re-import (the taker’s keys)' },
  check: { fr: 'vérification des lignes et empreintes', en: 'row count and hash verification' },
  smoke: { fr: 'tests de fumée', en: 'smoke checks' },
  teardown: { fr: 'destruction de la copie', en: 'teardown of the copy' },
};

const onePhase = (name: string, lang: Lang) => (PHASES as Record<string, Text | undefined>)[name]?.[lang] ?? name;

/** A phase's label; a step `parent: step` as `parent › step`; an unknown name as recorded. */
export function phaseLabel(name: unknown, lang: Lang): string {
  if (!name) return '—';
  return String(name)
    .split(': ')
    .map((n) => onePhase(n, lang))
    .join(' › ');
}

export const SECTIONS: Record<ExportSection, Text> = {
  data: { fr: 'données (CSV, DDL, dumps natifs)', en: 'data (CSV, DDL, native dumps)' },
  documents: { fr: 'documents (CMS pour le repreneur)', en: 'documents (CMS for the taker)' },
  platform: { fr: 'plateforme (configuration, Terraform, rapports)', en: 'platform (configuration, Terraform, reports)' },
  inventory: { fr: 'inventaires (CMDB, flux, clés HSM, sauvegardes)', en: 'inventories (CMDB, flows, HSM keys, backups)' },
  kit: { fr: 'kit de reconstruction', en: 'rebuild kit' },
};

export const DIFFERENCES: Record<DifferenceKind, Text> = {
  'file-hash': { fr: 'empreinte de fichier différente', en: 'file hash differs' },
  'file-missing': { fr: 'fichier manquant', en: 'file missing' },
  'file-extra': { fr: 'fichier non listé au manifeste', en: 'file not in the manifest' },
  signature: { fr: 'signature invalide', en: 'invalid signature' },
  'row-count': { fr: 'nombre de lignes différent', en: 'row count differs' },
  'table-hash': { fr: 'empreinte de contenu de table différente', en: 'table content hash differs' },
  document: { fr: 'document différent ou illisible', en: 'document differs or unreadable' },
  smoke: { fr: 'test de fumée en échec', en: 'smoke check failed' },
};

export function differenceLabel(kind: unknown, lang: Lang): string {
  return (DIFFERENCES as Record<string, Text | undefined>)[String(kind)]?.[lang] ?? (kind ? String(kind) : '—');
}

export const DESTROYED: Record<DestroyedKind, Text> = {
  'hsm-key': { fr: 'clé HSM', en: 'HSM key' },
  database: { fr: 'base de données', en: 'database' },
  'backup-repository': { fr: 'dépôt de sauvegarde', en: 'backup repository' },
  bucket: { fr: 'compartiment objet', en: 'object bucket' },
  'data-directory': { fr: 'répertoire de données', en: 'data directory' },
  state: { fr: 'état', en: 'state' },
};

export function destroyedLabel(kind: unknown, lang: Lang): string {
  return (DESTROYED as Record<string, Text | undefined>)[String(kind)]?.[lang] ?? (kind ? String(kind) : '—');
}

/** Why the dry run failed (view.ts dryRunFindings), as sentences. */
export const DRY_RUN_FINDINGS: Record<DryRunFindingCode, Text> = {
  'recorded-fail': {
    fr: 'l’exécution a enregistré un échec (voir le déroulement et les preuves)',
    en: 'the run recorded a failure (see the phases and the evidence)',
  },
  differences: { fr: '{count} différence(s) entre la source et la copie reconstruite', en: '{count} difference(s) between the source and the rebuilt copy' },
  'phase-failed': { fr: 'la phase « {phase} » a échoué', en: 'the phase “{phase}” failed' },
  'phase-missing': {
    fr: 'la phase « {phase} » n’a pas été exécutée (absente du déroulement)',
    en: 'the phase “{phase}” did not run (missing from the phases)',
  },
  'phase-skipped': { fr: 'la phase obligatoire « {phase} » a été sautée', en: 'the required phase “{phase}” was skipped' },
  'smoke-failed': { fr: 'le test de fumée « {name} » a échoué sur la copie reconstruite', en: 'the smoke check “{name}” failed on the rebuilt copy' },
};

/** Why the destruction is not proven (view.ts destructionFindings), as sentences. */
export const DESTRUCTION_FINDINGS: Record<DestructionFindingCode, Text> = {
  'recorded-fail': {
    fr: 'l’exécution a enregistré un échec (voir les éléments et les preuves)',
    en: 'the run recorded a failure (see the items and the evidence)',
  },
  'item-failed': { fr: 'la destruction de « {what} » a échoué', en: 'the destruction of “{what}” failed' },
  'no-key': {
    fr: 'aucune clé HSM détruite : sans crypto-effacement, les copies chiffrées restent lisibles',
    en: 'no HSM key destroyed: without crypto-shredding, encrypted copies stay readable',
  },
  'key-present': { fr: 'la clé « {label} » est encore présente sur le jeton « {token} »', en: 'the key “{label}” is still on the token “{token}”' },
  'no-token': { fr: 'aucun jeton HSM n’a été vérifié après la destruction', en: 'no HSM token was checked after the destruction' },
  'listing-not-empty': {
    fr: '« {name} » n’est pas prouvé vide (entrées : {entries}, « ? » : liste impossible)',
    en: '“{name}” is not proven empty (entries: {entries}, “?”: could not be listed)',
  },
  'listing-missing': { fr: 'aucune liste ne prouve que « {name} » est vide', en: 'no listing proves that “{name}” is empty' },
  'document-readable': { fr: 'le document « {id} » se déchiffre encore', en: 'the document “{id}” still decrypts' },
  'document-not-proven': {
    fr: 'le document « {id} » n’était pas lisible avant la destruction : il ne prouve rien',
    en: 'the document “{id}” was not readable before the destruction: it proves nothing',
  },
  'no-document': { fr: 'aucun document n’a été essayé après la destruction', en: 'no document was tried after the destruction' },
  'signature-invalid': {
    fr: 'la signature ne correspond pas au contenu ({reason}) : le certificat a été modifié après signature ou mal signé',
    en: 'the signature does not match the content ({reason}): the certificate was changed after signing or wrongly signed',
  },
};

/** Why a signature check failed (signature.ts SignatureFailure), as a short phrase. */
export const SIGNATURE_FAILURE_TEXT: Record<SignatureFailure, Text> = {
  unsigned: { fr: 'non signé', en: 'unsigned' },
  'bad-certificate': { fr: 'certificat de signature illisible', en: 'signing certificate unreadable' },
  'certificate-mismatch': { fr: 'certificat différent de celui nommé', en: 'not the certificate named' },
  'content-changed': { fr: 'contenu différent de celui signé', en: 'content differs from what was signed' },
  'bad-signature': { fr: 'la signature ne se vérifie pas', en: 'the signature does not verify' },
};

const ROLES: Record<ReversibilityRole, Text> = {
  operator: { fr: 'Opérateur', en: 'Operator' },
  owner: PV_LABELS.roleOwner,
  auditor: PV_LABELS.roleAuditor,
  controller: { fr: 'Responsable de traitement / autorité de santé', en: 'Data controller / health authority' },
};

export function roleLabel(role: ReversibilityRole, lang: Lang): string {
  return ROLES[role][lang];
}
