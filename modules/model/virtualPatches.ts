/**
 * Virtual patches (EXG_WAF_1 "apply virtual patches", EXG_SEC_5.4): a declared list, per
 * environment, of temporary WAF rules that block the exploitation of a known weakness until the
 * application behind is fixed. Written in `services.waf.virtualPatches` of the environment file
 * (or with `hdsctl waf patch add`), rendered by modules/services/waf/patches.ts into
 * `modsecurity/virtual-patches.conf`, which runs after the API positive model and before the CRS.
 *
 * The form is constrained so that a platform engineer adds a patch in minutes without writing
 * SecRule syntax, and so that no field can inject ModSecurity syntax:
 * - `match` is one of: a vetted `signature` shipped here (tested against real ModSecurity in
 *   modules/lab/wafPatches.int.test.ts), a `regex` (a subset of PCRE that JavaScript compiles
 *   the same way: no quotes, control characters, macros, backreferences, variable lookbehinds),
 *   or `contains` (plain phrases, escaped here into a regex);
 * - variables and transformations come from fixed lists; selectors (`ARGS:json.title`) are
 *   restricted to a safe alphabet;
 * - identifiers, CVE ids and dates have fixed shapes; free text (description, justification)
 *   is one printable line and only ever rendered inside a comment.
 *
 * Pure: no clock. Expiry is judged by the policy rule NET-007 against the report date.
 */
import { fnv1a32 } from './hash.ts';

/** Collections a patch may inspect (whole, or one member with `NAME:selector` where allowed). */
export const VP_VARIABLES = [
  'REQUEST_HEADERS',
  'REQUEST_HEADERS_NAMES',
  'ARGS',
  'ARGS_NAMES',
  'ARGS_GET',
  'ARGS_GET_NAMES',
  'ARGS_POST',
  'ARGS_POST_NAMES',
  'REQUEST_COOKIES',
  'REQUEST_COOKIES_NAMES',
  'REQUEST_URI',
  'REQUEST_FILENAME',
  'REQUEST_BODY',
] as const;
export type VpVariable = (typeof VP_VARIABLES)[number];

/** Collections that accept a `:member` selector. */
const SELECTABLE = new Set<string>(['REQUEST_HEADERS', 'ARGS', 'ARGS_GET', 'ARGS_POST', 'REQUEST_COOKIES']);
const SELECTOR = /^[A-Za-z0-9_.-]{1,64}$/;

/** ModSecurity transformations a patch may apply (in order) before matching. */
export const VP_TRANSFORMS = [
  'urlDecodeUni',
  'urlDecode',
  'htmlEntityDecode',
  'jsDecode',
  'cssDecode',
  'base64DecodeExt',
  'hexDecode',
  'utf8toUnicode',
  'lowercase',
  'removeNulls',
  'removeWhitespace',
  'compressWhitespace',
  'removeComments',
  'replaceComments',
  'normalizePath',
  'cmdLine',
  'trim',
] as const;
export type VpTransform = (typeof VP_TRANSFORMS)[number];

export const VP_ACTIONS = ['deny', 'detect'] as const;
export type VpAction = (typeof VP_ACTIONS)[number];
export const VP_STATUSES = [400, 403, 404] as const;

/** Rule ids reserved for virtual patches: 19000-19099 for the file's own plumbing, 19100-19999 one per patch. */
export const VP_RULE_ID_MIN = 19100;
export const VP_RULE_ID_MAX = 19999;
/** The rule that records `METHOD path` for route-scoped patches. */
export const VP_ROUTE_RULE_ID = 19000;

export const VP_ID = /^VP-[A-Za-z0-9][A-Za-z0-9._-]{1,62}$/;
export const CVE_ID = /^CVE-\d{4}-\d{4,7}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** `METHOD /path-regex` of a declared route, as in the positive model. */
const ROUTE_REF = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\^?\/\S*)$/;

/**
 * Vetted matchers. Each is a regex over the value after its transformations (lower-cased), with
 * what it covers; modules/lab/wafPatches.int.test.ts sends every listed variant through real
 * nginx + ModSecurity and a corpus of legitimate French health traffic that must pass.
 */
export interface VpSignature {
  summary: string;
  transforms: VpTransform[];
  regex: string;
}

const DOT = '(?:\\.|。|．|｡)'; // ASCII dot and the ideographic/full-width stops URL parsers map to it (IDNA)

export const VP_SIGNATURES = {
  /**
   * Log4j lookups (CVE-2021-44228, CVE-2021-45046): `${jndi:...}`, any `${prefix:...}` lookup
   * (`${env:...}`, `${ctx:...}`, `${lower:j}`, `${::-j}`, `${base64:...}`), and nested `${...${`
   * within 32 characters (`${${lower:j}ndi:...}`, `${j${::-n}di:...}`); `$`/`{` also as HTML
   * entities; URL (`%24%7B`, `%u0024`, double), JavaScript (`\u0024`, `\x24`) and HTML
   * (`&#36;`) encodings are undone by the transformations; case-insensitive.
   */
  log4shell: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
    summary: 'Log4j lookups ${jndi:…}, ${env:…}, ${::-j}, nested ${…${ (any encoding, any case)',
    transforms: ['urlDecodeUni', 'urlDecodeUni', 'jsDecode', 'htmlEntityDecode', 'lowercase'],
    regex: '(?:\\$|&dollar;?)(?:\\{|&lbrace;?|&lcub;?)(?:[^}]{0,32}(?:\\$|&dollar;?)(?:\\{|&lbrace;?|&lcub;?)|\\s*[a-z0-9_.:-]{0,32}:)',
  },
  /**
   * SSRF to cloud metadata and link-local addresses through alternate encodings: 169.254.x.x
   * with each of the first two parts in decimal, octal or hex (`0251.0376.…`, `0xa9.0xfe.…`),
   * the 2-part form (`169.16689662`), the 32-bit forms in decimal (host position: `2852039166`),
   * hex (`0xa9fea9fe`) and octal (`025177524776`), IPv4-mapped/compatible IPv6 (`::ffff:a9fe:a9fe`,
   * `::ffff:169.254.169.254`), IPv6 link-local `fe80:` and AWS `fd00:ec2::254`, metadata host
   * names (`metadata.google.internal`, `metadata.goog`, `metadata.azure.com`, `*.internal`
   * metadata, `instance-data`, `//metadata/`, Alibaba 100.100.100.200), and the `gopher:`,
   * `dict:`, `file:`, `ldap:`, `tftp:`, `netdoc:`, `jar:`, `php:`/`phar:`/`expect:` schemes.
   */
  'ssrf-metadata': {
    summary: 'SSRF: 169.254.x.x in decimal/octal/hex/IPv6 forms, metadata host names, gopher:/dict:/file:/… schemes',
    transforms: ['urlDecodeUni', 'urlDecodeUni', 'jsDecode', 'htmlEntityDecode', 'lowercase'],
    regex: [
      // 169.254. with each part in decimal, octal or hex, then a third part; or the 2-part form (24-bit second part)
      `(?<![\\w.])(?:169|0+251|0x0*a9)${DOT}(?:(?:254|0+376|0x0*fe)${DOT}[0-9a-fx]|(?:1664[6-9]\\d{3}|166[5-9]\\d{4}|1670\\d{4}|1671[01]\\d{3}|0x0*fe[0-9a-f]{4}|0+77[45][0-7]{5})(?![\\w.]))`,
      // 32-bit forms: hex and octal anywhere, decimal (2851995648-2852061183) in host position
      '(?<![\\w.])(?:0x0*a9fe[0-9a-f]{4}|0+25177[45][0-7]{5})(?![\\w.])',
      '(?:^|[/@])(?:28519956[4-9]\\d|2851995[7-9]\\d{2}|285199[6-9]\\d{3}|28520[0-5]\\d{4}|285206[01]\\d{3})(?:$|[:/?#])',
      // IPv6: IPv4-mapped/compatible/NAT64 of 169.254.x.x, link-local, AWS IMDS
      ':a9fe:[0-9a-f]{1,4}(?![0-9a-f])',
      '(?<![0-9a-f:])fe[89ab][0-9a-f]:[0-9a-f:]*:',
      'fd00:ec2::254',
      // metadata host names
      '(?<![\\w-])(?:metadata\\.google\\.internal|metadata\\.goog|metadata\\.azure\\.(?:com|internal)|metadata\\.[a-z0-9.-]{0,40}\\.internal|instance-data(?:\\.ec2\\.internal)?|100\\.100\\.100\\.200)(?![\\w-])',
      '//metadata(?:$|[:/?#])',
      // URL schemes that reach non-HTTP services or the file system
      '(?<![a-z0-9+.-])(?:gopher|dict|tftp|ldaps?|netdoc|phar|php|expect|file):/|(?<![a-z0-9+.-])jar:[a-z]+:',
    ].join('|'),
  },
  /**
   * Server-side template and expression injection in values: `{{…}}` (Jinja, Twig, Handlebars,
   * Angular), `{%…%}`, `${…}`, `#{…}`, `*{…}`, `@{…}` (EL, SpEL, Thymeleaf) and `<%…%>` (ERB,
   * JSP). French clinical text and FHIR resources never carry these delimiters.
   */
  'template-injection': {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
    summary: 'template/expression injection: {{…}}, {%…%}, ${…}, #{…}, *{…}, @{…}, <%…%>',
    transforms: ['urlDecodeUni', 'jsDecode', 'htmlEntityDecode'],
    regex: '\\{\\{[^}]{0,256}\\}\\}|\\{%[^%]{0,256}%\\}|[$#*@]\\{[^}]{1,256}\\}|<%[=#-]?[^%]{0,256}%>',
  },
} as const satisfies Record<string, VpSignature>;
export type VpSignatureName = keyof typeof VP_SIGNATURES;
export const VP_SIGNATURE_NAMES = Object.keys(VP_SIGNATURES) as VpSignatureName[];

/** A virtual patch as written in the environment file (`services.waf.virtualPatches[]`). */
export interface VirtualPatchDoc {
  /** `VP-<year>-<number>-<name>` for a CVE, `VP-<name>` otherwise; stable (the rule id derives from it). */
  id: string;
  /** CVE ids the patch mitigates; may be empty when `justification` says why the patch exists. */
  cve?: string[];
  /** Why the patch exists when there is no CVE (or more context); one line. */
  justification?: string;
  /** What the patch blocks, one line (rendered as a comment). */
  description: string;
  target: {
    /** `all` (default) or declared routes as `METHOD /path-regex`, exactly as in the positive model. */
    routes?: 'all' | string[];
    /** Collections inspected, e.g. REQUEST_HEADERS, ARGS, REQUEST_COOKIES, or one member: ARGS:json.title. */
    variables: string[];
  };
  /** Exactly one of signature, regex, contains. */
  match: {
    signature?: string;
    /** PCRE subset, matched after `transforms`. */
    regex?: string;
    /** Phrases, any of which matches (case-insensitive: the value is lower-cased first). */
    contains?: string[];
    /** Transformations for regex/contains (default: urlDecodeUni, lowercase); signatures bring their own. */
    transforms?: string[];
  };
  /** deny (default): block with `status`; detect: log only (to trial a patch before enforcing it). */
  action?: VpAction;
  status?: number;
  /** YYYY-MM-DD the patch was added. */
  added: string;
  /** YYYY-MM-DD after which the patch must be reviewed (NET-007 flags it; it stays rendered). */
  expires: string;
  /** Rule id override (19100-19999), only to resolve a collision of the derived id. */
  ruleId?: number;
}

/** A validated patch, with defaults applied and the match resolved to one regex: what the renderer reads. */
export interface VirtualPatch {
  id: string;
  cve: string[];
  justification?: string;
  description: string;
  routes: 'all' | string[];
  variables: string[];
  match: { kind: 'signature' | 'regex' | 'contains'; signature?: VpSignatureName; regex: string; transforms: VpTransform[] };
  action: VpAction;
  status: number;
  added: string;
  expires: string;
  ruleId: number;
}

/** A problem in one patch: the path below the patch list, a message and the fix. */
export interface VpProblem {
  path: Array<string | number>;
  code: string;
  message: string;
  hint: string;
}

const DEFAULT_TRANSFORMS: VpTransform[] = ['urlDecodeUni', 'lowercase'];
const MAX_REGEX = 2000;
const MAX_TEXT = 300;

/** The rule id derived from a patch id (19100-19999). */
export function derivedRuleId(id: string): number {
  return VP_RULE_ID_MIN + (fnv1a32(id) % (VP_RULE_ID_MAX - VP_RULE_ID_MIN + 1));
}

/** Escapes a phrase into a regex that matches it literally (ASCII punctuation escaped, quotes as \x22). */
export function phraseRegex(phrase: string): string {
  return phrase.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => `\\${c}`).replace(/"/g, '\\x22');
}

function calendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = text.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** One printable line for a comment: no control characters, no backslash (a trailing one would continue the line). */
function textProblem(value: string, what: string): string | undefined {
  if (value.trim() === '') return `${what} is empty`;
  if (CONTROL.test(value)) return `${what} holds a control character (a newline?)`;
  if (value.includes('\\')) return `${what} holds a backslash`;
  if (value.length > MAX_TEXT) return `${what} is ${value.length} characters long, more than ${MAX_TEXT}`;
  return undefined;
}

/**
 * Why `re` cannot be a ModSecurity `@rx` argument, or undefined. The regex must compile in
 * JavaScript and mean the same to PCRE: constructs where the two differ or that PCRE refuses
 * (which would stop nginx from loading the WAF) are refused.
 */
export function regexProblem(re: string, lowercased: boolean): { message: string; hint: string } | undefined {
  if (re.length === 0) return { message: 'the regex is empty', hint: 'write what the attack looks like, e.g. regex: "\\$\\{jndi:"' };
  if (re.length > MAX_REGEX) return { message: `the regex is ${re.length} characters long, more than ${MAX_REGEX}`, hint: 'split it into two patches' };
  if (CONTROL.test(re)) return { message: 'the regex holds a control character (a newline?)', hint: 'write it on one line; match a newline with \\n' };
  if (re.includes('"')) return { message: 'the regex holds a double quote', hint: 'write \\x22 for a double quote' };
  if (re.includes('%{')) return { message: 'the regex holds "%{", which ModSecurity expands as a macro', hint: 'write \\x25\\{ for a literal "%{"' };
  // Escapes: PCRE and JavaScript agree on these; \u, \p, \k, \Q, \c, \N, backreferences... differ or fail.
  for (let k = 0; k < re.length; k++) {
    if (re[k] !== '\\') continue;
    const c = re[k + 1];
    if (c === undefined) return { message: 'the regex ends with a backslash', hint: 'escape it as \\\\ or remove it' };
    if (/[A-Za-z0-9]/.test(c) && !/[dDwWsSbBnrtfvx0]/.test(c))
      return {
        message: `the regex uses the escape \\${c}, which PCRE and JavaScript read differently (or not at all)`,
        hint: 'use \\d \\w \\s \\b \\n \\r \\t \\xHH, character classes or a literal',
      };
    if (c === 'x' && !/^[0-9A-Fa-f]{2}$/.test(re.slice(k + 2, k + 4)))
      return { message: 'the regex has \\x not followed by two hex digits', hint: 'write \\xHH, e.g. \\x22' };
    if (c === '0' && /[0-7]/.test(re[k + 2] ?? '')) return { message: 'the regex uses an octal escape \\0NN', hint: 'write \\xHH instead' };
    k += 1;
  }
  if (/\[\]|\[\^\]/.test(re.replace(/\\./g, '__')))
    return { message: 'the regex has an empty character class [] or [^]', hint: 'list the characters, e.g. [^"] or [\\s\\S]' };
  if (/\[\[:/.test(re)) return { message: 'the regex uses a POSIX class [[:…:]]', hint: 'write the class out, e.g. [a-z] or \\w' };
  try {
    new RegExp(re);
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: /, '');
    return {
      message: `the regex does not compile: ${why}`,
      hint: /\(\?[a-z]/.test(re)
        ? 'inline flags like (?i) are not supported: the value is lower-cased first (transforms: [lowercase])'
        : 'check parentheses, brackets and quantifiers',
    };
  }
  // Lookbehinds must have a fixed length for PCRE: no quantifier, alternation or group inside.
  const look = /\(\?<[=!]/g;
  for (let m = look.exec(re); m; m = look.exec(re)) {
    let depth = 1;
    let k = m.index + m[0].length;
    let inClass = false;
    let body = '';
    for (; k < re.length && depth > 0; k++) {
      const c = re[k]!;
      if (c === '\\') {
        body += '__';
        k += 1;
        continue;
      }
      if (inClass) {
        if (c === ']') inClass = false;
        body += '_';
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === '(') depth += 1;
      else if (c === ')') depth -= 1;
      if (depth > 0) body += c;
    }
    if (/[*+?{|()]/.test(body))
      return {
        message: 'the regex has a lookbehind of variable length, which PCRE refuses',
        hint: 'keep lookbehinds to fixed text or single characters, e.g. (?<![\\w.])',
      };
  }
  if (lowercased && /[A-Z]/.test(re.replace(/\\x[0-9A-Fa-f]{2}|\\./g, '').replace(/\(\?<[A-Za-z_]\w*>/g, '')))
    return { message: 'the regex has upper-case letters but the value is lower-cased before matching (t:lowercase)', hint: 'write the regex in lower case' };
  if (new RegExp(re).test('')) return { message: 'the regex matches the empty string, so it would match every request', hint: 'make it match the attack only' };
  return undefined;
}

/** Checks the patch list of one environment; problems are located below the list (`[k, 'field', ...]`). */
export function checkVirtualPatches(docs: VirtualPatchDoc[]): VpProblem[] {
  const out: VpProblem[] = [];
  const report = (path: Array<string | number>, code: string, message: string, hint: string) => out.push({ path, code, message, hint });
  const ids = new Map<string, number>();
  docs.forEach((p, k) => {
    if (!VP_ID.test(p.id))
      report(
        [k, 'id'],
        'E_VPATCH_ID',
        `patch id "${p.id}" is not of the form VP-<name>`,
        'use VP- then letters, digits, dots, dashes or underscores, e.g. VP-2021-44228-log4shell',
      );
    const twin = ids.get(p.id);
    if (twin !== undefined) report([k, 'id'], 'E_DUPLICATE', `patch id ${p.id} is used twice (first at entry ${twin})`, 'give each patch its own id');
    else ids.set(p.id, k);
    const cves = p.cve ?? [];
    cves.forEach((c, j) => {
      if (!CVE_ID.test(c))
        report([k, 'cve', j], 'E_VPATCH_CVE', `"${c}" is not a CVE id`, 'write CVE-YYYY-NNNN, e.g. CVE-2021-44228, or leave cve out and give a justification');
    });
    if (new Set(cves).size !== cves.length) report([k, 'cve'], 'E_DUPLICATE', 'a CVE id is listed twice', 'list each CVE once');
    const just = p.justification;
    if (cves.length === 0 && (just === undefined || just.trim() === ''))
      report(
        [k],
        'E_VPATCH_REASON',
        `patch ${p.id} has neither a CVE nor a justification`,
        'add cve: [CVE-YYYY-NNNN] or justification: "why the patch is needed"',
      );
    if (just !== undefined) {
      const bad = textProblem(just, 'the justification');
      if (bad) report([k, 'justification'], 'E_VPATCH_TEXT', bad, 'write one printable line without backslashes');
    }
    const badDesc = textProblem(p.description, 'the description');
    if (badDesc) report([k, 'description'], 'E_VPATCH_TEXT', badDesc, 'write one printable line without backslashes');

    for (const field of ['added', 'expires'] as const) {
      const v = p[field];
      if (!DATE.test(v)) report([k, field], 'E_VPATCH_DATE', `${field} "${v}" is not a date`, `use YYYY-MM-DD, e.g. ${field}: 2027-05-31`);
      else if (!calendarDate(v))
        report([k, field], 'E_VPATCH_DATE', `${field} "${v}" is not a calendar date (no such month or day)`, `use YYYY-MM-DD, e.g. ${field}: 2027-05-31`);
    }
    if (calendarDate(p.added) && calendarDate(p.expires) && p.expires <= p.added)
      report(
        [k, 'expires'],
        'E_VPATCH_DATE',
        `expires ${p.expires} is not after added ${p.added}`,
        'a patch holds from the day it is added until its expiry: give a later expires',
      );

    const routes: unknown = p.target.routes ?? 'all';
    if (routes !== 'all' && (!Array.isArray(routes) || routes.some((r) => typeof r !== 'string'))) {
      report(
        [k, 'target', 'routes'],
        'E_VPATCH_ROUTE',
        `routes ${JSON.stringify(routes)} is neither "all" nor a list of routes`,
        'write routes: all, or list declared routes as "METHOD /path", e.g. ["POST /documents"]',
      );
    } else if (Array.isArray(routes)) {
      if (routes.length === 0)
        report([k, 'target', 'routes'], 'E_VPATCH_ROUTE', 'the route list is empty', 'write routes: all, or list declared routes as "METHOD /path"');
      routes.forEach((r, j) => {
        if (!ROUTE_REF.test(r))
          report(
            [k, 'target', 'routes', j],
            'E_VPATCH_ROUTE',
            `"${r}" is not a route reference`,
            'write a declared route as "METHOD /path-regex", e.g. "POST /documents"',
          );
      });
    }
    const vars = p.target.variables;
    if (vars.length === 0) report([k, 'target', 'variables'], 'E_VPATCH_VARIABLE', 'no variable to inspect', `list some of: ${VP_VARIABLES.join(', ')}`);
    vars.forEach((v, j) => {
      const [name, selector, ...rest] = v.split(':');
      if (!(VP_VARIABLES as readonly string[]).includes(name ?? '')) {
        report([k, 'target', 'variables', j], 'E_VPATCH_VARIABLE', `unknown variable "${v}"`, `use one of: ${VP_VARIABLES.join(', ')}`);
      } else if (selector !== undefined && (!SELECTABLE.has(name!) || !SELECTOR.test(selector) || rest.length)) {
        report(
          [k, 'target', 'variables', j],
          'E_VPATCH_VARIABLE',
          `"${v}" is not a valid member selector`,
          `select a member of ${[...SELECTABLE].join(', ')} with letters, digits, dots, dashes or underscores, e.g. REQUEST_HEADERS:User-Agent or ARGS:json.title`,
        );
      }
    });
    if (new Set(vars).size !== vars.length) report([k, 'target', 'variables'], 'E_DUPLICATE', 'a variable is listed twice', 'list each variable once');

    const m = p.match;
    const kinds = (['signature', 'regex', 'contains'] as const).filter((x) => m[x] !== undefined);
    if (kinds.length !== 1)
      report(
        [k, 'match'],
        'E_VPATCH_MATCH',
        kinds.length === 0 ? 'the match has no signature, regex or contains' : `the match has ${kinds.join(' and ')}: give exactly one`,
        `e.g. match: { signature: log4shell }, or match: { regex: "…" }, or match: { contains: ["…"] }`,
      );
    (m.transforms ?? []).forEach((t, j) => {
      if (!(VP_TRANSFORMS as readonly string[]).includes(t))
        report([k, 'match', 'transforms', j], 'E_VPATCH_TRANSFORM', `unknown transformation "${t}"`, `use some of: ${VP_TRANSFORMS.join(', ')}`);
    });
    if (m.signature !== undefined) {
      if (!(VP_SIGNATURE_NAMES as string[]).includes(m.signature))
        report(
          [k, 'match', 'signature'],
          'E_VPATCH_MATCH',
          `unknown signature "${m.signature}"`,
          `use one of: ${VP_SIGNATURE_NAMES.join(', ')}, or write a regex`,
        );
      if (m.transforms !== undefined)
        report([k, 'match', 'transforms'], 'E_VPATCH_TRANSFORM', 'a signature brings its own transformations', 'remove transforms, or use a regex');
    }
    const lowercased = (m.transforms ?? DEFAULT_TRANSFORMS).includes('lowercase');
    if (m.regex !== undefined) {
      const bad = regexProblem(m.regex, lowercased);
      if (bad) report([k, 'match', 'regex'], 'E_VPATCH_REGEX', bad.message, bad.hint);
    }
    if (m.contains !== undefined) {
      if (m.contains.length === 0) report([k, 'match', 'contains'], 'E_VPATCH_MATCH', 'the phrase list is empty', 'list at least one phrase');
      m.contains.forEach((c, j) => {
        const bad =
          c.length === 0
            ? 'the phrase is empty'
            : CONTROL.test(c)
              ? 'the phrase holds a control character (a newline?)'
              : c.includes('%{')
                ? 'the phrase holds "%{" (a ModSecurity macro)'
                : c.length > MAX_TEXT
                  ? `the phrase is longer than ${MAX_TEXT} characters`
                  : undefined;
        if (bad) report([k, 'match', 'contains', j], 'E_VPATCH_MATCH', bad, 'write a plain phrase on one line');
      });
    }
    if (p.action !== undefined && !(VP_ACTIONS as readonly string[]).includes(p.action))
      report([k, 'action'], 'E_VPATCH_ACTION', `unknown action "${p.action}"`, `use one of: ${VP_ACTIONS.join(', ')}`);
    if (p.status !== undefined && !(VP_STATUSES as readonly number[]).includes(p.status))
      report([k, 'status'], 'E_VPATCH_ACTION', `status ${p.status} is not allowed`, `use one of: ${VP_STATUSES.join(', ')}`);
    if (p.ruleId !== undefined && (!Number.isInteger(p.ruleId) || p.ruleId < VP_RULE_ID_MIN || p.ruleId > VP_RULE_ID_MAX))
      report(
        [k, 'ruleId'],
        'E_VPATCH_RULE_ID',
        `rule id ${p.ruleId} is outside ${VP_RULE_ID_MIN}-${VP_RULE_ID_MAX}`,
        'leave ruleId out (it derives from the id) or pick a free id in the range',
      );
  });
  // Rule ids: derived from the id (or the override), never shared.
  const byRule = new Map<number, number>();
  docs.forEach((p, k) => {
    const id = p.ruleId ?? derivedRuleId(p.id);
    const other = byRule.get(id);
    if (other !== undefined) {
      const free = firstFreeRuleId(docs);
      report(
        [k, p.ruleId !== undefined ? 'ruleId' : 'id'],
        'E_VPATCH_RULE_ID',
        `patch ${p.id} gets rule id ${id}, already used by ${docs[other]!.id}`,
        `rename the patch, or set ruleId: ${free} (a free id)`,
      );
    } else byRule.set(id, k);
  });
  return out;
}

/** The lowest rule id of the range no patch of the list uses. */
export function firstFreeRuleId(docs: Array<Pick<VirtualPatchDoc, 'id' | 'ruleId'>>): number {
  const used = new Set(docs.map((p) => p.ruleId ?? derivedRuleId(p.id)));
  let id = VP_RULE_ID_MIN;
  while (used.has(id) && id < VP_RULE_ID_MAX) id += 1;
  return id;
}

/** The patch as the renderer reads it (call after checkVirtualPatches found nothing about it). */
export function resolveVirtualPatch(p: VirtualPatchDoc): VirtualPatch {
  const m = p.match;
  const sig = m.signature !== undefined ? VP_SIGNATURES[m.signature as VpSignatureName] : undefined;
  const transforms = (sig?.transforms ?? m.transforms ?? DEFAULT_TRANSFORMS) as VpTransform[];
  const lower = transforms.includes('lowercase');
  const regex = sig
    ? sig.regex
    : m.regex !== undefined
      ? m.regex
      : `(?:${(m.contains ?? []).map((c) => phraseRegex(lower ? c.replace(/[A-Z]/g, (x) => x.toLowerCase()) : c)).join('|')})`;
  return {
    id: p.id,
    cve: [...(p.cve ?? [])],
    ...(p.justification !== undefined ? { justification: p.justification } : {}),
    description: p.description,
    routes: p.target.routes === undefined || p.target.routes === 'all' ? 'all' : [...p.target.routes],
    variables: [...p.target.variables],
    match: {
      kind: sig ? 'signature' : m.regex !== undefined ? 'regex' : 'contains',
      ...(sig ? { signature: m.signature as VpSignatureName } : {}),
      regex,
      transforms: [...transforms],
    },
    action: p.action ?? 'deny',
    status: p.status ?? 403,
    added: p.added,
    expires: p.expires,
    ruleId: p.ruleId ?? derivedRuleId(p.id),
  };
}

/** Valid patches of the list, resolved; the invalid ones are left out (their problems are diagnostics). */
export function resolveVirtualPatches(docs: VirtualPatchDoc[]): VirtualPatch[] {
  const problems = checkVirtualPatches(docs);
  const bad = new Set(problems.map((p) => p.path[0]));
  return docs.filter((_, k) => !bad.has(k)).map(resolveVirtualPatch);
}

/**
 * Problems of a resolved patch, as one-line messages (the renderer's own guard: it refuses what
 * checkVirtualPatches would refuse, whoever built the input).
 */
export function resolvedPatchProblems(p: VirtualPatch): string[] {
  const out: string[] = [];
  if (!VP_ID.test(p.id)) out.push(`id "${p.id}" is not of the form VP-<name>`);
  for (const c of p.cve) if (!CVE_ID.test(c)) out.push(`"${c}" is not a CVE id`);
  if (p.cve.length === 0 && !p.justification?.trim()) out.push('neither a CVE nor a justification');
  for (const [what, v] of [
    ['description', p.description],
    ['justification', p.justification],
  ] as const) {
    const bad = v === undefined ? undefined : textProblem(v, `the ${what}`);
    if (bad) out.push(bad);
  }
  if (!calendarDate(p.added) || !calendarDate(p.expires)) out.push('added and expires must be YYYY-MM-DD calendar dates');
  if (p.routes !== 'all') for (const r of p.routes) if (!ROUTE_REF.test(r)) out.push(`"${r}" is not a route reference`);
  if (p.variables.length === 0) out.push('no variable to inspect');
  for (const v of p.variables) {
    const [name, selector, ...rest] = v.split(':');
    if (
      !(VP_VARIABLES as readonly string[]).includes(name ?? '') ||
      (selector !== undefined && (!SELECTABLE.has(name!) || !SELECTOR.test(selector) || rest.length))
    )
      out.push(`variable "${v}" is not allowed`);
  }
  for (const t of p.match.transforms) if (!(VP_TRANSFORMS as readonly string[]).includes(t)) out.push(`transformation "${t}" is not allowed`);
  const re = regexProblem(p.match.regex, p.match.transforms.includes('lowercase'));
  if (re) out.push(re.message);
  if (!(VP_ACTIONS as readonly string[]).includes(p.action)) out.push(`action "${p.action}" is not allowed`);
  if (!(VP_STATUSES as readonly number[]).includes(p.status)) out.push(`status ${p.status} is not allowed`);
  if (!Number.isInteger(p.ruleId) || p.ruleId < VP_RULE_ID_MIN || p.ruleId > VP_RULE_ID_MAX)
    out.push(`rule id ${p.ruleId} is outside ${VP_RULE_ID_MIN}-${VP_RULE_ID_MAX}`);
  return out;
}
