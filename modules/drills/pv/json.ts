/**
 * The JSON of the PV (the source of truth): keys sorted at every level, two-space indent, one
 * final newline, so the same run always gives the same bytes; and its SHA-256, printed in the
 * Markdown and HTML so a signed copy names the JSON it was rendered from.
 */
import { createHash } from 'node:crypto';
import type { DrillRun } from '../types.ts';

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function stableJson(run: DrillRun): string {
  return `${JSON.stringify(sorted(run), null, 2)}\n`;
}

export function jsonSha256(run: DrillRun): string {
  return createHash('sha256').update(stableJson(run)).digest('hex');
}
