/**
 * French health identifiers with their real structure and check keys (EXG_ENV_15, EXG_ENV_14).
 *
 * - NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale") and the INS
 *   matricule (INS-NIR, the same 13 characters + key, OID 1.2.250.1.213.1.4.8):
 *   sex (1) · year (2) · month (2) · birth place (5: département + commune, or 99 + country
 *   for people born abroad) · order number (3) · key (2).
 *   key = 97 − (first 13 digits mod 97); for Corsica, 2A is read as 19 and 2B as 18.
 * - RPPS (répertoire partagé des professionnels de santé): 11 digits, starting with 1,
 *   the last one a Luhn check digit; the national identifier of the professional
 *   (IDNPS, on the CPS card) is "8" followed by the RPPS number.
 */

/** The numeric value of the 13 first characters of a NIR, Corsica read as 19 (2A) / 18 (2B). */
function nirNumeric(first13: string): number {
  const c = first13.charCodeAt(6);
  if (c === 65 || c === 66) return Number(`${first13.slice(0, 5)}${c === 65 ? '19' : '18'}${first13.slice(7)}`);
  return Number(first13);
}

/** NIR key: 97 − (n mod 97), two digits. The 13-digit value is < 2^53, exact in a double. */
export function nirKey(first13: string): string {
  const k = 97 - (nirNumeric(first13) % 97);
  return k < 10 ? `0${k}` : String(k);
}

const NIR_RE = /^[12]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}$/;

/** True when a 15-character NIR has a valid structure and key. */
export function isValidNir(nir: string): boolean {
  if (!NIR_RE.test(nir)) return false;
  const month = Number(nir.slice(3, 5));
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return false;
  if (nir.slice(10, 13) === '000') return false;
  return nirKey(nir.slice(0, 13)) === nir.slice(13);
}

/**
 * Builds a NIR: sex 1 (male) or 2 (female), birth year and month, the 5-character INSEE code of
 * the birth commune (or 99 + country code), the order number 1..999 in the month and place.
 */
export function makeNir(sex: 1 | 2, year: number, month: number, place5: string, order: number): string {
  const yy = year % 100;
  const first13 = `${sex}${yy < 10 ? '0' : ''}${yy}${month < 10 ? '0' : ''}${month}${place5}${order < 10 ? '00' : order < 100 ? '0' : ''}${order}`;
  // The key from the numeric parts (no re-parsing): Corsica's 2A/2B count as 19/18.
  const c = place5.charCodeAt(1);
  const placeNum = c === 65 ? 19000 + Number(place5.slice(2)) : c === 66 ? 18000 + Number(place5.slice(2)) : Number(place5);
  const n = sex * 1e12 + yy * 1e10 + month * 1e8 + placeNum * 1e3 + order;
  const k = 97 - (n % 97);
  return first13 + (k < 10 ? `0${k}` : k);
}

/** Luhn check digit of a string of digits (the digit that makes the whole string Luhn-valid). */
export function luhnDigit(digits: string): number {
  let sum = 0;
  let double = true;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

export function isLuhnValid(digits: string): boolean {
  return /^\d+$/.test(digits) && luhnDigit(digits.slice(0, -1)) === digits.charCodeAt(digits.length - 1) - 48;
}

/** RPPS number of the n-th professional (n ≥ 0): "10" + 8 digits + Luhn key; distinct for distinct n < 10^8. */
export function makeRpps(serial: number): string {
  const body = `10${String(serial).padStart(8, '0')}`;
  return body + luhnDigit(body);
}

export function isValidRpps(rpps: string): boolean {
  return /^1\d{10}$/.test(rpps) && isLuhnValid(rpps);
}

/** IDNPS of a professional registered in the RPPS: "8" + RPPS (11 digits), 12 characters. */
export function idnps(rpps: string): string {
  return `8${rpps}`;
}

/** The INS OID (INS-NIR) used as identifier system in FHIR and CDA headers. */
export const INS_NIR_OID = '1.2.250.1.213.1.4.8';
/** OID of national identifiers of health professionals (IDNPS). */
export const IDNPS_OID = '1.2.250.1.71.4.2.1';

/** The secure mailbox of a user: the 15-character INS matricule @patient.mssante.fr (MESDMP-3.1.3.4.7.3-1). */
export function patientMailbox(ins: string): string {
  return `${ins}@patient.mssante.fr`;
}
