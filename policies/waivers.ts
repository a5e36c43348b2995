/** The waivers file (policies/waivers.yaml): parsing and validation, pure (text in, waivers or errors out). */
import { parse } from 'yaml';
import { isCalendarDate } from '../modules/loader/dates.ts';
import type { Waiver } from './types.ts';

/** One problem of the waivers file: where (JSON pointer), what, how to fix it. */
export interface WaiverProblem {
  pointer: string;
  message: string;
  hint: string;
}

export interface WaiverParse {
  waivers: Waiver[];
  /** `pointer: message`, as carried by the reports. */
  errors: string[];
  /** The same problems with their hint, for located messages (`file:line:col /pointer: message (hint)`). */
  problems: WaiverProblem[];
}

export function parseWaivers(text: string, knownRules: Set<string>): WaiverParse {
  const problems: WaiverProblem[] = [];
  const result = (waivers: Waiver[]): WaiverParse => ({ waivers, errors: problems.map((p) => `${p.pointer}: ${p.message}`), problems });
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
  } catch (e) {
    problems.push({ pointer: '/', message: `invalid YAML: ${e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e)}`, hint: 'fix the YAML syntax' });
    return result([]);
  }
  const list = (doc as { waivers?: unknown } | null)?.waivers ?? [];
  if (!Array.isArray(list)) {
    problems.push({ pointer: '/waivers', message: 'must be a list', hint: 'write waivers: as a list of entries, or waivers: []' });
    return result([]);
  }
  const waivers: Waiver[] = [];
  const ids = new Set<string>();
  list.forEach((raw, k) => {
    const w = raw as Record<string, unknown>;
    const at = `/waivers/${k}`;
    const str = (key: string) => (typeof w?.[key] === 'string' && (w[key] as string).trim() ? (w[key] as string) : undefined);
    const scope = w?.scope as { environment?: unknown; subject?: unknown } | undefined;
    const rawExpires = w?.expires;
    const expires = rawExpires instanceof Date ? rawExpires.toISOString().slice(0, 10) : str('expires');
    const mine: WaiverProblem[] = [];
    const add = (ok: unknown, pointer: string, message: string, hint: string) => {
      if (!ok) mine.push({ pointer, message, hint });
    };
    add(str('id'), at, 'id is required', 'give the waiver an id, e.g. id: W-001');
    add(str('rule'), at, 'rule is required', 'name the rule waived, e.g. rule: GOV-002');
    if (str('rule')) add(knownRules.has(str('rule')!), at, `unknown rule ${str('rule')}`, 'use the id of a rule of policies/rules (hdsctl policy --help)');
    add(typeof scope?.environment === 'string' && scope.environment, at, 'scope.environment is required (a name, a comma list or *)', 'e.g. scope: { environment: production }');
    add(scope?.subject === undefined || typeof scope.subject === 'string', `${at}/scope/subject`, 'scope.subject must be a string', 'e.g. subject: "prod-*"');
    add(str('justification'), at, 'justification is required', 'say why the deviation is accepted');
    add(str('owner'), at, 'owner is required', 'name who answers for it');
    if (rawExpires === undefined || rawExpires === null || rawExpires === '') add(false, at, 'expires is required (YYYY-MM-DD)', 'e.g. expires: 2027-01-31');
    else if (!expires || !/^\d{4}-\d{2}-\d{2}$/.test(expires)) add(false, `${at}/expires`, `${JSON.stringify(expires ?? rawExpires)} is not a date`, 'use YYYY-MM-DD, e.g. expires: 2027-01-31');
    else add(isCalendarDate(expires), `${at}/expires`, `"${expires}" is not a calendar date`, 'no such month or day: use YYYY-MM-DD, e.g. expires: 2027-01-31');
    if (str('id')) add(!ids.has(str('id')!), `${at}/id`, `duplicate id ${str('id')}`, 'give each waiver its own id');
    if (mine.length) {
      problems.push(...mine);
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
  return result(waivers);
}
