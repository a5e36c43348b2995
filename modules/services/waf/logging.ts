/**
 * The WAF's log policy (issue 11; EXG_WAF_1, EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR): what nginx
 * and ModSecurity log and where, rendered into the WAF's configuration by render.ts.
 *
 * Safe by construction — no request value, body, query string, cookie or header value reaches a
 * file, because no component that sees one writes a file:
 * - ModSecurity's JSON audit entry (which quotes matched values in messages[].details.match and
 *   .data, always carries the raw URI with its query string in part A, and the request headers
 *   in part B; libmodsecurity 3.0.9 refuses sanitiseArg/sanitiseMatched/sanitiseRequestHeader as
 *   "not yet supported") is POSTed on loopback to the WAF log relay (`SecAuditLogType HTTPS` with
 *   an http://127.0.0.1 URL). The relay (modules/runtime/wafLogRelay) keeps a whitelist of
 *   fields — rule ids, rule family, severity, tags, anomaly score, correlation id, method,
 *   declared route, status, sizes — and writes one JSON line per transaction to the SIEM log.
 * - nginx's error log (where the ModSecurity connector writes every intervention with the matched
 *   data and the URI, and where nginx adds the request line, host and referrer to every
 *   request-scoped error) goes to the same relay as syslog over loopback UDP; the relay writes an
 *   event *class* per message (upstream connect failure, timeout, body too large, ModSecurity
 *   intervention…) with numeric details only, never the text.
 * - nginx's access log is written by nginx itself, with only variables that cannot hold request
 *   data: the declared route's label (a `map` of the positive model, not `$uri`/`$request`),
 *   the method from a fixed list, sizes, status, timings, upstream, TLS and the correlation id.
 *
 * Pure functions; nothing here reads the disk.
 */
import { PORTS } from '../../model/ports.ts';
import type { RenderedFile } from '../types.ts';
import type { HttpMethod, WafRenderInput, WafRoute } from './render.ts';

/** Options of the log policy carried by WafRenderInput. */
export interface WafLogOptions {
  /**
   * Loopback port of the WAF log relay (TCP: ModSecurity audit entries; UDP: nginx's error log
   * as syslog), default PORTS.wafLogRelay. Tests running several WAFs on one host change it.
   */
  logRelayPort?: number;
}

/** The methods the logs name; any other method is logged as `OTHER` (a method is client text). */
export const WAF_LOG_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Route label of a request outside the positive model. */
export const UNDECLARED_ROUTE = 'undeclared';

/** Files of the log relay: its configuration in confDir. */
export const WAF_LOG_FILES = {
  relayConfig: 'log-relay.json',
} as const;

/** The relay's outputs in runDir: the only files holding WAF events besides nginx's access log. */
export function wafLogPaths(input: Pick<WafRenderInput, 'runDir'>) {
  const r = input.runDir.replace(/\/+$/, '');
  return {
    /** One JSON line per audited transaction, for the SOC's SIEM (EXG_SEC_5.4). */
    siemLog: `${r}/logs/siem.json.log`,
    /** One JSON line per nginx error-log message: its class and numbers, never its text. */
    nginxErrorLog: `${r}/logs/nginx-error.json.log`,
  };
}

export function wafLogRelayPort(input: WafLogOptions): number {
  const port = input.logRelayPort ?? PORTS.wafLogRelay;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid log relay port ${port}`);
  return port;
}

/** nginx's syslog tag: letters, digits and underscores, at most 32 characters. */
export function wafSyslogTag(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32);
}

const LITERAL_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const ROUTE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The label of a declared route in the logs and metrics: the id of its API contract route (e.g.
 * `documents.create`, also `tx.hds_route_id` in ModSecurity), else its method and a path template
 * whose non-literal segments are `{param}` (e.g. `GET /documents/{param}`). Never the request's
 * own path: a path segment can hold an identifier or a name.
 */
export function routeLabel(route: WafRoute): string {
  const id = route.contract?.id;
  if (typeof id === 'string' && ROUTE_NAME.test(id)) return id;
  const path = route.pathRegex.replace(/^\^/, '').replace(/\$$/, '');
  const template = path
    .split('/')
    .map((s, i) => (i === 0 || s === '' || LITERAL_SEGMENT.test(s) ? s : '{param}'))
    .join('/');
  return `${route.method} ${template}`;
}

/**
 * Audit-log directives of modsecurity/main.conf. Parts A (header: unique_id = correlation id,
 * method, status), B and F (only Content-Length is kept by the relay), H (rule messages), Z.
 */
export function renderAuditLogLines(input: WafLogOptions): string[] {
  const port = wafLogRelayPort(input);
  return [
    '# Audit log (issue 11; EXG_SEC_5.4, HDS/GDPR): a JSON entry quotes matched values',
    '# (messages[].details.match/.data), the raw URI with its query string (part A) and the request',
    '# headers (part B); libmodsecurity 3.0.9 has no sanitise* actions. So the entry never touches a',
    '# disk: it is POSTed on loopback to the WAF log relay, which writes one whitelisted JSON line per',
    '# transaction for the SIEM (modules/services/waf/logging.ts, modules/runtime/wafLogRelay).',
    'SecAuditEngine RelevantOnly',
    'SecAuditLogRelevantStatus "^(?:5|4(?!04))"',
    'SecAuditLogParts ABFHZ',
    'SecAuditLogFormat JSON',
    'SecAuditLogType HTTPS',
    `SecAuditLog http://127.0.0.1:${port}/modsec-audit`,
    '# CRS rules add the response body (ctl:auditLogParts=+E) even with SecResponseBodyAccess Off:',
    '# take every body part out again in the logging phase, so no body leaves ModSecurity at all.',
    'SecAction "id:200090,phase:5,pass,nolog,t:none,ctl:auditLogParts=-CEIJK"',
  ];
}

/**
 * nginx's error_log directives (main context). The connector writes each ModSecurity
 * intervention at level error with the matched data and the URI, and nginx appends the request
 * line, Host and Referer to every request-scoped error: no level keeps upstream failures while
 * leaving those out. So the log goes to the relay as syslog (loopback UDP, level warn), which
 * keeps each message's class and numbers, never its text.
 *
 * The second, /dev/null, log is not decoration: with only a syslog log and `daemon off`, nginx
 * also copies every message of level warn and above to its stderr (no file log to redirect
 * stderr to), which the supervisor writes to a file. A file log makes nginx point stderr at it.
 */
export function renderErrorLogDirective(input: Pick<WafRenderInput, 'name'> & WafLogOptions): string {
  return [
    `error_log syslog:server=127.0.0.1:${wafLogRelayPort(input)},facility=local7,tag=${wafSyslogTag(input.name)},nohostname warn;`,
    'error_log /dev/null emerg;',
  ].join('\n');
}

/** A string for a double-quoted nginx token (nginx turns `\\` into `\`). */
function nginxQuoted(s: string): string {
  if (/["\n\r]/.test(s)) throw new Error(`cannot quote ${JSON.stringify(s)} for nginx`);
  return `"${s.replace(/\\/g, '\\\\')}"`;
}

/**
 * The access log of the http block: the method and route maps, the JSON log_format and the
 * access_log line. `indent` is the block's indentation.
 */
export function renderAccessLog(input: Pick<WafRenderInput, 'name' | 'routes'>, accessLogPath: string, indent = '  '): string {
  const i = indent;
  const routeLines = input.routes.map((r) => {
    const path = r.pathRegex.replace(/^\^/, '').replace(/\$$/, '');
    const label = routeLabel(r);
    if (/[$"\\\n\r]/.test(label)) throw new Error(`route label ${label} cannot be written into nginx's configuration`);
    // \z, not $: PCRE's $ also matches before a final newline (a decoded %0a), as in the contract.
    return `${i}  ${nginxQuoted(`~^${r.method} (?:${path})\\z`)} ${nginxQuoted(label)};`;
  });
  return [
    `${i}# Access log (issue 11; EXG_SEC_6.1, HDS/GDPR): one JSON line per request with fields that cannot`,
    `${i}# hold request data. The declared route's label replaces the URI (a path segment or the query`,
    `${i}# string can hold a name or a note); the method comes from a fixed list.`,
    `${i}map $request_method $hds_log_method {`,
    `${i}  default OTHER;`,
    ...WAF_LOG_METHODS.map((m) => `${i}  ${m} ${m};`),
    `${i}}`,
    `${i}map "$request_method $uri" $hds_route {`,
    `${i}  default ${UNDECLARED_ROUTE};`,
    ...routeLines,
    `${i}}`,
    `${i}log_format hds_json escape=json '{"time":"$time_iso8601","waf":"${input.name}","correlation_id":"$hds_correlation_id",'`,
    `${i}  '"remote_addr":"$remote_addr","method":"$hds_log_method","route":"$hds_route","status":$status,'`,
    `${i}  '"request_length":$request_length,"bytes_sent":$bytes_sent,"request_time":$request_time,'`,
    `${i}  '"upstream":"$upstream_addr","upstream_status":"$upstream_status","upstream_response_time":"$upstream_response_time",'`,
    `${i}  '"connection":$connection,"tls":"$ssl_protocol/$ssl_cipher"}';`,
    `${i}access_log ${accessLogPath} hds_json;`,
  ].join('\n');
}

/**
 * CRS 3.3.4's disruptive rules (deny or drop; `grep -E '^ *(deny|drop),'` in its rules): when
 * one of them is in an audit entry, the CRS blocked the request. 949110/959100 are the anomaly
 * score evaluations, 912120/912130 the DoS drops, 901001/901500 configuration guards, 949100 IP
 * reputation.
 */
export const CRS_BLOCKING_RULE_IDS: readonly number[] = [901001, 901500, 912120, 912130, 949100, 949110, 959100];

/** One SecRule/SecAction statement per entry, continuation lines joined, chained links apart. */
function statements(conf: string): string[] {
  return conf
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^Sec(Rule|Action)\b/.test(l));
}

/**
 * Ids of the rendered rules that block (deny, drop or redirect), so the relay tells a block from a
 * detection without guessing from the status: a detect-only virtual patch logs without blocking.
 */
export function blockingRuleIds(files: readonly RenderedFile[]): number[] {
  const ids = new Set<number>(CRS_BLOCKING_RULE_IDS);
  for (const f of files) {
    if (!f.path.endsWith('.conf') || f.path.endsWith('nginx.conf')) continue;
    for (const s of statements(f.content)) {
      const id = /[",]\s*id:(\d{1,9})\b/.exec(s);
      if (id && /[",]\s*(deny|drop|redirect)\s*(?=[,"])/.test(s)) ids.add(Number(id[1]));
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** The relay's configuration (WAF_LOG_FILES.relayConfig), read by modules/runtime/wafLogRelay. */
export interface WafLogRelayConfig {
  /** WAF instance name (label `waf` and field `waf` of every line). */
  waf: string;
  /** Loopback address the relay listens on: TCP for audit entries, UDP for nginx's syslog. */
  ingest: { host: string; port: number };
  /** Prometheus metrics listener (the admin address in production). */
  metrics: { host: string; port: number };
  /** nginx's syslog tag; datagrams with another tag are ignored. */
  syslogTag: string;
  siemLog: string;
  nginxErrorLog: string;
  /** Declared routes, to label a transaction with its route (never its path). */
  routes: Array<{ label: string; method: string; pathRegex: string }>;
  /** Rule ids whose presence in an audit entry means the request was blocked. */
  blockingRuleIds: number[];
}

/**
 * The relay's configuration for one WAF: `files` are renderWaf(input)'s (for the blocking rule
 * ids), `metrics` where Prometheus scrapes it (PORTS.wafLogMetrics on the admin address).
 */
export function renderWafLogRelayConfig(
  input: Pick<WafRenderInput, 'name' | 'runDir' | 'routes'> & WafLogOptions,
  files: readonly RenderedFile[],
  metrics: { host: string; port?: number },
): RenderedFile {
  const paths = wafLogPaths(input);
  const config: WafLogRelayConfig = {
    waf: input.name,
    ingest: { host: '127.0.0.1', port: wafLogRelayPort(input) },
    metrics: { host: metrics.host, port: metrics.port ?? PORTS.wafLogMetrics },
    syslogTag: wafSyslogTag(input.name),
    siemLog: paths.siemLog,
    nginxErrorLog: paths.nginxErrorLog,
    routes: input.routes.map((r) => ({ label: routeLabel(r), method: r.method, pathRegex: r.pathRegex })),
    blockingRuleIds: blockingRuleIds(files),
  };
  return { path: WAF_LOG_FILES.relayConfig, content: `${JSON.stringify(config, null, 2)}\n` };
}
