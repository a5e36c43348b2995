/**
 * French first and last names for users and health professionals, with accents, hyphens
 * and apostrophes (EXG_ENV_15: "accented first and last names of users and professionals").
 *
 * First names depend on the year of birth: each entry has the year its popularity peaked and
 * the approximate number of births a year at that peak; the weight of a name for a birth year
 * is peak × exp(−½((year − peakYear)/spread)²). Peaks and orders of magnitude are read from
 * INSEE's "Fichier des prénoms" (état civil, births 1900–2022, Licence Ouverte/Etalab 2.0),
 * rounded; entries that were popular in two eras appear twice. Surnames are the most frequent
 * French surnames (INSEE births 1891–1990 as published by Géopatronyme), in rank order, weighted
 * by a Zipf law fitted on that ranking (weight ∝ rank^−0.75), completed with regional
 * (Breton, Alsatian, Corsican, Basque, Réunion) and immigration-origin names, which carry
 * most of the apostrophes and particles. See docs/dataset.md.
 */
import { type AliasTable, aliasTable } from './rng.ts';

type FirstNameEntry = readonly [name: string, peakYear: number, peakBirths: number, spread?: number];

// Female first names: [name, peak year, births/year at peak (approx.), spread in years (default 12)]
const FEMALE: FirstNameEntry[] = [
  ['Marie', 1900, 60000, 25], ['Jeanne', 1915, 30000, 14], ['Jeanne', 2018, 4000, 7], ['Marguerite', 1915, 16000], ['Germaine', 1920, 16000, 9],
  ['Louise', 1910, 12000, 12], ['Louise', 2017, 4500, 7], ['Yvonne', 1922, 14000, 10], ['Suzanne', 1925, 15000, 11], ['Madeleine', 1920, 13000, 11],
  ['Simone', 1928, 12000, 10], ['Denise', 1932, 15000, 10], ['Paulette', 1930, 10000, 9], ['Odette', 1928, 8000, 9], ['Thérèse', 1935, 9000, 12],
  ['Geneviève', 1940, 10000, 11], ['Jacqueline', 1937, 22000, 10], ['Colette', 1938, 8000, 10], ['Gisèle', 1938, 7000, 9], ['Renée', 1928, 9000, 10],
  ['Monique', 1945, 22000, 9], ['Michèle', 1948, 17000, 9], ['Micheline', 1942, 7000, 8], ['Josette', 1940, 6000, 9], ['Andrée', 1930, 8000, 10],
  ['Françoise', 1950, 22000, 9], ['Christiane', 1948, 12000, 9], ['Danielle', 1952, 12000, 9], ['Nicole', 1950, 19000, 9], ['Annie', 1955, 11000, 8],
  ['Anne-Marie', 1950, 7000, 10], ['Marie-Thérèse', 1940, 5000, 10], ['Marie-Claire', 1955, 3500, 9], ['Chantal', 1955, 15000, 8], ['Martine', 1955, 22000, 8],
  ['Brigitte', 1957, 18000, 8], ['Évelyne', 1956, 8000, 8], ['Dominique', 1960, 10000, 8], ['Catherine', 1958, 24000, 8], ['Christine', 1960, 20000, 8],
  ['Béatrice', 1962, 7000, 8], ['Agnès', 1960, 6000, 9], ['Hélène', 1965, 6500, 16], ['Véronique', 1963, 16000, 7], ['Sylvie', 1964, 23000, 7],
  ['Isabelle', 1965, 25000, 7], ['Pascale', 1964, 8000, 7], ['Patricia', 1963, 15000, 7], ['Corinne', 1966, 13000, 6], ['Nathalie', 1968, 32000, 6],
  ['Valérie', 1967, 22000, 6], ['Laurence', 1967, 12000, 7], ['Florence', 1967, 9000, 7], ['Frédérique', 1967, 4000, 7], ['Karine', 1972, 15000, 6],
  ['Sandrine', 1972, 24000, 6], ['Céline', 1978, 18000, 6], ['Stéphanie', 1976, 20000, 6], ['Virginie', 1976, 13000, 6], ['Delphine', 1974, 11000, 6],
  ['Sophie', 1975, 12000, 9], ['Anne-Sophie', 1982, 4500, 7], ['Aurélie', 1982, 18000, 6], ['Émilie', 1984, 14000, 7], ['Élodie', 1985, 14000, 6],
  ['Mélanie', 1984, 13000, 6], ['Julie', 1986, 16000, 7], ['Audrey', 1986, 12000, 6], ['Caroline', 1978, 9000, 8], ['Amandine', 1988, 9000, 6],
  ['Marion', 1990, 10000, 7], ['Laura', 1992, 13000, 6], ['Sarah', 1996, 9000, 9], ['Anaïs', 1994, 9000, 6], ['Pauline', 1992, 10000, 7],
  ['Marine', 1992, 9000, 6], ['Océane', 1996, 9000, 5], ['Camille', 1998, 11000, 9], ['Manon', 1999, 13000, 7], ['Mélissa', 1993, 5000, 6],
  ['Morgane', 1992, 6000, 6], ['Clémence', 1996, 5000, 8], ['Noémie', 1998, 5000, 8], ['Justine', 1995, 6000, 7], ['Léa', 2003, 13000, 7],
  ['Chloé', 2002, 10000, 8], ['Emma', 2008, 10000, 8], ['Inès', 2004, 6500, 8], ['Maëlys', 2006, 5000, 5], ['Clara', 2005, 6000, 9],
  ['Sarah', 2005, 5000, 8], ['Lola', 2008, 5000, 7], ['Zoé', 2009, 5500, 9], ['Jade', 2012, 7500, 7], ['Lina', 2016, 4500, 7],
  ['Alice', 2017, 5000, 9], ['Héloïse', 2010, 2000, 8], ['Maëlle', 2002, 3500, 7], ['Anaëlle', 2008, 1500, 6], ['Mia', 2019, 4000, 5],
  ['Rose', 2020, 4000, 6], ['Ambre', 2019, 4500, 6], ['Anna', 2016, 3500, 8], ['Léna', 2012, 4500, 6], ['Juliette', 2012, 4500, 10],
  ['Romane', 2010, 4500, 6], ['Nina', 2013, 3500, 8], ['Élise', 2010, 2000, 10], ['Éléna', 2014, 1500, 6], ['Léonie', 2018, 2500, 6],
  ['Aïcha', 2000, 1200, 12], ['Fatima', 1985, 2500, 15], ['Khadija', 1990, 1200, 12], ['Yasmine', 2002, 2000, 9], ['Myriam', 1980, 3000, 10],
  ['Nadège', 1974, 3000, 6], ['Gaëlle', 1984, 4500, 7], ['Solène', 1994, 2500, 7], ['Maëva', 1996, 3000, 7], ['Zoë', 2012, 500, 8],
  ['Mathilde', 1994, 6000, 12], ['Margaux', 2000, 5000, 7], ['Capucine', 2008, 1200, 7], ['Joséphine', 2017, 1500, 10], ['Adèle', 2018, 3000, 7],
];

const MALE: FirstNameEntry[] = [
  ['Jean', 1930, 55000, 18], ['Pierre', 1940, 20000, 22], ['Louis', 1910, 15000, 12], ['Louis', 2014, 5000, 7], ['René', 1925, 18000, 11],
  ['André', 1925, 22000, 12], ['Marcel', 1920, 16000, 10], ['Henri', 1920, 11000, 11], ['Georges', 1920, 12000, 11], ['Roger', 1925, 13000, 10],
  ['Robert', 1928, 16000, 11], ['Paul', 1920, 9000, 14], ['Paul', 2015, 3000, 8], ['Joseph', 1915, 11000, 12], ['Lucien', 1920, 8000, 10],
  ['Raymond', 1928, 11000, 10], ['Maurice', 1920, 10000, 10], ['Jacques', 1942, 22000, 10], ['Bernard', 1945, 20000, 9], ['Michel', 1947, 30000, 10],
  ['Claude', 1942, 20000, 10], ['Gérard', 1950, 20000, 8], ['Daniel', 1952, 17000, 10], ['Jean-Pierre', 1950, 17000, 8], ['Jean-Claude', 1948, 15000, 8],
  ['Jean-Louis', 1952, 8000, 8], ['Jean-Marie', 1950, 5000, 10], ['Alain', 1952, 24000, 8], ['Guy', 1945, 8000, 9], ['Serge', 1950, 9000, 8],
  ['Francis', 1950, 6000, 8], ['François', 1958, 10000, 14], ['Roland', 1946, 6000, 9], ['Gilbert', 1940, 6000, 10], ['Gilles', 1958, 11000, 7],
  ['Philippe', 1960, 28000, 8], ['Patrick', 1958, 25000, 7], ['Dominique', 1960, 11000, 8], ['Didier', 1962, 14000, 7], ['Thierry', 1965, 19000, 6],
  ['Pascal', 1963, 18000, 7], ['Éric', 1966, 22000, 7], ['Hervé', 1964, 10000, 7], ['Denis', 1960, 7000, 8], ['Joël', 1958, 6000, 8],
  ['Frédéric', 1970, 20000, 6], ['Laurent', 1968, 21000, 7], ['Olivier', 1970, 18000, 8], ['Christophe', 1970, 26000, 6], ['Stéphane', 1971, 24000, 6],
  ['Bruno', 1964, 11000, 7], ['Franck', 1970, 11000, 6], ['Jérôme', 1975, 16000, 6], ['Sébastien', 1977, 22000, 6], ['Cédric', 1977, 12000, 6],
  ['Ludovic', 1978, 8000, 6], ['Grégory', 1978, 10000, 6], ['Fabrice', 1970, 10000, 6], ['Vincent', 1978, 15000, 9], ['Nicolas', 1982, 22000, 7],
  ['Julien', 1984, 19000, 7], ['Mickaël', 1982, 10000, 6], ['Guillaume', 1985, 14000, 7], ['Romain', 1988, 13000, 7], ['Mathieu', 1984, 10000, 7],
  ['Benoît', 1978, 7000, 8], ['Rémi', 1988, 5000, 9], ['Anthony', 1988, 11000, 6], ['Kévin', 1992, 14000, 5], ['Maxime', 1992, 13000, 7],
  ['Alexandre', 1990, 13000, 9], ['Thomas', 1992, 16000, 9], ['Quentin', 1993, 11000, 6], ['Florian', 1991, 10000, 6], ['Jérémy', 1990, 9000, 6],
  ['Clément', 1996, 9000, 8], ['Hugo', 2005, 9000, 9], ['Théo', 2002, 10000, 8], ['Lucas', 2004, 13000, 8], ['Nathan', 2004, 11000, 7],
  ['Enzo', 2006, 10000, 6], ['Mathéo', 2007, 5000, 6], ['Mattéo', 2010, 3000, 7], ['Mathis', 2005, 8000, 6], ['Tom', 2010, 6000, 8],
  ['Noé', 2014, 4000, 8], ['Léo', 2012, 9000, 8], ['Gabriel', 2016, 8000, 9], ['Raphaël', 2015, 7000, 10], ['Jules', 2012, 8000, 8],
  ['Arthur', 2017, 8000, 8], ['Adam', 2015, 6000, 8], ['Maël', 2018, 5500, 6], ['Noah', 2018, 5000, 7], ['Sacha', 2016, 3500, 8],
  ['Aaron', 2018, 3000, 6], ['Timothée', 2006, 1500, 8], ['Loïc', 1982, 7000, 7], ['Gaël', 1985, 3500, 8], ['Yannick', 1972, 6000, 7],
  ['Anaël', 2008, 600, 7], ['Joël', 1955, 3000, 10], ['Mohamed', 1995, 4500, 15], ['Yanis', 2002, 4500, 7], ['Rayan', 2008, 4000, 7],
  ['Ibrahim', 2005, 1500, 12], ['Mehdi', 1992, 3000, 9], ['Karim', 1982, 2500, 9], ['Moussa', 1998, 900, 12], ['Youssef', 2010, 2000, 10],
  ['Aurélien', 1985, 7000, 6], ['Jean-François', 1962, 6000, 8], ['Jean-Luc', 1960, 6000, 8], ['Jean-Michel', 1958, 5000, 8], ['Marc', 1962, 10000, 10],
  ['Benjamin', 1990, 9000, 9], ['Antoine', 1992, 10000, 12], ['Valentin', 1996, 7000, 7], ['Baptiste', 1998, 6000, 8], ['Corentin', 1996, 4000, 6],
  ['Côme', 2016, 700, 8], ['Joachim', 2010, 800, 10], ['Éloi', 2016, 800, 7], ['Eliès', 2014, 300, 6], ['Ethan', 2012, 5000, 7],
];

/**
 * Surnames in rank order (the first ~150 follow the INSEE/Géopatronyme national ranking),
 * then regional and immigration-origin names.
 */
const SURNAMES: string[] = [
  'Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau', 'Laurent',
  'Simon', 'Michel', 'Lefèbvre', 'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard',
  'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent', 'Muller', 'Lefèvre', 'Faure', 'André',
  'Mercier', 'Blanc', 'Guérin', 'Boyer', 'Garnier', 'Chevalier', 'François', 'Legrand', 'Gauthier', 'Garcia',
  'Perrin', 'Robin', 'Clément', 'Morin', 'Nicolas', 'Henry', 'Roussel', 'Mathieu', 'Gautier', 'Masson',
  'Marchand', 'Duval', 'Denis', 'Dumont', 'Marie', 'Lemaire', 'Noël', 'Meyer', 'Dufour', 'Meunier',
  'Brun', 'Blanchard', 'Giraud', 'Joly', 'Rivière', 'Lucas', 'Brunet', 'Gaillard', 'Barbier', 'Arnaud',
  'Martinez', 'Gérard', 'Roche', 'Renard', 'Schmitt', 'Roy', 'Leroux', 'Colin', 'Vidal', 'Caron',
  'Picard', 'Roger', 'Fabre', 'Aubert', 'Lemoine', 'Renaud', 'Dumas', 'Lacroix', 'Olivier', 'Philippe',
  'Bourgeois', 'Pierre', 'Benoît', 'Rey', 'Leclerc', 'Payet', 'Rolland', 'Leclercq', 'Guillaume', 'Lecomte',
  'Lopez', 'Jean', 'Dupuy', 'Guillot', 'Hubert', 'Berger', 'Carpentier', 'Sanchez', 'Dupuis', 'Moulin',
  'Louis', 'Deschamps', 'Huet', 'Vasseur', 'Perez', 'Boucher', 'Fleury', 'Royer', 'Klein', 'Jacquet',
  'Adam', 'Paris', 'Poirier', 'Marty', 'Aubry', 'Guyot', 'Carré', 'Charles', 'Renault', 'Charpentier',
  'Ménard', 'Maillard', 'Baron', 'Bertin', 'Bailly', 'Hervé', 'Schneider', 'Fernandez', 'Le Gall', 'Collet',
  'Léger', 'Bouvier', 'Julien', 'Prévost', 'Millet', 'Perrot', 'Daniel', 'Le Roux', 'Cousin', 'Germain',
  'Breton', 'Besson', 'Langlois', 'Rémy', 'Le Goff', 'Pelletier', 'Lévêque', 'Perrier', 'Leblanc', 'Barré',
  'Lebrun', 'Marchal', 'Weber', 'Mallet', 'Hamon', 'Boulanger', 'Jacob', 'Monnier', 'Michaud', 'Rodriguez',
  'Guichard', 'Gillet', 'Étienne', 'Grondin', 'Poulain', 'Tessier', 'Chevallier', 'Collin', 'Chauvin', 'Da Silva',
  'Bouchet', 'Gay', 'Lemaître', 'Bénard', 'Maréchal', 'Humbert', 'Reynaud', 'Antoine', 'Hoarau', 'Perret',
  'Barthélemy', 'Cordier', 'Pichon', 'Lejeune', 'Gilbert', 'Lamy', 'Delaunay', 'Pasquier', 'Carlier', 'Laporte',
  'Gosselin', 'Lebon', 'Hébert', 'Boulet', 'Géraud', 'Thébault', 'Bégué', 'Héraud', 'Mérieux', 'Pétin',
  'Le Bihan', 'Le Corre', 'Le Floch', 'Le Guen', 'Le Bris', 'Le Meur', 'Le Berre', 'Kerhervé', 'Quéré', 'Le Hénaff',
  'Kérouédan', 'Tanguy', 'Le Du', 'Guéguen', 'Le Moal', 'Ollivier', 'Prigent', 'Riou', 'Le Lay', 'Jézéquel',
  'Schmitt', 'Wagner', 'Hoffmann', 'Koenig', 'Fischer', 'Haas', 'Walter', 'Mathis', 'Schaeffer', 'Zimmermann',
  'Santoni', 'Luciani', 'Casanova', 'Albertini', 'Pietri', 'Mattei', 'Giacometti', 'Orsini', 'Paoli', 'Franceschi',
  'Etcheverry', 'Etchegaray', 'Iriart', 'Elissalde', 'Harriet', 'Larrondo', 'Bidart', 'Oyhénart', 'Ithurralde', 'Mendiboure',
  'Técher', 'Fontaine', 'Rivière', 'Boyer', 'Hoareau', 'Robert', 'Lebreton', 'Dijoux', 'Maillot', 'Sautron',
  "N'Diaye", 'Diallo', 'Traoré', 'Camara', 'Diop', 'Coulibaly', 'Konaté', 'Cissé', "N'Guyen", 'Sylla',
  'Benali', 'Haddad', 'Belkacem', 'Bensaïd', 'Boukhris', 'Brahimi', 'Mansouri', 'Benmoussa', 'Saïdi', 'Aït-Ahmed',
  'Nguyen', 'Tran', 'Pham', 'Le Van', 'Chen', 'Wang', 'Dos Santos', 'Pereira', 'Ferreira', 'Rodrigues',
  'Gonçalves', 'Fernandes', 'Lopes', 'Oliveira', 'Ribeiro', 'Silva', 'Sousa', 'Carvalho', 'Gomes', 'Martins',
  "D'Amico", "D'Angelo", "D'Almeida", "D'Souza", "O'Neill", "L'Hôte", "L'Huillier", "D'Hondt", "D'Aubigné", "D'Arcy",
  'De Oliveira', 'De Sousa', 'De Almeida', 'Du Pont', 'De La Fontaine', 'Le Bihan-Kérouédan', 'Sainte-Marie', 'Saint-Jean', 'Saint-Pierre', 'Lacôte',
  'Mérel', 'Frère', 'Lenôtre', 'Duchêne', 'Dubœuf', 'Lebœuf', 'Benoît-Guyod', 'Crépin', 'Désiré', 'Gâtineau',
  'Bréchet', 'Caillé', 'Chéron', 'Dégremont', 'Féron', 'Gélin', 'Hélary', 'Lépine', 'Mézière', 'Pénicaud',
];

/** Births with a double surname (both parents' names, allowed since 2005): INSEE reports about 8.5 % around 2014. */
export const DOUBLE_SURNAME_SHARE = 0.085;
export const DOUBLE_SURNAME_FROM_YEAR = 2005;

const FIRST_YEAR = 1915;
const LAST_YEAR = 2030;

export interface NameTable {
  names: string[];
  /** Lower-case ASCII (no accents, spaces and apostrophes removed) for e-mail and MSSanté addresses. */
  ascii: string[];
}

function asciiOf(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/g, 'oe')
    .replace(/[' ]/g, '')
    .toLowerCase();
}

function table(names: string[]): NameTable {
  return { names, ascii: names.map(asciiOf) };
}

function byYear(entries: FirstNameEntry[]): { table: NameTable; tables: AliasTable[] } {
  const names = entries.map((e) => e[0]);
  const tables: AliasTable[] = [];
  for (let y = FIRST_YEAR; y <= LAST_YEAR; y++) {
    tables.push(
      aliasTable(
        entries.map(([, peak, births, spread = 12]) => {
          const z = (y - peak) / spread;
          return births * Math.exp(-0.5 * z * z) + 1; // +1: every name stays possible in every year
        }),
      ),
    );
  }
  return { table: table(names), tables };
}

const female = byYear(FEMALE);
const male = byYear(MALE);

export const FIRST_NAMES = { female: female.table, male: male.table };
export const SURNAME_TABLE: NameTable = table(SURNAMES);
const SURNAME_WEIGHTS: readonly number[] = SURNAMES.map((_, i) => (i + 1) ** -0.75);
export const SURNAME_ALIAS: AliasTable = aliasTable(SURNAME_WEIGHTS);

/** Alias table of first names for a sex and birth year (clamped to 1915–2030). */
export function firstNameTable(sex: 1 | 2, year: number): AliasTable {
  const y = Math.min(LAST_YEAR, Math.max(FIRST_YEAR, year));
  return (sex === 1 ? male : female).tables[y - FIRST_YEAR]!;
}

/** True when a name carries a diacritic (é, è, ê, ë, ï, î, ô, ç, œ ...). */
export function hasDiacritic(s: string): boolean {
  return /[À-ÖØ-öø-ÿŒœ]/.test(s);
}
