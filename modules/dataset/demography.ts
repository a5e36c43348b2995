/**
 * Population tables for the synthetic dataset (EXG_ENV_15): age pyramid and sex ratio,
 * départements weighted by population, countries of birth of people born abroad.
 *
 * Sources (see docs/dataset.md for the method and how to refresh them):
 * - AGE_PYRAMID: INSEE, "Pyramide des âges" / bilan démographique, population of France
 *   (metropolitan + DROM) on 1 January 2024 by five-year age group and sex, in thousands,
 *   rounded to the nearest ten thousand. Total ≈ 68.4 M.
 * - DEPARTEMENTS: INSEE, populations légales 2021 (published December 2023), in thousands,
 *   rounded; the chef-lieu (préfecture) commune with its COG code and main postcode.
 * - BIRTH_COUNTRIES: INSEE, "Immigrés et descendants d'immigrés" (édition 2023), main
 *   countries of birth of the population born abroad, shares rounded; codes from the COG
 *   (code officiel géographique) country list (99 + 3 digits), the form the NIR uses.
 */
import { type AliasTable, aliasTable } from './rng.ts';

/** [lower age, males (thousands), females (thousands)] per five-year group; the last group is 100–104. */
export const AGE_PYRAMID: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1790, 1710],
  [5, 1980, 1890],
  [10, 2130, 2030],
  [15, 2140, 2040],
  [20, 1990, 1930],
  [25, 1870, 1920],
  [30, 1980, 2080],
  [35, 2100, 2200],
  [40, 2120, 2190],
  [45, 2090, 2150],
  [50, 2220, 2300],
  [55, 2140, 2260],
  [60, 2030, 2200],
  [65, 1850, 2070],
  [70, 1730, 2000],
  [75, 1240, 1560],
  [80, 830, 1170],
  [85, 510, 900],
  [90, 200, 480],
  [95, 45, 150],
  [100, 5, 25],
];

export interface Departement {
  code: string;
  name: string;
  /** Population in thousands (populations légales 2021). */
  population: number;
  /** COG code of the chef-lieu (for Paris, Lyon and Marseille, the first arrondissement). */
  seatCode: string;
  seatName: string;
  postcode: string;
}

// code, name, population (k), seat COG code, seat name, postcode
const D: Array<[string, string, number, string, string, string]> = [
  ['01', 'Ain', 657, '01053', 'Bourg-en-Bresse', '01000'],
  ['02', 'Aisne', 527, '02408', 'Laon', '02000'],
  ['03', 'Allier', 335, '03190', 'Moulins', '03000'],
  ['04', 'Alpes-de-Haute-Provence', 165, '04070', 'Digne-les-Bains', '04000'],
  ['05', 'Hautes-Alpes', 141, '05061', 'Gap', '05000'],
  ['06', 'Alpes-Maritimes', 1098, '06088', 'Nice', '06000'],
  ['07', 'Ardèche', 329, '07186', 'Privas', '07000'],
  ['08', 'Ardennes', 268, '08105', 'Charleville-Mézières', '08000'],
  ['09', 'Ariège', 155, '09122', 'Foix', '09000'],
  ['10', 'Aube', 311, '10387', 'Troyes', '10000'],
  ['11', 'Aude', 377, '11069', 'Carcassonne', '11000'],
  ['12', 'Aveyron', 280, '12202', 'Rodez', '12000'],
  ['13', 'Bouches-du-Rhône', 2056, '13201', 'Marseille', '13001'],
  ['14', 'Calvados', 697, '14118', 'Caen', '14000'],
  ['15', 'Cantal', 144, '15014', 'Aurillac', '15000'],
  ['16', 'Charente', 351, '16015', 'Angoulême', '16000'],
  ['17', 'Charente-Maritime', 655, '17300', 'La Rochelle', '17000'],
  ['18', 'Cher', 298, '18033', 'Bourges', '18000'],
  ['19', 'Corrèze', 240, '19272', 'Tulle', '19000'],
  ['2A', 'Corse-du-Sud', 162, '2A004', 'Ajaccio', '20000'],
  ['2B', 'Haute-Corse', 184, '2B033', 'Bastia', '20200'],
  ['21', "Côte-d'Or", 535, '21231', 'Dijon', '21000'],
  ['22', "Côtes-d'Armor", 604, '22278', 'Saint-Brieuc', '22000'],
  ['23', 'Creuse', 115, '23096', 'Guéret', '23000'],
  ['24', 'Dordogne', 413, '24322', 'Périgueux', '24000'],
  ['25', 'Doubs', 545, '25056', 'Besançon', '25000'],
  ['26', 'Drôme', 520, '26362', 'Valence', '26000'],
  ['27', 'Eure', 600, '27229', 'Évreux', '27000'],
  ['28', 'Eure-et-Loir', 431, '28085', 'Chartres', '28000'],
  ['29', 'Finistère', 919, '29232', 'Quimper', '29000'],
  ['30', 'Gard', 752, '30189', 'Nîmes', '30000'],
  ['31', 'Haute-Garonne', 1435, '31555', 'Toulouse', '31000'],
  ['32', 'Gers', 192, '32013', 'Auch', '32000'],
  ['33', 'Gironde', 1654, '33063', 'Bordeaux', '33000'],
  ['34', 'Hérault', 1202, '34172', 'Montpellier', '34000'],
  ['35', 'Ille-et-Vilaine', 1095, '35238', 'Rennes', '35000'],
  ['36', 'Indre', 217, '36044', 'Châteauroux', '36000'],
  ['37', 'Indre-et-Loire', 612, '37261', 'Tours', '37000'],
  ['38', 'Isère', 1285, '38185', 'Grenoble', '38000'],
  ['39', 'Jura', 259, '39300', 'Lons-le-Saunier', '39000'],
  ['40', 'Landes', 420, '40192', 'Mont-de-Marsan', '40000'],
  ['41', 'Loir-et-Cher', 329, '41018', 'Blois', '41000'],
  ['42', 'Loire', 766, '42218', 'Saint-Étienne', '42000'],
  ['43', 'Haute-Loire', 228, '43157', 'Le Puy-en-Velay', '43000'],
  ['44', 'Loire-Atlantique', 1462, '44109', 'Nantes', '44000'],
  ['45', 'Loiret', 683, '45234', 'Orléans', '45000'],
  ['46', 'Lot', 174, '46042', 'Cahors', '46000'],
  ['47', 'Lot-et-Garonne', 331, '47001', 'Agen', '47000'],
  ['48', 'Lozère', 76, '48095', 'Mende', '48000'],
  ['49', 'Maine-et-Loire', 822, '49007', 'Angers', '49000'],
  ['50', 'Manche', 492, '50502', 'Saint-Lô', '50000'],
  ['51', 'Marne', 563, '51108', 'Châlons-en-Champagne', '51000'],
  ['52', 'Haute-Marne', 171, '52121', 'Chaumont', '52000'],
  ['53', 'Mayenne', 307, '53130', 'Laval', '53000'],
  ['54', 'Meurthe-et-Moselle', 733, '54395', 'Nancy', '54000'],
  ['55', 'Meuse', 182, '55029', 'Bar-le-Duc', '55000'],
  ['56', 'Morbihan', 764, '56260', 'Vannes', '56000'],
  ['57', 'Moselle', 1047, '57463', 'Metz', '57000'],
  ['58', 'Nièvre', 200, '58194', 'Nevers', '58000'],
  ['59', 'Nord', 2613, '59350', 'Lille', '59000'],
  ['60', 'Oise', 830, '60057', 'Beauvais', '60000'],
  ['61', 'Orne', 278, '61001', 'Alençon', '61000'],
  ['62', 'Pas-de-Calais', 1459, '62041', 'Arras', '62000'],
  ['63', 'Puy-de-Dôme', 664, '63113', 'Clermont-Ferrand', '63000'],
  ['64', 'Pyrénées-Atlantiques', 689, '64445', 'Pau', '64000'],
  ['65', 'Hautes-Pyrénées', 230, '65440', 'Tarbes', '65000'],
  ['66', 'Pyrénées-Orientales', 482, '66136', 'Perpignan', '66000'],
  ['67', 'Bas-Rhin', 1150, '67482', 'Strasbourg', '67000'],
  ['68', 'Haut-Rhin', 767, '68066', 'Colmar', '68000'],
  ['69', 'Rhône', 1883, '69381', 'Lyon', '69001'],
  ['70', 'Haute-Saône', 233, '70550', 'Vesoul', '70000'],
  ['71', 'Saône-et-Loire', 551, '71270', 'Mâcon', '71000'],
  ['72', 'Sarthe', 566, '72181', 'Le Mans', '72000'],
  ['73', 'Savoie', 438, '73065', 'Chambéry', '73000'],
  ['74', 'Haute-Savoie', 834, '74010', 'Annecy', '74000'],
  ['75', 'Paris', 2133, '75101', 'Paris', '75001'],
  ['76', 'Seine-Maritime', 1255, '76540', 'Rouen', '76000'],
  ['77', 'Seine-et-Marne', 1437, '77288', 'Melun', '77000'],
  ['78', 'Yvelines', 1449, '78646', 'Versailles', '78000'],
  ['79', 'Deux-Sèvres', 375, '79191', 'Niort', '79000'],
  ['80', 'Somme', 569, '80021', 'Amiens', '80000'],
  ['81', 'Tarn', 391, '81004', 'Albi', '81000'],
  ['82', 'Tarn-et-Garonne', 262, '82121', 'Montauban', '82000'],
  ['83', 'Var', 1090, '83137', 'Toulon', '83000'],
  ['84', 'Vaucluse', 562, '84007', 'Avignon', '84000'],
  ['85', 'Vendée', 691, '85191', 'La Roche-sur-Yon', '85000'],
  ['86', 'Vienne', 439, '86194', 'Poitiers', '86000'],
  ['87', 'Haute-Vienne', 372, '87085', 'Limoges', '87000'],
  ['88', 'Vosges', 362, '88160', 'Épinal', '88000'],
  ['89', 'Yonne', 335, '89024', 'Auxerre', '89000'],
  ['90', 'Territoire de Belfort', 141, '90010', 'Belfort', '90000'],
  ['91', 'Essonne', 1306, '91228', 'Évry-Courcouronnes', '91000'],
  ['92', 'Hauts-de-Seine', 1625, '92050', 'Nanterre', '92000'],
  ['93', 'Seine-Saint-Denis', 1655, '93008', 'Bobigny', '93000'],
  ['94', 'Val-de-Marne', 1409, '94028', 'Créteil', '94000'],
  ['95', "Val-d'Oise", 1250, '95500', 'Pontoise', '95000'],
  ['971', 'Guadeloupe', 384, '97105', 'Basse-Terre', '97100'],
  ['972', 'Martinique', 361, '97209', 'Fort-de-France', '97200'],
  ['973', 'Guyane', 286, '97302', 'Cayenne', '97300'],
  ['974', 'La Réunion', 871, '97411', 'Saint-Denis', '97400'],
  ['976', 'Mayotte', 256, '97611', 'Mamoudzou', '97600'],
];

export const DEPARTEMENTS: readonly Departement[] = D.map(([code, name, population, seatCode, seatName, postcode]) => ({
  code,
  name,
  population,
  seatCode,
  seatName,
  postcode,
}));

export const DEPARTEMENT_ALIAS: AliasTable = aliasTable(DEPARTEMENTS.map((d) => d.population));

/** [COG code, country name, share of people born abroad (%)]. */
export const BIRTH_COUNTRIES: ReadonlyArray<readonly [string, string, number]> = [
  ['99352', 'Algérie', 18],
  ['99350', 'Maroc', 16],
  ['99139', 'Portugal', 10],
  ['99351', 'Tunisie', 6],
  ['99127', 'Italie', 4.5],
  ['99134', 'Espagne', 3.5],
  ['99208', 'Turquie', 3.5],
  ['99114', 'Roumanie', 2.5],
  ['99109', 'Allemagne', 3],
  ['99131', 'Belgique', 2.5],
  ['99132', 'Royaume-Uni', 2],
  ['99216', 'Chine', 2],
  ['99243', 'Viêt Nam', 1.5],
  ['99326', "Côte d'Ivoire", 3],
  ['99341', 'Sénégal', 2.5],
  ['99335', 'Mali', 2.5],
  ['99322', 'Cameroun', 2.5],
];


/**
 * Number of communes per département (INSEE COG 2024, rounded): the birth commune of a user is a
 * commune number drawn in 1..count of the département's COG numbering (Paris: its 20
 * arrondissements 75101–75120). Codes are structurally valid; mergers leave gaps in the real
 * numbering, so a few generated codes are retired ones (documented in docs/dataset.md).
 */
const COMMUNES =
  '01 393|02 798|03 317|04 198|05 162|06 163|07 335|08 449|09 327|10 431|11 433|12 285|13 119|14 528|15 246|16 364|17 463|18 287|19 279|2A 124|2B 236|21 698|22 348|23 256|24 503|25 571|26 363|27 585|28 365|29 277|30 351|31 586|32 461|33 535|34 342|35 333|36 241|37 272|38 512|39 494|40 327|41 267|42 323|43 257|44 207|45 325|46 313|47 319|48 152|49 177|50 446|51 613|52 426|53 240|54 591|55 499|56 249|57 725|58 309|59 648|60 679|61 385|62 890|63 464|64 546|65 469|66 226|67 514|68 366|69 267|70 539|71 565|72 354|73 273|74 279|75 20|76 708|77 507|78 259|79 256|80 772|81 314|82 195|83 153|84 151|85 255|86 266|87 195|88 507|89 423|90 101|91 194|92 36|93 40|94 47|95 184|971 32|972 34|973 22|974 24|976 17';

export const COMMUNE_COUNT: ReadonlyMap<string, number> = new Map(
  COMMUNES.split('|').map((e) => {
    const [code, n] = e.split(' ');
    return [code!, Number(n)] as const;
  }),
);

function communeCodes(d: Departement): string[] {
  if (d.code === '75') return Array.from({ length: 20 }, (_, i) => String(75101 + i));
  const count = COMMUNE_COUNT.get(d.code) ?? 1;
  return Array.from({ length: count }, (_, i) => (d.code.length === 3 ? `${d.code}${String(i + 1).padStart(2, '0')}` : `${d.code}${String(i + 1).padStart(3, '0')}`));
}

const CODES = new Map<string, string[]>(DEPARTEMENTS.map((d) => [d.code, communeCodes(d)]));

/** The 5-character COG code of the n-th commune (0-based) of a département. */
export function communeCode(d: Departement, n: number): string {
  const codes = CODES.get(d.code)!;
  return codes[n % codes.length]!;
}
