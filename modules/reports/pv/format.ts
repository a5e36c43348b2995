/**
 * The value formats of every PV, French (decimal comma, ` : `) or English: numbers, seconds,
 * percentages, durations, counts; and `arr`, a list from the run or none. Every function takes the
 * raw value from the run and never throws: anything that is not a finite number prints as '—'.
 */
import type { Lang } from '../../../policies/types.ts';

/** A list from the run; an empty one for anything else (a missing or malformed field). */
export const arr = <T>(v: T[] | undefined | null): T[] => (Array.isArray(v) ? v : []);

/** `x` with `digits` decimals, decimal comma in French; '—' for a value that is not a finite number. */
export function num(x: unknown, digits: number, lang: Lang): string {
  const n = Number(x);
  if (typeof x === 'boolean' || x === null || x === undefined || x === '' || !Number.isFinite(n)) return '—';
  // Half up on the decimal written value (11.35 → 11.4), which toFixed misses for binary reasons.
  const shifted = Number(`${n}e${digits}`);
  const r = Number.isFinite(shifted) ? Math.round(shifted) / 10 ** digits : n;
  let s = r.toFixed(digits);
  if (/^-0(\.0*)?$/.test(s)) s = s.slice(1);
  return lang === 'fr' ? s.replace('.', ',') : s;
}

/** Milliseconds as seconds with one decimal: `11,4 s`. */
export function seconds(ms: unknown, lang: Lang): string {
  const n = Number(ms);
  return ms === undefined || ms === null || !Number.isFinite(n) ? '—' : `${num(n / 1000, 1, lang)} s`;
}

/** A fraction as a percentage with two decimals: `0,44 %`. */
export function percent(fraction: unknown, lang: Lang): string {
  const n = Number(fraction);
  return fraction === undefined || fraction === null || !Number.isFinite(n) ? '—' : `${num(n * 100, 2, lang)} %`;
}

/** Whole seconds as `1 h 05 min 03 s`, `43 min 12 s`, `12 s`. */
export function duration(totalSeconds: unknown, lang: Lang): string {
  const n = Number(totalSeconds);
  if (totalSeconds === undefined || totalSeconds === null || !Number.isFinite(n)) return '—';
  if (n < 60) return `${num(n, Number.isInteger(n) ? 0 : 1, lang)} s`;
  const s = Math.round(n);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const pad = (v: number) => String(v).padStart(2, '0');
  if (h) return `${h} h ${pad(m)} min ${pad(r)} s`;
  return `${m} min ${r ? `${r} s` : ''}`.trim();
}

/** The label separator: ` : ` in French typography, `: ` in English. */
export function colon(lang: Lang): string {
  return lang === 'fr' ? ' : ' : ': ';
}

/** An integer count; '—' for anything else. */
export function int(x: unknown): string {
  const n = Number(x);
  return typeof x === 'number' && Number.isFinite(n) ? String(Math.round(n)) : '—';
}
