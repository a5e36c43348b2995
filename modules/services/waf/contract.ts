/**
 * The API contract (modules/model/apiContract.ts) as ModSecurity rules: the content of
 * `modsecurity/positive-model.conf`, included before the virtual patches and the OWASP CRS
 * (EXG_WAF_1 "contract validation", EXG_SEC_3.5). docs/waf.md gives the reasons.
 *
 * Phase 1 (request line and headers), in this order:
 *   Host          a declared server name or the WAF's own listen address, else 421 (10002-10005, 10008)
 *   headers       no routing-override header, every value in the header alphabet, else 403 (10006-10007)
 *   route         `METHOD path` matches one declared route (sets tx.hds_route_id), else 403 (10010-10999)
 *   per route     no query string unless declared (403; a declared one malformed: 400), body size
 *                 announced within the route's limit (413), declared content type (415)
 * Phase 2 (JSON body, parsed by ModSecurity's JSON processor into ARGS:json.<field>; libmodsecurity
 * 3.0.9 puts JSON values in ARGS only, not ARGS_POST, and looks collection keys up case-insensitively,
 * hence the case-sensitive check of ARGS_NAMES first):
 *   per route     no undeclared field, none twice, every required one, each value's format and
 *                 length (400; a document field over its length is the service's 413); then the
 *                 CRS exclusions of that route's fields (below), so the CRS runs on free text only.
 *                 No phase-2 denial uses a status with a JSON error page (render.ts): its audit
 *                 entry would be lost.
 *
 * Anchors are `\A` and `\z`: ModSecurity compiles every @rx with PCRE2_MULTILINE, where `^` and
 * `$` also match around a newline (`/health%0a/admin` would match `^GET /health$`).
 *
 * CRS exclusions, each scoped to one field of one route, applied only after the contract has
 * proved that field's value:
 *   - a field of an inert format (base64, code, uuid, date, FHIR resource type) is removed from
 *     every CRS rule (`ctl:ruleRemoveTargetByTag=OWASP_CRS;ARGS:json.<field>`) and every shipped
 *     virtual-patch signature (patches.ts SIGNATURE_TAG): its alphabet holds nothing they look
 *     for. For the document content this also fixes 932140 (`+` of base64 decoded as a space by
 *     t:urlDecodeUni) and spares their regexes 27 MB of base64 (seconds of CPU per document);
 *   - a JSON route's raw REQUEST_BODY is removed from every CRS rule: the JSON processor exposes
 *     each value as ARGS (with its JSON escapes undone, which the raw body hides), and the contract
 *     proved there is nothing else in the body;
 *   - a free-text field keeps the CRS, minus the rules its text profile lists in
 *     TEXT_PROFILE_CRS_EXCLUSIONS, each with the false positive it causes on that language.
 *
 * Rule ids: 10000-10999 the request-wide rules, 11000 + 40 × route index (+0..39) per route;
 * 19000-19999 belong to the virtual patches (patches.ts). Messages name the rule and route,
 * never a request value.
 *
 * Pure: routes -> text. Throws on what the model's validation refuses.
 */
import {
  type ApiContract,
  type ApiField,
  type ApiHeaderPolicy,
  type ApiRoute,
  assertContract,
  type CodePointRange,
  contractProblems,
  type HttpMethod,
  PLATFORM_HEADER_POLICY,
  routePathRegex,
  STRING_FORMATS,
  type StringFormat,
  TEXT_PROFILES,
  type TextProfileName,
} from '../../model/apiContract.ts';
import { SIGNATURE_TAG } from './patches.ts';

/** One declared operation of the protected API, as the positive model sees it. */
export interface WafRoute {
  method: HttpMethod;
  /**
   * Regex (PCRE, JS-compatible subset) matched against the *whole* raw request path
   * (query string excluded); the renderer anchors it, e.g. `/documents/[0-9a-f-]{36}`.
   */
  pathRegex: string;
  /** Free text kept as a comment in the rules, e.g. `read one document`. */
  description?: string;
  /**
   * The route's full contract (query, body, fields). Without it only `METHOD path` is enforced:
   * any query string, body and content type pass on to the CRS.
   */
  contract?: ApiRoute;
}

/** The routes of a contract for the WAF (positive model + contract rules). */
export function wafRoutesOf(c: ApiContract): WafRoute[] {
  assertContract(c);
  return c.routes.map((r) => ({ method: r.method, pathRegex: routePathRegex(r), description: r.description, contract: r }));
}

/** A CRS rule switched off for one field, and the false positive that justifies it. */
export interface CrsExclusion {
  ruleId: number;
  reason: string;
}

/**
 * CRS 3.3 rules removed from the free-text fields of a profile (and only from those fields): the
 * false positives each causes on legitimate French clinical text, found with the legitimate
 * corpus (modules/services/waf/corpus/). Attack detection on the field stays with libinjection
 * (942100), the XSS, LFI, RFI, PHP, Java and Node.js families, the remaining SQL rules, and the
 * contract's alphabet (no ` $ { } | \).
 */
const CLINICAL_FR_EXCLUSIONS: readonly CrsExclusion[] = [
  {
    ruleId: 932110,
    reason:
      'Windows command injection: a `;` followed by a Windows command name, which in French notes is a word or an abbreviation ("; date de fin : 12/06", "; FC 72/min"); no shell reads the field, and the Unix separators and substitutions (| ` $) are outside the text profile',
  },
  {
    ruleId: 932115,
    reason: 'Windows command injection: "; select des antibiotiques" (select is a Windows command; here a French verb)',
  },
  {
    ruleId: 942190,
    reason: 'MSSQL code execution and information gathering: French elision before a SQL keyword ("l\'union des deux dossiers", "d\'union")',
  },
  {
    ruleId: 942350,
    reason:
      'MySQL UDF injection / data structure manipulation: a `;` followed by select, update, delete, insert or drop as French words ("; update du traitement", "; drop du doublon")',
  },
];

export const TEXT_PROFILE_CRS_EXCLUSIONS: Record<TextProfileName, readonly CrsExclusion[]> = {
  'clinical-fr': CLINICAL_FR_EXCLUSIONS,
  'clinical-fr-multiline': CLINICAL_FR_EXCLUSIONS,
};

export interface ContractRenderOptions {
  /** Header policy of the contract. @default PLATFORM_HEADER_POLICY */
  headers?: ApiHeaderPolicy;
  /** Public names the WAF serves (lower case), e.g. `waf.lab.hds`. @default none */
  serverNames?: readonly string[];
  /** The WAF's own listen address: a Host naming it is the platform's own probes and clients dialling the address. */
  listenAddress: string;
  /**
   * The body limit nginx enforces for every route (client_max_body_size, chunked bodies
   * included); a route's lower limit is checked on its Content-Length in phase 1.
   * @default the largest of the routes' body limits
   */
  bodyLimit?: number;
}

const HOST_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const q = (s: string) => s.replace(/'/g, '');

function hex(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

function byteClass(lo: number, hi: number): string {
  return lo === hi ? hex(lo) : `[${hex(lo)}-${hex(hi)}]`;
}

function utf8(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/** Byte-range sequences matching exactly the UTF-8 encodings of the code points in [lo, hi] (surrogates excluded). */
export function utf8Sequences(lo: number, hi: number): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  const stack: Array<[number, number]> = [[lo, hi]];
  while (stack.length) {
    let [s, e] = stack.pop() as [number, number];
    split: for (;;) {
      if (s > e) break;
      if (s <= 0xdfff && e >= 0xd800) {
        if (e > 0xdfff) stack.push([0xe000, e]);
        e = 0xd7ff;
        continue;
      }
      for (const max of [0x7f, 0x7ff, 0xffff]) {
        if (s <= max && max < e) {
          stack.push([max + 1, e]);
          e = max;
          continue split;
        }
      }
      if (e <= 0x7f) {
        out.push([[s, e]]);
        break;
      }
      for (let i = 1; i < 4; i++) {
        const m = (1 << (6 * i)) - 1;
        if ((s & ~m) !== (e & ~m)) {
          if ((s & m) !== 0) {
            stack.push([(s | m) + 1, e]);
            e = s | m;
            continue split;
          }
          if ((e & m) !== m) {
            stack.push([e & ~m, e]);
            e = (e & ~m) - 1;
            continue split;
          }
        }
      }
      const a = utf8(s);
      const b = utf8(e);
      out.push(a.map((x, k) => [x, b[k] as number]));
      break;
    }
  }
  return out;
}

/**
 * One UTF-8 encoded character among `ranges`, as a byte-level regex (ModSecurity's PCRE2 runs
 * without the UTF flag): `(?:[ascii]|\xc3[\x80-\xbf]|…)`. Counting its repetitions counts
 * characters, and a value with any other byte sequence (another script, a control character,
 * invalid UTF-8) does not match.
 */
export function utf8CharRegex(ranges: readonly CodePointRange[]): string {
  const ascii: string[] = [];
  const multi: string[] = [];
  const seqs = ranges.flatMap(([a, b]) => utf8Sequences(a, b));
  seqs.sort((x, y) => x[0]![0] - y[0]![0]);
  for (const s of seqs) {
    if (s.length === 1) ascii.push(s[0]![0] === s[0]![1] ? hex(s[0]![0]) : `${hex(s[0]![0])}-${hex(s[0]![1])}`);
    else multi.push(s.map(([lo, hi]) => byteClass(lo, hi)).join(''));
  }
  const alts = [...(ascii.length ? [`[${ascii.join('')}]`] : []), ...multi];
  return `(?:${alts.join('|')})`;
}

/**
 * The anchored PCRE of a whole value of `f`: its alphabet (text: the profile's characters, any
 * number; the length is checked apart, see fieldRules). No bounded repeat of a group: PCRE2 copies
 * the group once per repetition and refuses a pattern over 64 KB ("regular expression is too
 * large"), and ModSecurity then loads the rule without complaint and never matches it.
 */
export function fieldValueRegex(f: ApiField): string {
  if (f.format === 'text') return `\\A${utf8CharRegex(TEXT_PROFILES[f.text ?? 'clinical-fr'].ranges)}*+\\z`;
  const fmt = STRING_FORMATS[f.format];
  // Inert formats are checked for the alphabet here and for the length with t:length (cheap on 27 MB).
  return `\\A(?:${fmt.pattern.replace(/\*(?!\+)/g, '*+')})\\z`;
}

/** Divisible by 4, as a decimal string (t:length): the last two digits decide. */
const LENGTH_DIV4 = '(?:\\A|[02468])[048]\\z|[13579][26]\\z';

interface RuleCtx {
  lines: string[];
  id: number;
  route: ApiRoute;
}

function tags(route: string | undefined, family: string): string {
  return [`tag:'hds/contract'`, `tag:'hds/contract/${family}'`, ...(route ? [`tag:'hds/route/${route}'`] : []), `tag:'EXG_WAF_1'`].join(',');
}

function deny(ctx: RuleCtx, phase: 1 | 2, status: number, family: string, msg: string): string {
  return `id:${ctx.id++},phase:${phase},deny,status:${status},log,auditlog,msg:'EXG_WAF_1 ${q(msg)} (route ${ctx.route.id})',${tags(ctx.route.id, family)},severity:'CRITICAL'`;
}

function fieldRules(ctx: RuleCtx, phase: 1 | 2, variable: string, name: string, f: ApiField, where: string): void {
  const v = `${variable}:${name}`;
  const L = ctx.lines;
  // A document field over its length is the service's 413 (with its limits); the WAF bounds it by
  // the request size (a phase-2 denial here could not carry the JSON error page, render.ts).
  const lengthRule = (rule: string) => {
    if ((f.tooLong ?? 'refuse') === 'refuse') L.push(rule);
    else L.push(`# (longer than ${f.maxLength}: the service answers 413)`);
  };
  L.push(
    `# ${where} ${name}: ${f.format === 'text' ? `text (${f.text})` : f.format}, ${f.minLength}..${f.maxLength}${f.required ? ', required' : ''} -- ${q(f.description)}`,
  );
  L.push(`SecRule &${v} "@gt 1" "${deny(ctx, phase, 400, 'duplicate', `${where} ${name} given more than once`)},t:none"`);
  if (f.required) L.push(`SecRule &${v} "@eq 0" "${deny(ctx, phase, 400, 'missing', `${where} ${name} missing`)},t:none"`);
  if (f.format === 'text') {
    // Bytes first (every character of a profile takes at most 3 bytes): the alphabet regex never
    // runs on a huge value. Then the alphabet (also proves valid UTF-8), then the length in
    // characters: utf8toUnicode turns each multi-byte character into %uXXXX, urlDecodeUni turns
    // that back into one byte, so t:length counts characters (a literal %XX in the text counts
    // one: the WAF may under-count, never over-count; the service checks exactly).
    lengthRule(`SecRule ${v} "@gt ${f.maxLength * 3}" "${deny(ctx, phase, 400, 'length', `${where} ${name} too long`)},t:none,t:length"`);
    L.push(`SecRule ${v} "!@rx ${fieldValueRegex(f)}" "${deny(ctx, phase, 400, 'format', `${where} ${name} outside its text profile (${f.text})`)},t:none"`);
    lengthRule(
      `SecRule ${v} "@gt ${f.maxLength}" "${deny(ctx, phase, 400, 'length', `${where} ${name} too long`)},t:none,t:utf8toUnicode,t:urlDecodeUni,t:length"`,
    );
    if (f.minLength > 0) L.push(`SecRule ${v} "@lt ${f.minLength}" "${deny(ctx, phase, 400, 'length', `${where} ${name} too short`)},t:none,t:length"`);
    return;
  }
  const fmt: StringFormat = STRING_FORMATS[f.format];
  lengthRule(`SecRule ${v} "@gt ${f.maxLength}" "${deny(ctx, phase, 400, 'length', `${where} ${name} too long`)},t:none,t:length"`);
  L.push(`SecRule ${v} "@lt ${f.minLength}" "${deny(ctx, phase, 400, 'length', `${where} ${name} too short`)},t:none,t:length"`);
  L.push(`SecRule ${v} "!@rx ${fieldValueRegex(f)}" "${deny(ctx, phase, 400, 'format', `${where} ${name} is not ${f.format}`)},t:none"`);
  if (fmt.lengthMultipleOf === 4)
    L.push(`SecRule ${v} "!@rx ${LENGTH_DIV4}" "${deny(ctx, phase, 400, 'format', `${where} ${name} length is not a multiple of 4`)},t:none,t:length"`);
  else if (fmt.lengthMultipleOf !== undefined) throw new Error(`lengthMultipleOf ${fmt.lengthMultipleOf} is not rendered (only 4)`);
}

/** ctl actions: the CRS exclusions of one field (see the file comment). */
function exclusions(target: string, f: ApiField): string[] {
  if (f.format !== 'text') return [`ctl:ruleRemoveTargetByTag=OWASP_CRS;${target}`, `ctl:ruleRemoveTargetByTag=${SIGNATURE_TAG};${target}`];
  return TEXT_PROFILE_CRS_EXCLUSIONS[f.text ?? 'clinical-fr'].map((e) => `ctl:ruleRemoveTargetById=${e.ruleId};${target}`);
}

function exclusionComments(target: string, f: ApiField): string[] {
  if (f.format !== 'text')
    return [`#   ${target}: every CRS rule and shipped virtual-patch signature (format ${f.format} proved above: ${STRING_FORMATS[f.format].description})`];
  return TEXT_PROFILE_CRS_EXCLUSIONS[f.text ?? 'clinical-fr'].map((e) => `#   ${target}: ${e.ruleId} -- ${e.reason}`);
}

function renderRoute(lines: string[], r: ApiRoute, index: number, bodyLimit: number): void {
  const base = 11000 + 40 * index;
  const ctx: RuleCtx = { lines, id: base + 1, route: r };
  const endP1 = `END_HDS_ROUTE_${index}_P1`;
  const endP2 = `END_HDS_ROUTE_${index}_P2`;
  const query = Object.entries(r.query);
  lines.push('', `# --- route ${r.id}: ${r.method} ${r.path} -- ${q(r.description)}`);
  lines.push(`SecRule TX:hds_route_id "!@streq ${r.id}" "id:${base},phase:1,pass,nolog,t:none,skipAfter:${endP1}"`);
  if (query.length === 0) {
    lines.push(`SecRule QUERY_STRING "@rx ." "${deny(ctx, 1, 403, 'query', 'query string on a route that declares none')},t:none"`);
  } else {
    const names = query.map(([n]) => n).join('|');
    lines.push(`SecRule ARGS_GET_NAMES "!@rx \\A(?:${names})\\z" "${deny(ctx, 1, 403, 'query', 'undeclared query parameter')},t:none"`);
    for (const [n, f] of query) fieldRules(ctx, 1, 'ARGS_GET', n, f, 'query parameter');
    const ctl = query.flatMap(([n, f]) => exclusions(`ARGS:${n}`, f));
    if (ctl.length) {
      lines.push('# CRS exclusions of the declared query parameters, once proved:', ...query.flatMap(([n, f]) => exclusionComments(`ARGS:${n}`, f)));
      lines.push(`SecAction "id:${ctx.id++},phase:1,pass,nolog,t:none,${ctl.join(',')}"`);
    }
  }
  if (!r.body) {
    lines.push(`SecRule REQUEST_HEADERS:Content-Length "!@rx \\A0?\\z" "${deny(ctx, 1, 413, 'body', 'body on a route that takes none')},t:none"`);
    lines.push(`SecRule &REQUEST_HEADERS:Transfer-Encoding "@gt 0" "${deny(ctx, 1, 413, 'body', 'body on a route that takes none')},t:none"`);
    lines.push(`SecMarker ${endP1}`);
    if (ctx.id > base + 40) throw new Error(`route ${r.id} needs more than 40 rule ids`);
    return;
  }
  const b = r.body;
  const types = b.contentTypes.map((t) => t.replace(/[.+]/g, (c) => `\\${c}`)).join('|');
  lines.push(`SecRule REQUEST_HEADERS:Content-Length "@gt ${b.maxBytes}" "${deny(ctx, 1, 413, 'body', `body larger than ${b.maxBytes} bytes`)},t:none"`);
  lines.push(`SecRule &REQUEST_HEADERS:Content-Type "@eq 0" "${deny(ctx, 1, 415, 'content-type', 'no content type')},t:none"`);
  lines.push(
    `SecRule REQUEST_HEADERS:Content-Type "!@rx \\A(?:${types})(?:[ \\t]*;[ \\t]*charset=utf-8)?\\z" "${deny(ctx, 1, 415, 'content-type', `content type other than ${b.contentTypes.join(', ')}`)},t:none,t:lowercase"`,
  );
  lines.push(`SecMarker ${endP1}`);
  lines.push(`SecRule TX:hds_route_id "!@streq ${r.id}" "id:${ctx.id++},phase:2,pass,nolog,t:none,skipAfter:${endP2}"`);
  // A chunked body (no Content-Length) is bounded by nginx's client_max_body_size (bodyLimit), not
  // by a phase-2 check: a phase-2 413 would lose its audit entry to the JSON error page (render.ts).
  if (b.maxBytes < bodyLimit) lines.push(`# (a chunked body is bounded by the WAF-wide ${bodyLimit} bytes, then by its fields)`);
  const fields = Object.entries(b.json);
  lines.push(
    `SecRule ARGS_NAMES "!@rx \\A(?:${[...fields.map(([n]) => `json\\.${n}`), ...query.map(([n]) => n)].join('|')})\\z" "${deny(ctx, 2, 400, 'field', 'undeclared JSON field (or not one flat object)')},t:none"`,
  );
  for (const [n, f] of fields) fieldRules(ctx, 2, 'ARGS', `json.${n}`, f, 'field');
  lines.push('# CRS exclusions of this route, once the contract above has proved every field:');
  lines.push('#   REQUEST_BODY: every CRS rule (each JSON value is inspected as ARGS:json.<field>, its JSON escapes undone)');
  for (const [n, f] of fields) lines.push(...exclusionComments(`ARGS:json.${n}`, f));
  const ctl = ['ctl:ruleRemoveTargetByTag=OWASP_CRS;REQUEST_BODY', ...fields.flatMap(([n, f]) => exclusions(`ARGS:json.${n}`, f))];
  lines.push(`SecAction "id:${ctx.id++},phase:2,pass,nolog,t:none,${ctl.join(',')}"`);
  lines.push(`SecMarker ${endP2}`);
  if (ctx.id > base + 40) throw new Error(`route ${r.id} needs more than 40 rule ids`);
}

function unanchor(re: string): string {
  return re.replace(/^\^/, '').replace(/\$$/, '');
}

function escapeHost(h: string): string {
  return h.replace(/[.[\]]/g, (c) => `\\${c}`);
}

/** Every problem of the routes and options at once (empty = renderable). */
export function contractRenderProblems(routes: readonly WafRoute[], opts: ContractRenderOptions): string[] {
  const out: string[] = [];
  if (routes.length === 0) out.push('the positive model needs at least one route');
  if (routes.length > 150) out.push('at most 150 routes (rule id space 11000-16999)');
  const ids = new Set<string>();
  for (const r of routes) {
    if (/["\n\r]/.test(r.pathRegex)) out.push(`route regex must not contain quotes or newlines: ${r.pathRegex}`);
    else if (!r.pathRegex.startsWith('/') && !r.pathRegex.startsWith('^/')) out.push(`route regex must start with '/': ${r.pathRegex}`);
    else {
      try {
        new RegExp(r.pathRegex);
      } catch (e) {
        out.push(`route regex does not compile: ${r.pathRegex} (${(e as Error).message})`);
      }
    }
    if (r.description !== undefined && /[\n\r]/.test(r.description)) out.push('route description must be one line');
    if (r.contract) {
      if (ids.has(r.contract.id)) out.push(`route id ${r.contract.id} declared twice`);
      ids.add(r.contract.id);
      if (r.contract.method !== r.method) out.push(`route ${r.contract.id}: method ${r.method} differs from its contract's ${r.contract.method}`);
      out.push(...contractProblems({ id: 'routes', description: '', headers: opts.headers ?? PLATFORM_HEADER_POLICY, routes: [r.contract] }));
    }
  }
  if (opts.headers)
    out.push(
      ...contractProblems({
        id: 'headers',
        description: '',
        headers: opts.headers,
        routes: [{ id: 'x', method: 'GET', path: '/', params: {}, query: {}, description: '' }],
      }),
    );
  for (const n of opts.serverNames ?? []) if (!HOST_NAME_RE.test(n)) out.push(`server name '${n}' must be a lower-case DNS name`);
  return [...new Set(out)];
}

/** The content of modsecurity/positive-model.conf. */
export function renderContract(routes: readonly WafRoute[], opts: ContractRenderOptions): string {
  const problems = contractRenderProblems(routes, opts);
  if (problems.length) throw new Error(`cannot render the API contract:\n- ${problems.join('\n- ')}`);
  const headers = opts.headers ?? PLATFORM_HEADER_POLICY;
  const names = [...(opts.serverNames ?? [])];
  const own = opts.listenAddress.includes(':') ? `[${opts.listenAddress}]` : opts.listenAddress;
  const L: string[] = [
    '# API contract and positive model (EXG_WAF_1, EXG_SEC_3.5): generated from modules/model/apiContract.ts, do not edit.',
    '# Runs before the virtual patches and the CRS; see modules/services/waf/contract.ts and docs/waf.md.',
    'SecAction "id:10000,phase:1,pass,nolog,t:none,setvar:\'tx.hds_route=%{REQUEST_METHOD} %{REQUEST_FILENAME}\'"',
    '',
    '# Host: one of the names the WAF serves, or its own address (its probes and clients that dial the',
    '# address); a numeric Host naming the WAF is not scored by 920350. Anything else: 421 Misdirected Request.',
    `SecRule &REQUEST_HEADERS:Host "@eq 0" "id:10002,phase:1,deny,status:400,log,auditlog,t:none,msg:'EXG_WAF_1 request without Host',${tags(undefined, 'host')},severity:'CRITICAL'"`,
    // The Host without its port, compared as a string (the address stays literal in the file).
    `SecRule REQUEST_HEADERS:Host "@rx \\A([^:\\[\\]]+|\\[[0-9a-f:.]+\\])(?::[0-9]{1,5})?\\z" "id:10008,phase:1,pass,nolog,t:none,t:lowercase,capture,setvar:'tx.hds_host=%{TX.1}'"`,
    `SecRule TX:hds_host "@streq ${own.toLowerCase()}" "id:10003,phase:1,pass,nolog,t:none,ctl:ruleRemoveById=920350,skipAfter:END_HDS_HOST"`,
  ];
  if (names.length)
    L.push(`SecRule TX:hds_host "@rx \\A(?:${names.map(escapeHost).join('|')})\\z" "id:10004,phase:1,pass,nolog,t:none,skipAfter:END_HDS_HOST"`);
  L.push(
    `SecAction "id:10005,phase:1,deny,status:421,log,auditlog,t:none,msg:'EXG_WAF_1 Host not served by this WAF',${tags(undefined, 'host')},severity:'CRITICAL'"`,
    'SecMarker END_HDS_HOST',
    '',
    `# Headers: none that would make the upstream see another method or path (${headers.refused.join(', ')});`,
    `# every value (but Cookie's: cookies are the CRS's) in the header alphabet: ${headers.valueCharDescription}.`,
  );
  if (headers.refused.length)
    L.push(
      `SecRule REQUEST_HEADERS_NAMES "@rx \\A(?:${headers.refused.join('|')})\\z" "id:10006,phase:1,deny,status:403,log,auditlog,t:none,t:lowercase,msg:'EXG_WAF_1 routing-override header',${tags(undefined, 'header')},severity:'CRITICAL'"`,
    );
  L.push(
    `SecRule REQUEST_HEADERS|!REQUEST_HEADERS:Cookie "!@rx \\A${headers.valueChar}*+\\z" "id:10007,phase:1,deny,status:403,log,auditlog,t:none,msg:'EXG_WAF_1 header value outside the header alphabet',${tags(undefined, 'header')},severity:'CRITICAL'"`,
    '',
    '# Routes: the request line "METHOD /path" (raw path, query string excluded) must match one declared',
    '# route, else 403.',
  );
  routes.forEach((r, i) => {
    const id = r.contract?.id ?? `route-${i}`;
    L.push(`# ${r.method} ${r.pathRegex}${r.description ? ` -- ${q(r.description)}` : ''}`);
    L.push(
      `SecRule TX:hds_route "@rx \\A${r.method} (?:${unanchor(r.pathRegex)})\\z" "id:${10010 + i},phase:1,pass,nolog,t:none,setvar:'tx.hds_route_id=${id}',skipAfter:END_HDS_POSITIVE_MODEL"`,
    );
  });
  L.push(
    `SecAction "id:10999,phase:1,deny,status:403,log,auditlog,t:none,msg:'EXG_WAF_1 request outside the API positive model',${tags(undefined, 'route')},severity:'CRITICAL'"`,
    'SecMarker END_HDS_POSITIVE_MODEL',
  );
  const bodyLimit = opts.bodyLimit ?? Math.max(0, ...routes.map((r) => r.contract?.body?.maxBytes ?? 0));
  routes.forEach((r, i) => {
    if (r.contract) renderRoute(L, r.contract, i, bodyLimit);
  });
  L.push('');
  return L.join('\n');
}

/** CRS 3.3 attack families that inspect free-text headers too (not RFI: a URL with an IP is an ordinary Referer). */
export const HEADER_ATTACK_FAMILIES = ['attack-sqli', 'attack-xss', 'attack-rce', 'attack-lfi', 'attack-injection-php', 'attack-injection-nodejs'] as const;

/**
 * The content of modsecurity/crs-targets.conf, included after the CRS rules: the free-text
 * request headers (all but the header policy's structured ones) become targets of the CRS's
 * attack families, like arguments. At paranoia level 1 the CRS 3.3 reads User-Agent and Referer
 * for some XSS and SQL rules only, and no other header: `; cat /etc/passwd` in a User-Agent or
 * `1 UNION SELECT …` in X-Api-Version went through. This adds targets, it removes none.
 */
export function renderCrsTargets(headers: ApiHeaderPolicy = PLATFORM_HEADER_POLICY): string {
  const excluded = headers.structured.map((h) =>
    h.endsWith('-*') ? `!REQUEST_HEADERS:/^${h.slice(0, -1).replace(/[.-]/g, (c) => `\\${c}`)}/` : `!REQUEST_HEADERS:${h}`,
  );
  return [
    '# CRS target updates of the API contract (EXG_WAF_1): generated from modules/model/apiContract.ts, do not edit.',
    '# Free-text request headers are inspected by the attack families like arguments; the structured ones',
    `# (${headers.structured.join(', ')}) have their own grammar and checks.`,
    ...HEADER_ATTACK_FAMILIES.map((t) => `SecRuleUpdateTargetByTag "${t}" "REQUEST_HEADERS|${excluded.join('|')}"`),
    '',
  ].join('\n');
}
