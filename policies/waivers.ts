/** The waivers file (policies/waivers.yaml): parsing and validation, pure (text in, waivers or errors out). */
import { parse } from 'yaml';
import type { Waiver } from './types.ts';

export interface WaiverParse {
  waivers: Waiver[];
  errors: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseWaivers(text: string, knownRules: Set<string>): WaiverParse {
  const errors: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return { waivers: [], errors: [`invalid YAML: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const list = (doc as { waivers?: unknown } | null)?.waivers ?? [];
  if (!Array.isArray(list)) return { waivers: [], errors: ['/waivers must be a list'] };
  const waivers: Waiver[] = [];
  const ids = new Set<string>();
  list.forEach((raw, k) => {
    const w = raw as Record<string, unknown>;
    const at = `/waivers/${k}`;
    const str = (key: string) => (typeof w?.[key] === 'string' && (w[key] as string).trim() ? (w[key] as string) : undefined);
    const scope = w?.scope as { environment?: unknown; subject?: unknown } | undefined;
    const expires = w?.expires instanceof Date ? w.expires.toISOString().slice(0, 10) : str('expires');
    const problems = [
      !str('id') && 'id is required',
      !str('rule') && 'rule is required',
      str('rule') && !knownRules.has(str('rule')!) && `unknown rule ${str('rule')}`,
      (typeof scope?.environment !== 'string' || !scope.environment) && 'scope.environment is required (a name, a comma list or *)',
      scope?.subject !== undefined && typeof scope.subject !== 'string' && 'scope.subject must be a string',
      !str('justification') && 'justification is required',
      !str('owner') && 'owner is required',
      (!expires || !DATE.test(expires)) && 'expires must be a date YYYY-MM-DD',
      str('id') && ids.has(str('id')!) && `duplicate id ${str('id')}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) {
      errors.push(...problems.map((p) => `${at}: ${p}`));
      return;
    }
    ids.add(str('id')!);
    waivers.push({
      id: str('id')!,
      rule: str('rule')!,
      scope: { environment: scope!.environment as string, ...(typeof scope?.subject === 'string' ? { subject: scope.subject } : {}) },
      justification: str('justification')!,
      owner: str('owner')!,
      expires: expires!,
    });
  });
  return { waivers, errors };
}
