/**
 * The API contract: a typed positive model of what an API accepts (EXG_WAF_1 "contract
 * validation", EXG_SEC_3.5). The WAF renders it into ModSecurity rules that run before the OWASP
 * CRS (modules/services/waf/contract.ts); the same helpers check a request in JavaScript (tests,
 * corpora, services). docs/waf.md explains the decisions.
 *
 * Per route: method, path template with typed parameters, query parameters, body (content types,
 * size, the JSON object's fields with their formats and lengths). Platform-wide: the header policy.
 * Everything the contract does not declare is refused; what it declares as free text is what the
 * CRS then inspects, with exclusions scoped to that field (the WAF's table, by text profile).
 *
 * Patterns are written in the subset of regex syntax PCRE2 and JavaScript read the same way,
 * unanchored (the user anchors them: `\A…\z` in ModSecurity, `^…$` here).
 *
 * Pure: data and functions, no I/O.
 */
import { base64Length, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_REQUEST_BYTES } from './documents.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A named string format: one pattern, and whether its alphabet is inert. */
export interface StringFormat {
  readonly description: string;
  /** Unanchored pattern (PCRE2 ∩ JavaScript) of one whole value. */
  readonly pattern: string;
  /**
   * true when the alphabet holds none of the characters markup, SQL, shell, template or path
   * attacks need (letters, digits and at most `. _ - + / =`): once a value matches, the CRS has
   * nothing to find in it, and the WAF removes that one field from the CRS's targets.
   */
  readonly inert: boolean;
  /** Length must be a multiple of this (base64: 4). */
  readonly lengthMultipleOf?: number;
}

/** FHIR R4 resource types the platform exchanges (DMP / Mon Espace Santé documents and measures). */
export const FHIR_RESOURCE_TYPES = [
  'AllergyIntolerance',
  'Binary',
  'Bundle',
  'CarePlan',
  'Composition',
  'Condition',
  'Consent',
  'DiagnosticReport',
  'DocumentReference',
  'Encounter',
  'Immunization',
  'Location',
  'Medication',
  'MedicationRequest',
  'MedicationStatement',
  'Observation',
  'Organization',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Procedure',
] as const;

export const STRING_FORMATS = {
  uuid: { description: 'RFC 4122 UUID, lower-case hex', pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', inert: true },
  code: {
    description: 'identifier or code: 1..64 of [A-Za-z0-9._-], starting with a letter or digit',
    pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}',
    inert: true,
  },
  base64: {
    description: 'standard base64 (RFC 4648 §4, alphabet A-Z a-z 0-9 + /, padded with =)',
    pattern: '[A-Za-z0-9+/]*={0,2}',
    inert: true,
    lengthMultipleOf: 4,
  },
  date: { description: 'calendar date YYYY-MM-DD (FHIR date, full precision)', pattern: '[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])', inert: true },
  fhirResourceType: { description: 'a FHIR R4 resource type the platform exchanges', pattern: `(?:${FHIR_RESOURCE_TYPES.join('|')})`, inert: true },
} as const satisfies Record<string, StringFormat>;
export type FormatName = keyof typeof STRING_FORMATS;

/** Inclusive Unicode code-point range. */
export type CodePointRange = readonly [number, number];

/**
 * A kind of free text: the characters it may hold. Free text is what the CRS inspects; the WAF
 * keys its exclusions (false positives on that language) by profile.
 */
export interface TextProfile {
  readonly description: string;
  readonly ranges: readonly CodePointRange[];
  /** What the profile leaves out on purpose, and why (docs/waf.md). */
  readonly excluded: string;
}

/**
 * French clinical text on one line: printable ASCII except `` ` `` `$` `{` `}` `|` `\`; the Latin
 * letters of French and of patients' names (Latin-1, Latin Extended-A/B and Additional: é, Œ, ß,
 * Ł, ạ…), Greek (β-bloquant, µ), French typography (no-break and thin spaces, ’ « » – — …, °, €),
 * letter-like symbols, arrows and mathematical operators (≤ ≥ → ±).
 */
const CLINICAL_FR_RANGES: readonly CodePointRange[] = [
  [0x20, 0x23], // space ! " #
  [0x25, 0x5b], // % & ' ( ) * + , - . / 0-9 : ; < = > ? @ A-Z [
  [0x5d, 0x5f], // ] ^ _
  [0x61, 0x7a], // a-z
  [0x7e, 0x7e], // ~ (environ)
  [0xa0, 0x24f], // no-break space, Latin-1 Supplement, Latin Extended-A and -B
  [0x370, 0x3ff], // Greek
  [0x1e00, 0x1eff], // Latin Extended Additional
  [0x2000, 0x200a], // typographic spaces (thin space in numbers)
  [0x2010, 0x2027], // dashes, quotes, bullet, ellipsis
  [0x202f, 0x202f], // narrow no-break space (before ; : ! ?)
  [0x2030, 0x205e], // per mille, primes, ‹ ›, fraction slash
  [0x20ac, 0x20ac], // €
  [0x2100, 0x22ff], // letter-like symbols (№, ℃), number forms (½), arrows, mathematical operators
];

export const TEXT_PROFILES = {
  'clinical-fr': {
    description: 'French clinical text, one line (titles, labels)',
    ranges: CLINICAL_FR_RANGES,
    excluded:
      'control characters; ` $ { } | \\ (shell substitution, pipes, template and expression languages: none occurs in French clinical text); ' +
      'zero-width and bidirectional controls (U+200B–U+200F, U+202A–U+202E, U+2060–U+206F); full-width forms (U+FF00–U+FFEF, which normalisation maps to $ { } |); other scripts',
  },
  'clinical-fr-multiline': {
    description: 'French clinical text, several lines (notes)',
    ranges: [[0x09, 0x0a], [0x0d, 0x0d], ...CLINICAL_FR_RANGES],
    excluded: 'as clinical-fr, except tab, line feed and carriage return',
  },
} as const satisfies Record<string, TextProfile>;
export type TextProfileName = keyof typeof TEXT_PROFILES;

/** One value of the contract: a JSON field of a body, a query parameter, or a path parameter. */
export interface ApiField {
  readonly type: 'string';
  /** A named format, or `text` (free text of profile `text`, inspected by the CRS). */
  readonly format: FormatName | 'text';
  /** Text profile; required when `format` is `text`, forbidden otherwise. */
  readonly text?: TextProfileName;
  /** Length in characters (code points; base64: characters of the encoding). */
  readonly minLength: number;
  readonly maxLength: number;
  readonly required: boolean;
  /**
   * Who refuses a value longer than maxLength. `refuse`: the WAF, 400. `service`: the field carries
   * a document, and a document above the limit is the service's 413 with its limits in JSON
   * (modules/refservice/payload.ts); the WAF bounds it by the request size only (docs/waf.md).
   * @default 'refuse'
   */
  readonly tooLong?: 'refuse' | 'service';
  readonly description: string;
}

export interface ApiBody {
  /** Media types (lower case, no parameters); `; charset=utf-8` is accepted after each. */
  readonly contentTypes: readonly string[];
  /** Largest body in bytes. */
  readonly maxBytes: number;
  /** The JSON object's fields: exactly these, each at most once; no other field, no nesting. */
  readonly json: Readonly<Record<string, ApiField>>;
}

export interface ApiRoute {
  /** Stable id, `[a-z][a-z0-9.-]*`, e.g. `documents.create` (rule comments, logs, metrics). */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path template: literal segments and `{name}` parameters, e.g. `/documents/{id}`. */
  readonly path: string;
  /** Format of each path parameter. */
  readonly params: Readonly<Record<string, FormatName>>;
  /** Query parameters; none declared = the route takes no query string at all. */
  readonly query: Readonly<Record<string, ApiField>>;
  /** Request body; absent = the route takes none (Content-Length 0 or absent). */
  readonly body?: ApiBody;
  readonly description: string;
}

/** Request headers, platform-wide. */
export interface ApiHeaderPolicy {
  /** Header names (lower case) refused outright: they would make the upstream see another method or path than the WAF checked. */
  readonly refused: readonly string[];
  /** Characters of every header value except Cookie's: unanchored pattern of one character. */
  readonly valueChar: string;
  readonly valueCharDescription: string;
  /**
   * Headers whose value has a grammar of its own (lower case; `prefix-*` for a family): checked
   * by the contract or nginx, or inspected elsewhere (Cookie as cookies). Every other header
   * (User-Agent, Referer, X-Api-Version, any custom one) is free text: the CRS inspects it like
   * an argument.
   */
  readonly structured: readonly string[];
  /**
   * `drop`: the API reads no cookie (bearer tokens, not sessions), so the WAF does not forward the
   * Cookie header; browsers still send what the portal's domain set (consent cookies, analytics),
   * so cookies are not refused either. `forward`: passed to the upstream (after the CRS).
   */
  readonly cookies: 'drop' | 'forward';
}

export interface ApiContract {
  readonly id: string;
  readonly description: string;
  readonly headers: ApiHeaderPolicy;
  readonly routes: readonly ApiRoute[];
}

/**
 * Every header value but Cookie's: printable ASCII, tab and bytes ≥ 0x80 (RFC 9110 field-value:
 * VCHAR, SP, HTAB, obs-text), without `` ` `` `$` `{` `}` `|` `\`. Real clients never put these
 * in the headers the platform sees (User-Agent, Accept*, Authorization, Referer, tracing headers);
 * they are the syntax of shell substitution, pipes and template or lookup languages (`${jndi:…}`,
 * `{{7*7}}`, `` `id` ``, `| id`) aimed at whatever logs or reflects a header. Cookie is left out:
 * browsers store what sites set (consent cookies hold JSON), and the CRS inspects cookies anyway.
 */
export const PLATFORM_HEADER_POLICY: ApiHeaderPolicy = {
  refused: ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url'],
  valueChar: '[\\t\\x20-\\x23\\x25-\\x5b\\x5d-\\x5f\\x61-\\x7a\\x7e\\x80-\\xff]',
  valueCharDescription: 'printable ASCII, tab and non-ASCII bytes, except ` $ { } | \\',
  structured: [
    'host',
    'content-length',
    'content-type',
    'cookie',
    'x-correlation-id',
    'authorization',
    'accept',
    'accept-encoding',
    'accept-language',
    'cache-control',
    'connection',
    'dnt',
    'if-none-match',
    'origin',
    'traceparent',
    'tracestate',
    'x-forwarded-for',
    'sec-*',
  ],
  cookies: 'drop',
};

const CODE_FIELD = { type: 'string', format: 'code', minLength: 1, maxLength: 64, required: true } as const;

/** The reference documents API (modules/refservice/server.ts). */
export const REFERENCE_API_CONTRACT: ApiContract = {
  id: 'refservice-documents',
  description: 'reference documents API: store and read clinical documents (envelope encryption)',
  headers: PLATFORM_HEADER_POLICY,
  routes: [
    { id: 'health', method: 'GET', path: '/health', params: {}, query: {}, description: 'liveness + database check' },
    {
      id: 'documents.create',
      method: 'POST',
      path: '/documents',
      params: {},
      query: {},
      description: 'store one document',
      body: {
        contentTypes: ['application/json'],
        maxBytes: MAX_DOCUMENT_REQUEST_BYTES,
        json: {
          title: {
            type: 'string',
            format: 'text',
            text: 'clinical-fr',
            minLength: 1,
            maxLength: 200,
            required: true,
            description: 'document title, French clinical text',
          },
          patientId: { ...CODE_FIELD, description: 'patient identifier' },
          category: { ...CODE_FIELD, description: 'document category code' },
          contentBase64: {
            type: 'string',
            format: 'base64',
            minLength: 4,
            maxLength: base64Length(MAX_DOCUMENT_BYTES),
            required: true,
            tooLong: 'service',
            description: `document content, base64 of at most ${MAX_DOCUMENT_BYTES} bytes`,
          },
        },
      },
    },
    { id: 'documents.read', method: 'GET', path: '/documents/{id}', params: { id: 'uuid' }, query: {}, description: 'read one document by uuid' },
  ],
};

const ROUTE_ID = /^[a-z][a-z0-9.-]{0,62}$/;
const PARAM = /^\{([A-Za-z][A-Za-z0-9_]{0,31})\}$/;
const SEGMENT = /^[A-Za-z0-9._~-]+$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9.+-]*\/[a-z0-9][a-z0-9.+-]*$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A format's pattern, grouped when it holds a top-level alternation. */
function formatPattern(name: FormatName): string {
  const p = STRING_FORMATS[name].pattern;
  return p.includes('|') && !p.startsWith('(?:') ? `(?:${p})` : p;
}

/**
 * The route's path as an unanchored regex over the raw path (query excluded), e.g.
 * `/documents/[0-9a-f]{8}-…`. Throws on a malformed template (contractProblems says why first).
 */
export function routePathRegex(route: Pick<ApiRoute, 'path' | 'params'>): string {
  if (!route.path.startsWith('/')) throw new Error(`path ${route.path} must start with /`);
  if (route.path === '/') return '/';
  return route.path
    .split('/')
    .slice(1)
    .map((seg) => {
      const m = PARAM.exec(seg);
      if (!m) {
        if (!SEGMENT.test(seg) || seg === '.' || seg === '..')
          throw new Error(`path ${route.path}: segment '${seg}' must be [A-Za-z0-9._~-]+ (not . or ..) or {param}`);
        return `/${seg.replace(/\./g, '\\.')}`;
      }
      const f = route.params[m[1] as string];
      if (f === undefined || !(f in STRING_FORMATS)) throw new Error(`path ${route.path}: parameter ${m[1]} has no known format`);
      return `/${formatPattern(f)}`;
    })
    .join('');
}

function fieldProblems(where: string, f: ApiField): string[] {
  const out: string[] = [];
  if (f.type !== 'string') out.push(`${where}: type must be string`);
  if (f.format === 'text') {
    if (f.text === undefined || !(f.text in TEXT_PROFILES))
      out.push(`${where}: format text needs a text profile (one of ${Object.keys(TEXT_PROFILES).join(', ')})`);
  } else if (!(f.format in STRING_FORMATS)) {
    out.push(`${where}: unknown format '${String(f.format)}' (one of text, ${Object.keys(STRING_FORMATS).join(', ')})`);
  } else if (f.text !== undefined) out.push(`${where}: a text profile applies to format text only`);
  if (!Number.isInteger(f.minLength) || !Number.isInteger(f.maxLength) || f.minLength < 0 || f.maxLength < Math.max(1, f.minLength))
    out.push(`${where}: lengths must be integers with 0 <= minLength <= maxLength, maxLength >= 1`);
  if (f.tooLong !== undefined && f.tooLong !== 'refuse' && f.tooLong !== 'service') out.push(`${where}: tooLong must be refuse or service`);
  if (/[\n\r]/.test(f.description)) out.push(`${where}: description must be one line`);
  return out;
}

/** Every problem of a contract at once (empty = valid). */
export function contractProblems(c: ApiContract): string[] {
  const out: string[] = [];
  if (c.routes.length === 0) out.push('the contract needs at least one route');
  for (const h of c.headers.refused) if (!HEADER_NAME.test(h)) out.push(`headers.refused: '${h}' must be a lower-case header name`);
  for (const h of c.headers.structured)
    if (!HEADER_NAME.test(h.replace(/-\*$/, ''))) out.push(`headers.structured: '${h}' must be a lower-case header name or prefix-*`);
  try {
    new RegExp(`^${c.headers.valueChar}*$`);
  } catch (e) {
    out.push(`headers.valueChar does not compile: ${(e as Error).message}`);
  }
  if (/["\n\r]/.test(c.headers.valueChar)) out.push('headers.valueChar must not contain quotes or newlines');
  if (c.headers.cookies !== 'drop' && c.headers.cookies !== 'forward') out.push(`headers.cookies must be drop or forward, got '${String(c.headers.cookies)}'`);
  const ids = new Set<string>();
  const ops = new Set<string>();
  for (const r of c.routes) {
    const at = `route ${r.id}`;
    if (!ROUTE_ID.test(r.id)) out.push(`${at}: id must match ${ROUTE_ID.source}`);
    if (ids.has(r.id)) out.push(`${at}: duplicate route id`);
    ids.add(r.id);
    if (!(HTTP_METHODS as readonly string[]).includes(r.method)) out.push(`${at}: unknown method ${r.method}`);
    if (ops.has(`${r.method} ${r.path}`)) out.push(`${at}: ${r.method} ${r.path} declared twice`);
    ops.add(`${r.method} ${r.path}`);
    if (/[\n\r]/.test(r.description)) out.push(`${at}: description must be one line`);
    const inPath = new Set<string>();
    try {
      routePathRegex(r);
      for (const seg of r.path.split('/')) {
        const m = PARAM.exec(seg);
        if (m) {
          if (inPath.has(m[1] as string)) out.push(`${at}: path parameter ${m[1]} appears twice`);
          inPath.add(m[1] as string);
        }
      }
    } catch (e) {
      out.push(`${at}: ${(e as Error).message}`);
    }
    for (const [name, f] of Object.entries(r.params)) {
      if (!inPath.has(name)) out.push(`${at}: parameter ${name} is not in the path ${r.path}`);
      if (!(f in STRING_FORMATS)) out.push(`${at}: parameter ${name}: unknown format '${f}'`);
    }
    for (const [name, f] of Object.entries(r.query)) {
      if (!FIELD_NAME.test(name)) out.push(`${at}: query parameter '${name}' must match ${FIELD_NAME.source}`);
      out.push(...fieldProblems(`${at} query ${name}`, f));
    }
    if (r.body) {
      if (r.method === 'GET' || r.method === 'HEAD') out.push(`${at}: a ${r.method} route takes no body`);
      if (r.body.contentTypes.length === 0) out.push(`${at}: body needs at least one content type`);
      for (const ct of r.body.contentTypes) if (!MEDIA_TYPE.test(ct)) out.push(`${at}: content type '${ct}' must be a lower-case type/subtype`);
      if (r.body.contentTypes.some((ct) => !/^application\/(?:[a-z0-9.-]+\+)?json$/.test(ct)))
        out.push(`${at}: only JSON bodies are described (application/json, application/*+json)`);
      if (!Number.isInteger(r.body.maxBytes) || r.body.maxBytes < 1) out.push(`${at}: body.maxBytes must be a positive integer`);
      const fields = Object.entries(r.body.json);
      if (fields.length === 0) out.push(`${at}: body declares no field`);
      for (const [name, f] of fields) {
        if (!FIELD_NAME.test(name)) out.push(`${at}: body field '${name}' must match ${FIELD_NAME.source}`);
        out.push(...fieldProblems(`${at} body ${name}`, f));
      }
    }
  }
  return out;
}

/** Throws one error listing every problem. */
export function assertContract(c: ApiContract): void {
  const p = contractProblems(c);
  if (p.length) throw new Error(`API contract ${c.id} is invalid:\n- ${p.join('\n- ')}`);
}

/** JavaScript regex (u flag) of one character of a text profile. */
export function textCharClass(profile: TextProfileName): string {
  const hex = (n: number) => `\\u{${n.toString(16)}}`;
  return `[${TEXT_PROFILES[profile].ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`;
}

/** Why `value` does not satisfy `f` (undefined = it does). JSON types are checked too. */
export function fieldProblem(f: ApiField, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (f.format === 'text') {
    const chars = [...value];
    if (chars.length < f.minLength || chars.length > f.maxLength) return `must be ${f.minLength}..${f.maxLength} characters`;
    const re = new RegExp(`^${textCharClass(f.text ?? 'clinical-fr')}*$`, 'u');
    if (!re.test(value)) return `holds a character outside the ${f.text} text profile`;
    return undefined;
  }
  const fmt: StringFormat = STRING_FORMATS[f.format];
  if (value.length < f.minLength || value.length > f.maxLength) return `must be ${f.minLength}..${f.maxLength} characters`;
  if (!new RegExp(`^(?:${fmt.pattern})$`).test(value)) return `must be ${fmt.description}`;
  if (fmt.lengthMultipleOf && value.length % fmt.lengthMultipleOf !== 0) return `length must be a multiple of ${fmt.lengthMultipleOf}`;
  return undefined;
}

/** The route a request line reaches, with its path parameters; undefined = outside the contract. */
export function matchRoute(c: ApiContract, method: string, path: string): ApiRoute | undefined {
  return c.routes.find((r) => r.method === method && new RegExp(`^${routePathRegex(r)}$`).test(path));
}

/** Every way a parsed JSON body breaks the route's contract (empty = conforms). */
export function jsonBodyProblems(route: ApiRoute, body: unknown): string[] {
  if (!route.body) return ['the route takes no body'];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['the body must be a JSON object'];
  const out: string[] = [];
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!Object.hasOwn(route.body.json, k)) out.push(`unknown field ${k}`);
  for (const [k, f] of Object.entries(route.body.json)) {
    if (!Object.hasOwn(o, k)) {
      if (f.required) out.push(`missing field ${k}`);
      continue;
    }
    const p = fieldProblem(f, o[k]);
    if (p) out.push(`${k} ${p}`);
  }
  return out;
}

/** Every way a query string breaks the route's contract (empty = conforms). */
export function queryProblems(route: ApiRoute, query: string): string[] {
  const q = query.replace(/^\?/, '');
  const declared = Object.entries(route.query);
  if (declared.length === 0) return q === '' ? [] : ['the route takes no query string'];
  const out: string[] = [];
  const params = new URLSearchParams(q);
  const seen = new Map<string, number>();
  for (const [k, v] of params) {
    seen.set(k, (seen.get(k) ?? 0) + 1);
    const f = route.query[k];
    if (!Object.hasOwn(route.query, k) || f === undefined) {
      out.push(`unknown query parameter ${k}`);
      continue;
    }
    const p = fieldProblem(f, v);
    if (p) out.push(`${k} ${p}`);
  }
  for (const [k, n] of seen) if (n > 1 && Object.hasOwn(route.query, k)) out.push(`query parameter ${k} given ${n} times`);
  for (const [k, f] of declared) if (f.required && !seen.has(k)) out.push(`missing query parameter ${k}`);
  return out;
}

/** Largest body any route of the contract accepts (0 when none takes a body). */
export function maxBodyBytes(c: Pick<ApiContract, 'routes'>): number {
  return Math.max(0, ...c.routes.map((r) => r.body?.maxBytes ?? 0));
}
