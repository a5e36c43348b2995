/**
 * The WAF log relay's whitelist (issue 11; EXG_WAF_1, EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR):
 * from a ModSecurity v3 JSON audit entry or an nginx error-log syslog datagram, the record the
 * relay writes. Only fields whose values come from the WAF's configuration, from numbers or
 * from fixed lists are copied; every other byte of the input (matched data, URI, query string,
 * headers, cookies, bodies, free-text messages) is dropped. Each copied string is checked
 * against a closed pattern, so even a value smuggled into a field the relay reads (e.g. a
 * crafted correlation id) cannot reach the output.
 *
 * Pure functions: no I/O, no clock except the `now` argument.
 */
import { isIP } from 'node:net';
import { CORRELATION_ID_REGEX } from '../../services/waf/render.ts';

/** The rule families of the SOC dashboards and EXG_SEC_5.4 statistics. */
export type RuleFamily =
  | 'contract'
  | 'virtual_patch'
  | 'engine'
  | 'crs_setup'
  | 'ip_reputation'
  | 'method'
  | 'dos'
  | 'scanner'
  | 'protocol'
  | 'protocol_attack'
  | 'multipart'
  | 'lfi'
  | 'rfi'
  | 'rce'
  | 'php'
  | 'nodejs'
  | 'xss'
  | 'sqli'
  | 'session_fixation'
  | 'java'
  | 'anomaly_inbound'
  | 'data_leakage'
  | 'anomaly_outbound'
  | 'correlation'
  | 'crs_other'
  | 'other';

const CRS_FAMILIES: Record<number, RuleFamily> = {
  900: 'crs_setup',
  901: 'crs_setup',
  905: 'crs_setup',
  910: 'ip_reputation',
  911: 'method',
  912: 'dos',
  913: 'scanner',
  920: 'protocol',
  921: 'protocol_attack',
  922: 'multipart',
  930: 'lfi',
  931: 'rfi',
  932: 'rce',
  933: 'php',
  934: 'nodejs',
  941: 'xss',
  942: 'sqli',
  943: 'session_fixation',
  944: 'java',
  949: 'anomaly_inbound',
  950: 'data_leakage',
  951: 'data_leakage',
  952: 'data_leakage',
  953: 'data_leakage',
  954: 'data_leakage',
  959: 'anomaly_outbound',
  980: 'correlation',
};

/** Every family, for pre-created metric series. */
export const RULE_FAMILIES: readonly RuleFamily[] = ['contract', 'virtual_patch', 'engine', ...new Set(Object.values(CRS_FAMILIES)), 'crs_other', 'other'];

/**
 * Family of a rule id: 10000-18999 the API positive model and contract (EXG_WAF_1), 19000-19999
 * virtual patches, 200000-200999 engine checks (body parsing, limits), 900000-999999 the OWASP
 * CRS by file (920 protocol, 930 LFI, 931 RFI, 932 RCE, 933 PHP, 934 Node.js, 941 XSS, 942 SQLi,
 * 943 session fixation, 944 Java, 949 inbound anomaly evaluation…).
 */
export function ruleFamily(id: number): RuleFamily {
  if (id >= 10000 && id <= 18999) return 'contract';
  if (id >= 19000 && id <= 19999) return 'virtual_patch';
  if (id >= 200000 && id <= 200999) return 'engine';
  if (id >= 900000 && id <= 999999) return CRS_FAMILIES[Math.floor(id / 1000)] ?? 'crs_other';
  return 'other';
}

/** CRS detection rules, whose severity adds to the anomaly score (not setup or evaluation rules). */
function isCrsDetection(id: number): boolean {
  const f = ruleFamily(id);
  return id >= 910000 && id <= 959999 && f !== 'anomaly_inbound' && f !== 'anomaly_outbound' && f !== 'crs_other';
}

/** CRS anomaly points per ModSecurity severity (2 CRITICAL, 3 ERROR, 4 WARNING, 5 NOTICE). */
const SEVERITY_SCORE: Record<number, number> = { 2: 5, 3: 4, 4: 3, 5: 2 };

export interface RelayRoute {
  label: string;
  method: string;
  pathRegex: string;
}

export interface CompiledRoute {
  label: string;
  method: string;
  re: RegExp;
}

export function compileRoutes(routes: readonly RelayRoute[]): CompiledRoute[] {
  return routes.map((r) => ({ label: r.label, method: r.method, re: new RegExp(`^(?:${r.pathRegex.replace(/^\^/, '').replace(/\$$/, '')})$`) }));
}

export const UNDECLARED = 'undeclared';
export const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CORRELATION_ID = new RegExp(CORRELATION_ID_REGEX);
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,79}$/;
const ROUTE_LABEL = /^[A-Za-z0-9 ._{}/-]{1,200}$/;

/** The path of a request target (origin or absolute form), query string cut, percent-decoded. */
function pathOf(uri: string): string {
  let p = uri.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '');
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The declared route of a method + raw URI, as the positive model decides (EXG_WAF_1). */
export function declaredRoute(routes: readonly CompiledRoute[], method: string, uri: string): string {
  const path = pathOf(uri);
  const hit = routes.find((r) => r.method === method && r.re.test(path));
  return hit && ROUTE_LABEL.test(hit.label) ? hit.label : UNDECLARED;
}

export interface SiemRule {
  id: number;
  family: RuleFamily;
  severity: number | null;
  /** Messages of this rule in the transaction (a rule can match several variables). */
  matches: number;
  tags: string[];
}

/** One line of the SIEM log: one audited transaction. */
export interface SiemRecord {
  time: string;
  event: 'waf_transaction';
  waf: string;
  correlation_id: string | null;
  client_ip: string | null;
  method: string;
  route: string;
  status: number | null;
  /** `blocked` by a disruptive rule, `detected` (rules matched, request passed), `logged` (relevant status only). */
  outcome: 'blocked' | 'detected' | 'logged';
  /** Family that blocked: the blocking rule's, or for a CRS anomaly block the family with most points. */
  family: RuleFamily | null;
  blocking_rule_id: number | null;
  anomaly_score: number | null;
  request_bytes: number | null;
  response_bytes: number | null;
  rules: SiemRule[];
}

/** What the relay writes for an entry it cannot read: still one valid JSON line. */
export interface UnreadableRecord {
  time: string;
  event: 'waf_audit_unreadable';
  waf: string;
  bytes: number;
  reason: 'not_json' | 'not_an_audit_entry' | 'too_large';
}

export interface RelayContext {
  waf: string;
  routes: readonly CompiledRoute[];
  blockingRuleIds: ReadonlySet<number>;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function intOf(v: unknown, max = 1e15): number | null {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
  if (!/^\d{1,16}$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

function contentLength(headers: unknown): number | null {
  const h = obj(headers);
  if (!h) return null;
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === 'content-length') return intOf(v);
  return null;
}

/** Digits of the anomaly score in the CRS evaluation message (`… (Total Score: 15)`), nothing else. */
function scoreFromMessage(message: unknown): number | null {
  if (typeof message !== 'string') return null;
  const m = /^Inbound Anomaly Score Exceeded \(Total Score: (\d{1,6})\)$/.exec(message);
  return m ? Number(m[1]) : null;
}

/**
 * Decodes an audit entry as the relay received it. libmodsecurity writes raw bytes of matched
 * values into its JSON (yajl without UTF-8 validation: 941310 matches are not valid UTF-8), so
 * the bytes are decoded with replacement characters first: the entry parses, the bad bytes
 * were in values the whitelist drops anyway.
 */
export function parseAuditEntry(body: Uint8Array): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(body));
}

/** The SIEM record of a parsed audit entry, or the reason it is unreadable. */
export function siemRecord(entry: unknown, ctx: RelayContext, now: Date): SiemRecord | UnreadableRecord {
  const tx = obj(obj(entry)?.transaction);
  const time = now.toISOString();
  if (!tx) return { time, event: 'waf_audit_unreadable', waf: ctx.waf, bytes: 0, reason: 'not_an_audit_entry' };
  const request = obj(tx.request) ?? {};
  const response = obj(tx.response) ?? {};
  const rawMethod = typeof request.method === 'string' ? request.method : '';
  const method = METHODS.has(rawMethod) ? rawMethod : 'OTHER';
  const uniqueId = typeof tx.unique_id === 'string' && CORRELATION_ID.test(tx.unique_id) ? tx.unique_id : null;
  const clientIp = typeof tx.client_ip === 'string' && isIP(tx.client_ip) !== 0 ? tx.client_ip : null;

  const rules: SiemRule[] = [];
  const byId = new Map<number, SiemRule>();
  let evaluationScore: number | null = null;
  const points = new Map<RuleFamily, number>();
  let detectionScore = 0;
  for (const m of Array.isArray(tx.messages) ? tx.messages : []) {
    const msg = obj(m);
    const d = obj(msg?.details);
    const id = intOf(d?.ruleId, 999_999_999);
    if (id === null) continue;
    const severity = intOf(d?.severity, 7);
    if (id === 949110) evaluationScore ??= scoreFromMessage(msg?.message);
    let rule = byId.get(id);
    if (!rule) {
      const tags = Array.isArray(d?.tags) ? d.tags.filter((t): t is string => typeof t === 'string' && TAG.test(t)) : [];
      rule = { id, family: ruleFamily(id), severity, matches: 0, tags: [...new Set(tags)].slice(0, 16) };
      byId.set(id, rule);
      rules.push(rule);
    }
    rule.matches++;
    if (rule.matches === 1 && isCrsDetection(id) && severity !== null) {
      const p = SEVERITY_SCORE[severity] ?? 0;
      detectionScore += p;
      points.set(rule.family, (points.get(rule.family) ?? 0) + p);
    }
  }

  const blocking = rules.find((r) => ctx.blockingRuleIds.has(r.id));
  let family: RuleFamily | null = null;
  if (blocking) {
    if (blocking.family === 'anomaly_inbound' || blocking.family === 'anomaly_outbound' || blocking.family === 'crs_setup') {
      let best: RuleFamily | null = null;
      for (const [f, p] of points) if (best === null || p > (points.get(best) ?? 0)) best = f;
      family = best ?? blocking.family;
    } else family = blocking.family;
  } else if (rules.length > 0) {
    let best: RuleFamily | null = null;
    for (const [f, p] of points) if (best === null || p > (points.get(best) ?? 0)) best = f;
    family = best ?? rules[0]!.family;
  }
  const undeclared = rules.some((r) => r.id === 10999);
  return {
    time,
    event: 'waf_transaction',
    waf: ctx.waf,
    correlation_id: uniqueId,
    client_ip: clientIp,
    method,
    route: undeclared ? UNDECLARED : declaredRoute(ctx.routes, rawMethod, typeof request.uri === 'string' ? request.uri : ''),
    status: intOf(response.http_code, 999),
    outcome: blocking ? 'blocked' : rules.length > 0 ? 'detected' : 'logged',
    family,
    blocking_rule_id: blocking?.id ?? null,
    anomaly_score: evaluationScore ?? (detectionScore > 0 ? detectionScore : null),
    request_bytes: contentLength(request.headers),
    response_bytes: contentLength(response.headers),
    rules,
  };
}

/** One line of the nginx error log as the relay writes it: the message's class and numbers. */
export interface NginxErrorRecord {
  time: string;
  event: 'nginx_error';
  waf: string;
  level: string;
  /** Class of the message, from a fixed catalogue; `unclassified` for any other text. */
  kind: string;
  /** nginx's connection number (`*N`), also in the access log's `connection` field. */
  connection?: number;
  syscall?: string;
  errno?: number;
  /** nginx's action when the error happened (`connecting to upstream`…), from its fixed strings. */
  while?: string;
  status?: number;
  phase?: number;
  bytes?: number;
  signal?: number;
}

const LEVELS = new Set(['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug']);
const SYSLOG =
  /^<(\d{1,3})>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([A-Za-z0-9_]{1,32}): \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[([a-z]+)\] \d+#\d+: (?:\*(\d{1,19}) )?/;
/**
 * nginx's action strings (`r->connection->log->action`): only these are copied, so text that
 * merely looks like one (a header line quoted in the message) cannot be.
 */
const ACTIONS = [
  'connecting to upstream',
  'SSL handshaking to upstream',
  'sending request to upstream',
  'sending request body to upstream',
  'reading response header from upstream',
  'reading upstream',
  'reading response from upstream',
  'sending to client',
  'sending response to client',
  'reading client request line',
  'reading client request headers',
  'reading client request body',
  'reading client pipelined request line',
  'reading PROXY protocol',
  'SSL handshaking',
  'waiting for request',
  'closing request',
  'keepalive',
  'requesting certificate status',
] as const;
const WHILE = new RegExp(` while (${ACTIONS.join('|')})(?:,|$)`);
const SYSCALL = /^([A-Za-z_][A-Za-z0-9_]{0,31})\(\) failed \((\d{1,4}): [A-Za-z ,'-]{1,80}\)/;

type Kind = Omit<NginxErrorRecord, 'time' | 'event' | 'waf' | 'level' | 'connection'>;

/** nginx's action when the message names one of its fixed action strings. */
function context(text: string): { while?: string } {
  const w = WHILE.exec(text);
  return w ? { while: w[1]! } : {};
}

/** The catalogue, first match wins; what a class keeps is digits or fixed strings only. */
const CATALOGUE: ReadonlyArray<[RegExp, (m: RegExpExecArray, text: string) => Kind]> = [
  [
    /^\[client [0-9a-fA-F.:]{2,45}\] ModSecurity: Access denied with code (\d{3}) \(phase (\d)\)/,
    (m) => ({ kind: 'modsecurity_intervention', status: Number(m[1]), phase: Number(m[2]) }),
  ],
  [/^(?:\[client [0-9a-fA-F.:]{2,45}\] )?ModSecurity: /, () => ({ kind: 'modsecurity_message' })],
  [/^upstream timed out \((\d{1,4}): /, (m, t) => ({ kind: 'upstream_timed_out', errno: Number(m[1]), ...context(t) })],
  [/^no live upstreams /, (_, t) => ({ kind: 'upstream_none_alive', ...context(t) })],
  [/^upstream prematurely closed connection /, (_, t) => ({ kind: 'upstream_closed_prematurely', ...context(t) })],
  [/^upstream sent /, (_, t) => ({ kind: 'upstream_invalid_response', ...context(t) })],
  [/^upstream SSL certificate /, (_, t) => ({ kind: 'upstream_tls_certificate', ...context(t) })],
  [/^client intended to send too large body: (\d{1,19}) bytes/, (m) => ({ kind: 'request_body_too_large', bytes: Number(m[1]) })],
  [/^a client request body is buffered to a temporary file /, () => ({ kind: 'request_body_buffered' })],
  [/^an upstream response is buffered to a temporary file /, () => ({ kind: 'upstream_response_buffered' })],
  [/^client sent /, (_, t) => ({ kind: 'client_sent_invalid_request', ...context(t) })],
  [/^client timed out /, (_, t) => ({ kind: 'client_timed_out', ...context(t) })],
  [/^worker process \d{1,10} exited on signal (\d{1,3})/, (m) => ({ kind: 'worker_crashed', signal: Number(m[1]) })],
  [/^(SSL_[A-Za-z_]{1,30})\(\) failed \(SSL:/, (m, t) => ({ kind: 'tls_failed', syscall: m[1]!, ...context(t) })],
  [
    SYSCALL,
    (m, t) => ({ kind: /while [a-z ]*upstream/.test(t) ? 'upstream_syscall_failed' : 'syscall_failed', syscall: m[1]!, errno: Number(m[2]), ...context(t) }),
  ],
];

function classify(text: string): Kind {
  for (const [re, kind] of CATALOGUE) {
    const m = re.exec(text);
    if (m) return kind(m, text);
  }
  return { kind: 'unclassified' };
}

/**
 * The record of one nginx error-log datagram (RFC 3164 with `nohostname`), or undefined when it
 * is not nginx's or carries another instance's tag. Decoded as latin1: the text is matched
 * against the catalogue, never copied.
 */
export function nginxErrorRecord(datagram: Uint8Array, ctx: { waf: string; syslogTag: string }, now: Date): NginxErrorRecord | undefined {
  const text = Buffer.from(datagram).toString('latin1');
  const head = SYSLOG.exec(text);
  if (!head || head[2] !== ctx.syslogTag || !LEVELS.has(head[3]!)) return undefined;
  const rest = text.slice(head[0].length).replace(/\r?\n$/, '');
  const record: NginxErrorRecord = { time: now.toISOString(), event: 'nginx_error', waf: ctx.waf, level: head[3]!, ...classify(rest) };
  if (head[4] !== undefined) record.connection = Number(head[4]);
  // Key order: connection right after kind, for readers.
  const { time, event, waf, level, kind, connection, ...details } = record;
  return { time, event, waf, level, kind, ...(connection !== undefined ? { connection } : {}), ...details };
}
