/**
 * Dates as day numbers (days since 1900-01-01, UTC) with precomputed text forms, so that
 * generating a date or a timestamp is an array lookup and a concatenation, not a Date object.
 * Timestamps are written the way PostgreSQL prints timestamptz with TimeZone=UTC and
 * DateStyle=ISO ("2024-05-03 14:07:09+00"), so a loaded table hashes like the generated stream.
 */
const EPOCH = Date.UTC(1900, 0, 1);
const DAY_MS = 86_400_000;
const LAST = Date.UTC(2040, 11, 31);
const DAY_COUNT = Math.round((LAST - EPOCH) / DAY_MS) + 1;

const DAY_TEXT: string[] = new Array(DAY_COUNT);
const DAY_YEAR = new Int16Array(DAY_COUNT);
/**
 * "YYYY-MM-DD" of every day as ASCII bytes at a stride of 12 (3 32-bit words, 2 bytes of
 * slack): the byte-level COPY encoder copies them.
 */
export const DAY_ASCII = new Uint8Array(DAY_COUNT * 12 + 4);
export const DAY_ASCII_VIEW = new DataView(DAY_ASCII.buffer);
for (let i = 0; i < DAY_COUNT; i++) {
  const d = new Date(EPOCH + i * DAY_MS);
  DAY_TEXT[i] = d.toISOString().slice(0, 10);
  for (let k = 0; k < 10; k++) DAY_ASCII[i * 12 + k] = DAY_TEXT[i]!.charCodeAt(k);
  DAY_YEAR[i] = d.getUTCFullYear();
}

const TWO: string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Day number of a calendar date. */
const MONTH_START: Int32Array = (() => {
  const a = new Int32Array((2041 - 1900) * 12);
  for (let y = 1900; y <= 2040; y++) for (let m = 1; m <= 12; m++) a[(y - 1900) * 12 + m - 1] = Math.round((Date.UTC(y, m - 1, 1) - EPOCH) / DAY_MS);
  return a;
})();

export function dayOf(year: number, month: number, day: number): number {
  if (year >= 1900 && year <= 2040) return MONTH_START[(year - 1900) * 12 + month - 1]! + day - 1;
  return Math.round((Date.UTC(year, month - 1, day) - EPOCH) / DAY_MS);
}

/** Day number of an ISO date "YYYY-MM-DD". */
export function dayOfIso(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number);
  return dayOf(y!, m!, d!);
}

export function dateText(day: number): string {
  return DAY_TEXT[day]!;
}

export function yearOf(day: number): number {
  return DAY_YEAR[day]!;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : MONTH_DAYS[month - 1]!;
}

/** "YYYY-MM-DD HH:MM:SS+00" from a day number and a second of the day (0..86399). */
export function timestampText(day: number, second: number): string {
  const h = (second / 3600) | 0;
  const m = ((second % 3600) / 60) | 0;
  return `${DAY_TEXT[day]} ${TWO[h]}:${TWO[m]}:${TWO[second % 60]}+00`;
}

/** ISO 8601 for FHIR ("2024-05-03T14:07:09Z") from the PostgreSQL form. */
export function pgTimestampToIso(ts: string): string {
  return `${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`;
}
