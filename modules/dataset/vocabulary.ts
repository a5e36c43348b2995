/**
 * Business vocabularies of the dataset: professions and specialties (RPPS), document types
 * (CI-SIS / DMP, LOINC codes), formats, message subjects, agenda kinds, streets, e-mail
 * providers. Shares are documented in docs/dataset.md.
 */
import { type AliasTable, aliasTable } from './rng.ts';

/**
 * Professions, stratified by professional id (id mod 100), in proportion to the RPPS counts
 * (DREES 2023: ~234 k doctors, 74 k pharmacists, 43 k dentists, 24 k midwives, 640 k nurses,
 * 100 k physiotherapists). Codes are those of the RPPS profession nomenclature.
 * [code, label, first residue, last residue, share of women (%)]
 */
export const PROFESSIONS: ReadonlyArray<readonly [string, string, number, number, number, string]> = [
  ['10', 'Médecin', 0, 20, 50, 'medecin'],
  ['21', 'Pharmacien', 21, 27, 68, 'pharmacien'],
  ['40', 'Chirurgien-dentiste', 28, 31, 48, 'chirurgien-dentiste'],
  ['50', 'Sage-femme', 32, 33, 97, 'sage-femme'],
  ['60', 'Infirmier', 34, 90, 87, 'infirmier'],
  ['70', 'Masseur-kinésithérapeute', 91, 99, 52, 'masseur-kinesitherapeute'],
];

export const PROFESSION_BY_RESIDUE: number[] = Array.from({ length: 100 }, (_, r) => PROFESSIONS.findIndex((p) => r >= p[2] && r <= p[3]));

/** Doctors' specialties over 100 slots (id / 100 mod 100): general practice 44 % (DREES). */
const SPECIALTY_SLOTS: Array<[string, number]> = [
  ['Médecine générale', 44],
  ['Psychiatrie', 6],
  ['Anesthésie-réanimation', 5],
  ['Radiodiagnostic et imagerie médicale', 4],
  ['Pédiatrie', 4],
  ['Gynécologie-obstétrique', 4],
  ['Cardiologie et maladies vasculaires', 3],
  ['Ophtalmologie', 3],
  ['Chirurgie orthopédique et traumatologie', 3],
  ['Médecine d’urgence', 3],
  ['Dermatologie et vénéréologie', 2],
  ['Gastro-entérologie et hépatologie', 2],
  ['Pneumologie', 2],
  ['Oto-rhino-laryngologie', 2],
  ['Rhumatologie', 2],
  ['Neurologie', 2],
  ['Chirurgie viscérale et digestive', 2],
  ['Gériatrie', 2],
  ['Oncologie', 2],
  ['Endocrinologie-diabétologie', 1],
  ['Néphrologie', 1],
  ['Urologie', 1],
];
export const SPECIALTY_BY_SLOT: string[] = SPECIALTY_SLOTS.flatMap(([s, n]) => Array.from({ length: n }, () => s));
export const GENERAL_PRACTICE_SLOTS = 44;

/**
 * Document types fed into the DMP (typeCode LOINC as in the CI-SIS volets, class code as a
 * short family), with their share of documents (assumption: biology and prescriptions lead,
 * as in DMP feeding statistics; see docs/dataset.md).
 * [LOINC code, label, class, weight, title]
 */
export const DOCUMENT_TYPES: ReadonlyArray<readonly [string, string, string, number, string]> = [
  ['11502-2', 'CR d’examens biologiques', 'BIO', 30, 'Résultats d’analyses de biologie médicale'],
  ['57833-6', 'Prescription de produits de santé', 'PRESC', 22, 'Ordonnance'],
  ['11488-4', 'Compte rendu de consultation', 'CR', 12, 'Compte rendu de consultation'],
  ['18748-4', 'CR d’imagerie médicale', 'IMG', 10, 'Compte rendu d’imagerie'],
  ['11490-0', 'Lettre de liaison à la sortie d’un établissement de santé', 'CR', 6, 'Lettre de liaison de sortie'],
  ['87273-9', 'Note de vaccination', 'VAC', 5, 'Vaccination'],
  ['60591-5', 'Synthèse médicale', 'SYN', 3, 'Volet de synthèse médicale'],
  ['34133-9', 'Synthèse d’épisode de soins', 'SYN', 3, 'Synthèse d’hospitalisation'],
  ['11526-1', 'CR d’anatomie et de cytologie pathologiques', 'CR', 2, 'Compte rendu anatomopathologique'],
  ['11506-3', 'Compte rendu de suivi', 'CR', 3, 'Note d’évolution'],
  ['REMB', 'Historique des remboursements', 'REMB', 4, 'Données de remboursement'],
];
export const DOCUMENT_TYPE_ALIAS: AliasTable = aliasTable(DOCUMENT_TYPES.map((d) => d[3]));

/** Formats of the document body (EXG issue #4: TXT/PDF/JPEG/TIFF/RTF): [format, mime, weight, median size (bytes)]. */
export const FORMATS: ReadonlyArray<readonly [string, string, number, number]> = [
  ['PDF', 'application/pdf', 88, 150_000],
  ['TXT', 'text/plain', 4, 6_000],
  ['JPEG', 'image/jpeg', 4, 800_000],
  ['TIFF', 'image/tiff', 2, 1_500_000],
  ['RTF', 'text/rtf', 2, 40_000],
];
export const FORMAT_ALIAS: AliasTable = aliasTable(FORMATS.map((f) => f[2]));

export const MESSAGE_SUBJECTS: readonly string[] = [
  'Résultats de vos analyses',
  'Votre compte rendu de consultation',
  'Ordonnance à présenter en pharmacie',
  'Rappel : vaccination à effectuer',
  'Préparation de votre hospitalisation',
  'Compte rendu d’imagerie',
  'Invitation au dépistage organisé',
  'Lettre de liaison après votre séjour',
  'Bilan de prévention : prochaines étapes',
  'Suivi de votre traitement',
];

/** [kind, title, with a professional] */
export const AGENDA_KINDS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['rendez-vous', 'Consultation', true],
  ['vaccination', 'Rappel de vaccination', true],
  ['depistage', 'Dépistage organisé', false],
  ['prevention', 'Bilan de prévention', true],
  ['rappel', 'Renouvellement d’ordonnance', false],
];

export const STREETS: readonly string[] = [
  'rue de la République', 'rue Victor-Hugo', 'avenue Jean-Jaurès', 'rue du Général-de-Gaulle', 'rue Pasteur', 'rue de l’Église', 'rue des Écoles',
  'chemin du Moulin', 'avenue de la Gare', 'rue Gambetta', 'rue Jules-Ferry', 'rue du Château', 'allée des Lilas', 'place de la Mairie', 'rue Voltaire',
  'boulevard Émile-Zola', 'rue Antoine-de-Saint-Exupéry', 'impasse des Prés', 'rue de la Paix', 'avenue Foch', 'rue Nationale', 'rue de Verdun',
  'rue Louis-Pasteur', 'rue Jean-Moulin', 'rue des Acacias', 'place du Marché', 'rue de Bretagne', 'chemin de la Forêt', 'rue d’Alsace', 'rue Aristide-Briand',
  'rue Anatole-France', 'rue du 8-Mai-1945', 'rue Hélène-Boucher', 'quai de la Loire', 'rue Notre-Dame', 'rue Sainte-Thérèse', 'allée des Châtaigniers',
  'rue Pierre-et-Marie-Curie', 'avenue du Maréchal-Leclerc', 'rue de l’Hôpital',
];

/** E-mail providers of French users (order of magnitude of market shares; assumption). */
export const EMAIL_PROVIDERS: ReadonlyArray<readonly [string, number]> = [
  ['gmail.com', 40],
  ['orange.fr', 17],
  ['hotmail.fr', 10],
  ['yahoo.fr', 7],
  ['free.fr', 7],
  ['sfr.fr', 5],
  ['laposte.net', 5],
  ['outlook.fr', 4],
  ['icloud.com', 3],
  ['wanadoo.fr', 2],
];
export const EMAIL_PROVIDER_ALIAS: AliasTable = aliasTable(EMAIL_PROVIDERS.map((e) => e[1]));
