/**
 * Row encoders: PostgreSQL COPY text (the canonical form, also hashed by --check), CSV
 * (RFC 4180, header line), NDJSON (one object per row). FHIR lives in fhir.ts.
 */
import type { Value } from './generate.ts';
import type { TableDef } from './tables.ts';

/**
 * COPY text format, one line without its newline: tab-separated, \N for NULL, t/f for
 * booleans. Generated values never hold tabs, newlines or backslashes (checked by the unit
 * tests), so no escaping is needed. Built with a native join so the line is one flat string
 * (concatenation would build rope strings that are slow to flatten later). With `reuse`, the
 * caller's array is rewritten in place (NULL and booleans replaced) instead of copied.
 */
export function pgLine(values: Value[], reuse = false): string {
  let a = values;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === true || v === false) {
      if (a === values && !reuse) a = values.slice();
      a[i] = v === null ? '\\N' : v ? 't' : 'f';
    }
  }
  return a.join('\t');
}

/** COPY text with its newline (for tests and one-off uses). */
export function pgText(values: Value[]): string {
  return `${pgLine(values)}\n`;
}

const CSV_QUOTE = /[",\n\r]/;

export function csvHeader(t: TableDef): string {
  return t.columns.map((c) => c.name).join(',');
}

/** One CSV record without its newline (RFC 4180 quoting; NULL is an empty field). */
export function csvLine(values: Value[]): string {
  const a = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    a[i] = v === null ? '' : typeof v === 'string' ? (CSV_QUOTE.test(v) ? `"${v.replace(/"/g, '""')}"` : v) : String(v);
  }
  return a.join(',');
}

/** One NDJSON object without its newline. */
export function ndjsonLine(t: TableDef, values: Value[]): string {
  const o: Record<string, Value> = {};
  for (let i = 0; i < values.length; i++) o[t.columns[i]!.name] = values[i]!;
  return JSON.stringify(o);
}
