/**
 * Requirement coverage: which catalog requirements whose check kind is `policy` a rule covers.
 * The ratio is the automation rate the CCTP asks to publish (EXG_ENV_17). Pure: the catalog
 * entries are read by the CLI.
 */
import type { Rule } from './types.ts';

export interface CatalogEntry {
  id: string;
  area?: string;
  check?: string;
  also_check?: string[];
  en?: string;
  fr?: string;
}

export interface CoverageRow {
  id: string;
  area: string;
  /** primary: `check: policy`; secondary: `policy` in also_check. */
  kind: 'primary' | 'secondary';
  rules: string[];
  covered: boolean;
  en: string;
}

export interface Coverage {
  primary: { total: number; covered: number; ratio: number };
  secondary: { total: number; covered: number };
  rows: CoverageRow[];
  /** Requirement ids rules name that are not in the catalog at all (typos). */
  unknownIds: string[];
}

export function coverage(catalog: CatalogEntry[], rules: readonly Rule[]): Coverage {
  const byReq = new Map<string, string[]>();
  for (const r of rules) for (const q of r.requirements.filter((x) => x.framework === 'CCTP')) byReq.set(q.id, [...(byReq.get(q.id) ?? []), r.id]);
  const rows: CoverageRow[] = [];
  for (const e of catalog) {
    const kind = e.check === 'policy' ? 'primary' : e.also_check?.includes('policy') ? 'secondary' : undefined;
    if (!kind) continue;
    const rs = byReq.get(e.id) ?? [];
    rows.push({ id: e.id, area: e.area ?? '', kind, rules: rs, covered: rs.length > 0, en: e.en ?? '' });
  }
  const primary = rows.filter((r) => r.kind === 'primary');
  const secondary = rows.filter((r) => r.kind === 'secondary');
  const known = new Set(catalog.map((e) => e.id));
  return {
    primary: {
      total: primary.length,
      covered: primary.filter((r) => r.covered).length,
      ratio: primary.length ? primary.filter((r) => r.covered).length / primary.length : 0,
    },
    secondary: { total: secondary.length, covered: secondary.filter((r) => r.covered).length },
    rows,
    unknownIds: [...byReq.keys()].filter((id) => !known.has(id)).sort(),
  };
}

/** A catalog document checked: its entries, or the problems (JSON pointer, message, hint). */
export function catalogEntries(doc: unknown): { entries: CatalogEntry[]; problems: Array<{ pointer: string; message: string; hint: string }> } {
  const list = (doc as { requirements?: unknown } | null)?.requirements;
  if (!Array.isArray(list)) return { entries: [], problems: [{ pointer: '/requirements', message: 'no requirements list', hint: 'a catalog has requirements: [{ id, check, ... }]' }] };
  const problems: Array<{ pointer: string; message: string; hint: string }> = [];
  list.forEach((e, k) => {
    const entry = e as Partial<Record<keyof CatalogEntry, unknown>> | null;
    if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string' || !entry.id)
      problems.push({ pointer: `/requirements/${k}`, message: 'entry without an id', hint: 'every requirement has id: <string>' });
    else if (entry.also_check !== undefined && !Array.isArray(entry.also_check))
      problems.push({ pointer: `/requirements/${k}/also_check`, message: 'also_check must be a list', hint: 'e.g. also_check: [policy]' });
  });
  return { entries: problems.length ? [] : (list as CatalogEntry[]), problems };
}
