/**
 * WAF renderer: nginx + ModSecurity v3 + OWASP CRS 3.3 (Debian packages), one instance per DC.
 *
 * - TLS termination, TLS 1.2/1.3 only, ECDHE + AES-GCM suites (ANSSI guide TLS, R5–R10).
 * - Positive model of the API (EXG_WAF_1, EXG_SEC_3.5): only declared `METHOD path` pairs pass,
 *   everything else is denied with 403 in ModSecurity phase 1, before the CRS runs.
 * - CRS anomaly scoring in blocking mode, paranoia level from the input.
 * - Correlation id (EXG_SEC_6.1): the incoming `X-Correlation-ID` when it is well formed, else
 *   nginx's `$request_id`. It is sent to the upstream, returned to the client, written to the
 *   JSON access log and used as ModSecurity's transaction id (`modsecurity_transaction_id`),
 *   so every JSON audit-log entry carries it as `transaction.unique_id` and in `tx.correlation_id`.
 *
 * Pure function: input -> RenderedFile[]. All paths in the output are absolute and come from
 * the input, so the instance runs as root in the lab without touching /etc/nginx.
 */
import type { RenderedFile } from '../types.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** One declared operation of the protected API. */
export interface WafRoute {
  method: HttpMethod;
  /**
   * Regex (PCRE, JS-compatible subset) matched against the *whole* raw request path
   * (query string excluded); the renderer anchors it, e.g. `/documents/[0-9a-f-]{36}`.
   */
  pathRegex: string;
  /** Free text kept as a comment in the rules, e.g. `read one document`. */
  description?: string;
}

export interface WafUpstream {
  address: string;
  port: number;
}

export interface WafRenderInput {
  /** Instance name, e.g. `waf-dc1` (used in log file names and the upstream block). */
  name: string;
  /** Absolute directory the rendered files are written to (nginx `-c <confDir>/nginx.conf`). */
  confDir: string;
  /** Absolute runtime directory (pid, logs, temp paths, audit log); must exist with a `logs/` subdir. */
  runDir: string;
  listen: { address: string; port: number };
  /** PEM certificate chain and private key of the public TLS endpoint. */
  tls: { certPath: string; keyPath: string };
  /** Instances the WAF forwards to: plain HTTP inside the zone unless `upstreamTls` is set. */
  upstreams: WafUpstream[];
  /**
   * Re-encrypt to the upstreams (production: the OpenShift ingress routers on 443, flow
   * waf-to-ingress): TLS 1.2+, certificate verified against `caFile`, SNI/name `serverName`.
   */
  upstreamTls?: { caFile: string; serverName: string };
  /** The positive model: declared operations. */
  routes: WafRoute[];
  /** CRS paranoia level, default 1. */
  paranoiaLevel?: 1 | 2 | 3 | 4;
  /** CRS inbound anomaly threshold, default 5 (one critical rule blocks). */
  inboundAnomalyThreshold?: number;
  /** CRS outbound anomaly threshold, default 4. */
  outboundAnomalyThreshold?: number;
  /** Maximum request body in bytes, default 10 MiB (nginx and ModSecurity). */
  maxBodyBytes?: number;
  /** Content types the CRS accepts on requests with a body, default `application/json`. */
  allowedContentTypes?: string[];
  /** Name of the correlation header, default `X-Correlation-ID`. */
  correlationHeader?: string;
  /** Unix user of the nginx workers; omitted = nginx default (`nobody`). */
  workerUser?: string;
  workerProcesses?: number;
  /** Debian paths; override only on another distribution. */
  paths?: {
    modsecurityModule?: string;
    crsRulesDir?: string;
    unicodeMapping?: string;
    mimeTypes?: string;
  };
}

export const WAF_DEFAULT_PATHS = {
  modsecurityModule: '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so',
  crsRulesDir: '/usr/share/modsecurity-crs/rules',
  unicodeMapping: '/etc/nginx/unicode.mapping',
  mimeTypes: '/etc/nginx/mime.types',
} as const;

/** File names inside confDir / runDir, exported so the lab and tests do not guess them. */
export const WAF_FILES = {
  nginxConf: 'nginx.conf',
  modsecMain: 'modsecurity/main.conf',
  crsSetup: 'modsecurity/crs-setup.conf',
  positiveModel: 'modsecurity/positive-model.conf',
} as const;

export function wafRuntimePaths(input: Pick<WafRenderInput, 'runDir' | 'name'>) {
  const r = input.runDir.replace(/\/+$/, '');
  return {
    pidFile: `${r}/nginx.pid`,
    errorLog: `${r}/logs/error.log`,
    accessLog: `${r}/logs/access.json.log`,
    auditLog: `${r}/logs/modsec_audit.json.log`,
    tempDir: `${r}/tmp`,
    /** Directories that must exist before nginx starts. */
    dirs: [r, `${r}/logs`, `${r}/tmp`],
  };
}

const ANSSI_TLS12_CIPHERS = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'];
const ANSSI_TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'];
const ANSSI_GROUPS = ['X25519', 'prime256v1', 'secp384r1'];

/** Well-formed correlation ids: 8–128 chars of [A-Za-z0-9._:-] (UUIDs, ULIDs, trace ids). */
export const CORRELATION_ID_REGEX = '^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$';

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HEADER_RE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

function assertAbsolute(what: string, p: string): void {
  if (!p.startsWith('/') || /[\s;'"{}$\\]/.test(p)) throw new Error(`${what} must be an absolute path without spaces or quotes: ${p}`);
}

function validate(input: WafRenderInput): void {
  if (!NAME_RE.test(input.name)) throw new Error(`invalid WAF name ${input.name}`);
  assertAbsolute('confDir', input.confDir);
  assertAbsolute('runDir', input.runDir);
  assertAbsolute('tls.certPath', input.tls.certPath);
  assertAbsolute('tls.keyPath', input.tls.keyPath);
  for (const v of Object.values(input.paths ?? {})) if (v !== undefined) assertAbsolute('paths.*', v);
  if (input.upstreamTls) {
    assertAbsolute('upstreamTls.caFile', input.upstreamTls.caFile);
    if (!/^[a-z0-9.-]+$/.test(input.upstreamTls.serverName)) throw new Error(`invalid upstream TLS server name ${input.upstreamTls.serverName}`);
  }
  if (input.upstreams.length === 0) throw new Error('at least one upstream is required');
  for (const u of [input.listen, ...input.upstreams]) {
    if (!/^[0-9a-fA-F.:]+$|^[a-z0-9.-]+$/.test(u.address)) throw new Error(`invalid address ${u.address}`);
    if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535) throw new Error(`invalid port ${u.port}`);
  }
  if (input.routes.length === 0) throw new Error('the positive model needs at least one route');
  for (const r of input.routes) {
    if (/["'\n\r\\]$/.test(r.pathRegex) || /["\n\r]/.test(r.pathRegex)) throw new Error(`route regex must not contain quotes or newlines: ${r.pathRegex}`);
    if (!r.pathRegex.startsWith('/') && !r.pathRegex.startsWith('^/')) throw new Error(`route regex must start with '/': ${r.pathRegex}`);
    try {
      new RegExp(r.pathRegex);
    } catch (e) {
      throw new Error(`route regex does not compile: ${r.pathRegex} (${(e as Error).message})`);
    }
    if (r.description !== undefined && /[\n\r]/.test(r.description)) throw new Error('route description must be one line');
  }
  const pl = input.paranoiaLevel ?? 1;
  if (![1, 2, 3, 4].includes(pl)) throw new Error(`paranoia level must be 1..4, got ${pl}`);
  if (input.correlationHeader !== undefined && !HEADER_RE.test(input.correlationHeader)) throw new Error('invalid correlation header name');
  for (const ct of input.allowedContentTypes ?? []) if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(ct)) throw new Error(`invalid content type ${ct}`);
  if (input.workerUser !== undefined && !/^[a-z_][a-z0-9_-]*$/.test(input.workerUser)) throw new Error('invalid worker user');
}

/** Strips user-supplied anchors; the renderer anchors the whole `METHOD path` string itself. */
function unanchor(re: string): string {
  return re.replace(/^\^/, '').replace(/\$$/, '');
}

function renderPositiveModel(routes: WafRoute[]): string {
  const lines: string[] = [
    '# Positive model of the protected API (EXG_WAF_1, EXG_SEC_3.5): generated, do not edit.',
    '# Phase 1, before the CRS: the request line "METHOD /path" (raw path, query string excluded)',
    '# must match one declared route, else the request is denied with 403.',
    'SecAction "id:10000,phase:1,pass,nolog,t:none,setvar:\'tx.hds_route=%{REQUEST_METHOD} %{REQUEST_FILENAME}\'"',
  ];
  routes.forEach((r, i) => {
    const id = 10010 + i;
    lines.push(`# ${r.method} ${r.pathRegex}${r.description ? ` -- ${r.description}` : ''}`);
    lines.push(`SecRule TX:hds_route "@rx ^${r.method} (?:${unanchor(r.pathRegex)})$" "id:${id},phase:1,pass,nolog,t:none,skipAfter:END_HDS_POSITIVE_MODEL"`);
  });
  lines.push(
    'SecAction "id:10999,phase:1,deny,status:403,log,auditlog,t:none,' +
      "msg:'EXG_WAF_1 request outside the API positive model',logdata:'%{tx.hds_route}'," +
      "tag:'hds/positive-model',tag:'EXG_WAF_1',severity:'CRITICAL'\"",
    'SecMarker END_HDS_POSITIVE_MODEL',
    '',
  );
  return lines.join('\n');
}

function renderCrsSetup(input: WafRenderInput): string {
  const pl = input.paranoiaLevel ?? 1;
  const inbound = input.inboundAnomalyThreshold ?? 5;
  const outbound = input.outboundAnomalyThreshold ?? 4;
  const methods = [...new Set(input.routes.map((r) => r.method))].sort().join(' ');
  const ct = (input.allowedContentTypes ?? ['application/json']).map((c) => `|${c}|`).join(' ');
  return [
    '# OWASP CRS 3.3 setup, rendered (replaces /etc/modsecurity/crs/crs-setup.conf).',
    '# Anomaly scoring mode, blocking: rule 949110 denies once the inbound score reaches the threshold.',
    'SecDefaultAction "phase:1,log,auditlog,pass"',
    'SecDefaultAction "phase:2,log,auditlog,pass"',
    `SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${pl}"`,
    `SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=${inbound},setvar:tx.outbound_anomaly_score_threshold=${outbound}"`,
    `SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=${methods}'"`,
    `SecAction "id:900220,phase:1,nolog,pass,t:none,setvar:'tx.allowed_request_content_type=${ct}'"`,
    'SecAction "id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334"',
    '',
  ].join('\n');
}

function renderModsecMain(input: WafRenderInput): string {
  const rt = wafRuntimePaths(input);
  const p = { ...WAF_DEFAULT_PATHS, ...(input.paths ?? {}) };
  const body = input.maxBodyBytes ?? 10 * 1024 * 1024;
  const conf = input.confDir.replace(/\/+$/, '');
  return [
    '# ModSecurity v3 engine configuration, rendered.',
    'SecRuleEngine On',
    'SecRequestBodyAccess On',
    `SecRequestBodyLimit ${body}`,
    `SecRequestBodyNoFilesLimit ${body}`,
    'SecRequestBodyLimitAction Reject',
    'SecRequestBodyJsonDepthLimit 64',
    'SecArgumentsLimit 1000',
    '# Health data never enters the audit trail: response bodies are not inspected or logged.',
    'SecResponseBodyAccess Off',
    'SecPcreMatchLimit 1000',
    'SecPcreMatchLimitRecursion 1000',
    `SecTmpDir ${rt.tempDir}`,
    `SecDataDir ${rt.tempDir}`,
    'SecArgumentSeparator &',
    'SecCookieFormat 0',
    `SecUnicodeMapFile ${p.unicodeMapping} 20127`,
    'SecStatusEngine Off',
    '',
    '# Audit log: JSON, one entry per line, relevant (4xx except 404, 5xx) or rule-flagged transactions.',
    '# Parts: A header (transaction.unique_id = correlation id), B request headers, F response',
    '# headers, H rule messages, Z end. Request/response bodies (C, I, E) are left out: they hold health data.',
    'SecAuditEngine RelevantOnly',
    'SecAuditLogRelevantStatus "^(?:5|4(?!04))"',
    'SecAuditLogParts ABFHZ',
    'SecAuditLogType Serial',
    'SecAuditLogFormat JSON',
    `SecAuditLog ${rt.auditLog}`,
    '',
    '# Body processors for the API content types.',
    'SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
    'SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',logdata:\'%{reqbody_error_msg}\',severity:2"',
    'SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:\'Too many arguments\',severity:2"',
    'SecRule TX:/^MSC_/ "!@streq 0" "id:200005,phase:2,t:none,log,deny,msg:\'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}\'"',
    '',
    '# Correlation id (EXG_SEC_6.1): UNIQUE_ID is set by nginx (modsecurity_transaction_id).',
    'SecAction "id:10001,phase:1,pass,nolog,t:none,setvar:\'tx.correlation_id=%{UNIQUE_ID}\'"',
    '',
    `Include ${conf}/${WAF_FILES.positiveModel}`,
    `Include ${conf}/${WAF_FILES.crsSetup}`,
    `Include ${p.crsRulesDir}/*.conf`,
    '',
  ].join('\n');
}

/** Re-encryption to the upstreams (empty without `upstreamTls`, so the lab's file is unchanged). */
function upstreamTlsLines(input: WafRenderInput): string {
  const t = input.upstreamTls;
  if (!t) return '';
  return [
    '',
    '      proxy_ssl_protocols TLSv1.2 TLSv1.3;',
    '      proxy_ssl_verify on;',
    '      proxy_ssl_verify_depth 3;',
    `      proxy_ssl_trusted_certificate ${t.caFile};`,
    '      proxy_ssl_server_name on;',
    `      proxy_ssl_name ${t.serverName};`,
    '      proxy_ssl_session_reuse on;',
  ].join('\n');
}

function renderNginxConf(input: WafRenderInput): string {
  const rt = wafRuntimePaths(input);
  const p = { ...WAF_DEFAULT_PATHS, ...(input.paths ?? {}) };
  const conf = input.confDir.replace(/\/+$/, '');
  const header = input.correlationHeader ?? 'X-Correlation-ID';
  const headerVar = `$http_${header.toLowerCase().replace(/-/g, '_')}`;
  const body = input.maxBodyBytes ?? 10 * 1024 * 1024;
  const upstream = `${input.name.replace(/-/g, '_')}_backend`;
  const user = input.workerUser !== undefined ? `user ${input.workerUser};\n` : '';
  const servers = input.upstreams
    .map((u) => `    server ${u.address.includes(':') ? `[${u.address}]` : u.address}:${u.port} max_fails=1 fail_timeout=5s;`)
    .join('\n');
  const listen = input.listen.address.includes(':') ? `[${input.listen.address}]` : input.listen.address;
  return `# nginx WAF instance ${input.name}: rendered by hds-platform (modules/services/waf), do not edit.
load_module ${p.modsecurityModule};
${user}worker_processes ${input.workerProcesses ?? 1};
pid ${rt.pidFile};
error_log ${rt.errorLog} warn;

events {
  worker_connections 1024;
}

http {
  include ${p.mimeTypes};
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  keepalive_timeout 30s;
  client_max_body_size ${body};
  client_body_buffer_size 128k;

  client_body_temp_path ${rt.tempDir}/client_body;
  proxy_temp_path ${rt.tempDir}/proxy;
  fastcgi_temp_path ${rt.tempDir}/fastcgi;
  uwsgi_temp_path ${rt.tempDir}/uwsgi;
  scgi_temp_path ${rt.tempDir}/scgi;

  # Correlation id (EXG_SEC_6.1): keep a well-formed incoming one, else mint nginx's $request_id.
  map ${headerVar} $hds_correlation_id {
    "~${CORRELATION_ID_REGEX}" ${headerVar};
    default $request_id;
  }

  log_format hds_json escape=json '{"time":"$time_iso8601","waf":"${input.name}","correlation_id":"$hds_correlation_id",'
    '"remote_addr":"$remote_addr","method":"$request_method","uri":"$uri","status":$status,'
    '"bytes_sent":$bytes_sent,"request_time":$request_time,"upstream":"$upstream_addr",'
    '"upstream_status":"$upstream_status","tls":"$ssl_protocol/$ssl_cipher"}';
  access_log ${rt.accessLog} hds_json;

  upstream ${upstream} {
${servers}
    keepalive 16;
  }

  server {
    listen ${listen}:${input.listen.port} ssl;
    server_name _;

    # TLS (ANSSI guide TLS): 1.2 and 1.3 only, ECDHE key exchange, AES-GCM only, no tickets.
    ssl_certificate ${input.tls.certPath};
    ssl_certificate_key ${input.tls.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${ANSSI_TLS12_CIPHERS.join(':')};
    ssl_conf_command Ciphersuites ${ANSSI_TLS13_SUITES.join(':')};
    ssl_ecdh_curve ${ANSSI_GROUPS.join(':')};
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:${upstream}_tls:10m;
    ssl_session_timeout 1h;
    ssl_session_tickets off;

    modsecurity on;
    modsecurity_rules_file ${conf}/${WAF_FILES.modsecMain};
    modsecurity_transaction_id $hds_correlation_id;

    add_header ${header} $hds_correlation_id always;
    add_header Strict-Transport-Security "max-age=63072000" always;
    add_header X-Content-Type-Options nosniff always;

    location / {
      proxy_pass ${input.upstreamTls ? 'https' : 'http'}://${upstream};${upstreamTlsLines(input)}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header ${header} $hds_correlation_id;
      # The WAF is the one source of the correlation id the client sees (no duplicate header).
      proxy_hide_header ${header};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      # Retry another instance on connection errors only; never replay a non-idempotent request.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
    }
  }
}
`;
}

/** Renders the WAF instance: nginx.conf and the ModSecurity/CRS configuration. */
export function renderWaf(input: WafRenderInput): RenderedFile[] {
  validate(input);
  return [
    { path: WAF_FILES.nginxConf, content: renderNginxConf(input) },
    { path: WAF_FILES.modsecMain, content: renderModsecMain(input) },
    { path: WAF_FILES.crsSetup, content: renderCrsSetup(input) },
    { path: WAF_FILES.positiveModel, content: renderPositiveModel(input.routes) },
  ];
}

/** The reference documents API as a positive model (used by the lab and the tests). */
export const REFERENCE_API_ROUTES: WafRoute[] = [
  { method: 'GET', pathRegex: '/health', description: 'liveness + database check' },
  { method: 'POST', pathRegex: '/documents', description: 'store one document' },
  {
    method: 'GET',
    pathRegex: '/documents/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    description: 'read one document by uuid',
  },
];
