/**
 * The JSON of a PV (the source of truth): keys sorted at every level, two-space indent, one final
 * newline, so the same run always gives the same bytes; and its SHA-256, printed in the Markdown
 * and HTML so a signed copy names the JSON it was rendered from. Every PV's run (a drill:
 * modules/drills/pv/, a restore test: modules/restore/pv/) goes through here.
 */
import { createHash } from 'node:crypto';

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function stableJson(run: object): string {
  return `${JSON.stringify(sorted(run), null, 2)}\n`;
}

export function jsonSha256(run: object): string {
  return createHash('sha256').update(stableJson(run)).digest('hex');
}
