/**
 * WAF renderer: nginx + ModSecurity v3 + OWASP CRS 3.3 (Debian packages), one instance per DC.
 *
 * - TLS termination, TLS 1.2/1.3 only, ECDHE + AES-GCM suites (ANSSI guide TLS, R5–R10).
 * - API contract (EXG_WAF_1, EXG_SEC_3.5; modules/model/apiContract.ts, rendered by contract.ts):
 *   only declared `METHOD path` pairs pass (403), with their declared query, content type (415),
 *   body size (413) and JSON fields (400); the Host must be a served name or the WAF's address
 *   (421). All of it in ModSecurity phases 1 and 2 before the CRS, which then runs on free text
 *   with exclusions scoped to one field of one route.
 * - Errors the WAF itself answers (413, 415, 421, 502, …; not 400/403, see WAF_ERROR_STATUSES)
 *   carry a JSON body with the status and the correlation id.
 * - Free-text headers are CRS targets too (crs-targets.conf); the Cookie header is not forwarded
 *   (the header policy of the contract).
 * - CRS anomaly scoring in blocking mode, paranoia level from the input.
 * - Correlation id (EXG_SEC_6.1): the incoming `X-Correlation-ID` when it is well formed, else
 *   nginx's `$request_id`. It is sent to the upstream, returned to the client, written to the
 *   JSON access log and used as ModSecurity's transaction id (`modsecurity_transaction_id`),
 *   so every JSON audit-log entry carries it as `transaction.unique_id` and in `tx.correlation_id`.
 *
 * Pure function: input -> RenderedFile[]. All paths in the output are absolute and come from
 * the input, so the instance runs as root in the lab without touching /etc/nginx.
 */
import type { VirtualPatch } from '../../model/virtualPatches.ts';
import { type ApiHeaderPolicy, maxBodyBytes as contractMaxBodyBytes, PLATFORM_HEADER_POLICY, REFERENCE_API_CONTRACT } from '../../model/apiContract.ts';
import type { RenderedFile } from '../types.ts';
import { contractRenderProblems, renderContract, renderCrsTargets, type WafRoute, wafRoutesOf } from './contract.ts';
import { renderAccessLog, renderAuditLogLines, renderErrorLogDirective, type WafLogOptions } from './logging.ts';
import { renderVirtualPatches } from './patches.ts';

export type { HttpMethod } from '../../model/apiContract.ts';
export type { WafRoute } from './contract.ts';

export interface WafUpstream {
  address: string;
  port: number;
}

export interface WafRenderInput extends WafLogOptions {
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
  /** The positive model: declared operations, with their contract (wafRoutesOf(contract)). */
  routes: WafRoute[];
  /** Header policy of the API contract. @default PLATFORM_HEADER_POLICY (modules/model/apiContract.ts) */
  headerPolicy?: ApiHeaderPolicy;
  /**
   * Public names the WAF serves (nginx server_name; a Host among them or the listen address
   * passes, any other gets 421). @default none: only the listen address
   */
  serverNames?: string[];
  /** Virtual patches (modules/model/virtualPatches.ts), rendered into WAF_FILES.virtualPatches; none by default. */
  virtualPatches?: VirtualPatch[];
  /** CRS paranoia level, default 1. */
  paranoiaLevel?: 1 | 2 | 3 | 4;
  /** CRS inbound anomaly threshold, default 5 (one critical rule blocks). */
  inboundAnomalyThreshold?: number;
  /** CRS outbound anomaly threshold, default 4. */
  outboundAnomalyThreshold?: number;
  /**
   * Maximum request body in bytes (nginx client_max_body_size, ModSecurity SecRequestBodyLimit).
   * @default the largest body the routes' contracts accept, else 1 MiB
   */
  maxBodyBytes?: number;
  /**
   * Content types the CRS accepts on requests with a body (920420).
   * @default the routes' contracts' content types, else `application/json`
   */
  allowedContentTypes?: string[];
  /** Name of the correlation header, default `X-Correlation-ID`. */
  correlationHeader?: string;
  /** Unix user of the nginx workers; omitted = nginx default (`nobody`). */
  workerUser?: string;
  /**
   * nginx worker processes. ModSecurity inspects a request body inside the worker's event loop
   * (about 2 s of CPU for a 20 MiB document, docs/waf.md): other workers must stay free to accept
   * and answer, so never fewer than 2. nginx's default accept (no accept_mutex, no reuseport)
   * hands a new connection to a worker waiting in epoll, never to the one inspecting.
   * @default 2
   */
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
  crsTargets: 'modsecurity/crs-targets.conf',
  virtualPatches: 'modsecurity/virtual-patches.conf',
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
  const contract = contractRenderProblems(input.routes, contractOptions(input));
  if (contract.length) throw new Error(`cannot render the API contract:\n- ${contract.join('\n- ')}`);
  if (input.maxBodyBytes !== undefined && (!Number.isInteger(input.maxBodyBytes) || input.maxBodyBytes < 1))
    throw new Error('maxBodyBytes must be a positive integer');
  const pl = input.paranoiaLevel ?? 1;
  if (![1, 2, 3, 4].includes(pl)) throw new Error(`paranoia level must be 1..4, got ${pl}`);
  if (input.correlationHeader !== undefined && !HEADER_RE.test(input.correlationHeader)) throw new Error('invalid correlation header name');
  for (const ct of input.allowedContentTypes ?? []) if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(ct)) throw new Error(`invalid content type ${ct}`);
  if (input.workerUser !== undefined && !/^[a-z_][a-z0-9_-]*$/.test(input.workerUser)) throw new Error('invalid worker user');
  if (input.workerProcesses !== undefined && (!Number.isInteger(input.workerProcesses) || input.workerProcesses < 2))
    throw new Error('workerProcesses must be an integer >= 2 (one worker inspecting a large body must not hold every request)');
}

function contractOptions(input: WafRenderInput) {
  return {
    listenAddress: input.listen.address,
    bodyLimit: bodyLimit(input),
    ...(input.headerPolicy ? { headers: input.headerPolicy } : {}),
    ...(input.serverNames ? { serverNames: input.serverNames } : {}),
  };
}

/** Largest request body: the input's, else the largest the routes' contracts accept, else 1 MiB. */
function bodyLimit(input: WafRenderInput): number {
  if (input.maxBodyBytes !== undefined) return input.maxBodyBytes;
  const fromContract = contractMaxBodyBytes({ routes: input.routes.flatMap((r) => (r.contract ? [r.contract] : [])) });
  return fromContract > 0 ? fromContract : 1024 * 1024;
}

function contentTypes(input: WafRenderInput): string[] {
  if (input.allowedContentTypes) return input.allowedContentTypes;
  const fromContract = [...new Set(input.routes.flatMap((r) => r.contract?.body?.contentTypes ?? []))].sort();
  return fromContract.length ? fromContract : ['application/json'];
}

function renderCrsSetup(input: WafRenderInput): string {
  const pl = input.paranoiaLevel ?? 1;
  const inbound = input.inboundAnomalyThreshold ?? 5;
  const outbound = input.outboundAnomalyThreshold ?? 4;
  const methods = [...new Set(input.routes.map((r) => r.method))].sort().join(' ');
  const ct = contentTypes(input)
    .map((c) => `|${c}|`)
    .join(' ');
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
  const body = bodyLimit(input);
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
    ...renderAuditLogLines(input),
    '',
    '# Body processors for the API content types.',
    'SecRule REQUEST_HEADERS:Content-Type "@rx ^application/(?:[a-z0-9.-]+\\+)?json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
    'SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',logdata:\'%{reqbody_error_msg}\',severity:2"',
    'SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:\'Too many arguments\',severity:2"',
    'SecRule TX:/^MSC_/ "!@streq 0" "id:200005,phase:2,t:none,log,deny,msg:\'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}\'"',
    '',
    '# Correlation id (EXG_SEC_6.1): UNIQUE_ID is set by nginx (modsecurity_transaction_id).',
    'SecAction "id:10001,phase:1,pass,nolog,t:none,setvar:\'tx.correlation_id=%{UNIQUE_ID}\'"',
    '',
    `Include ${conf}/${WAF_FILES.positiveModel}`,
    `Include ${conf}/${WAF_FILES.virtualPatches}`,
    `Include ${conf}/${WAF_FILES.crsSetup}`,
    `Include ${p.crsRulesDir}/*.conf`,
    `Include ${conf}/${WAF_FILES.crsTargets}`,
    '',
  ].join('\n');
}

/** The header policy's cookies (apiContract.ts): `drop` = the Cookie header is not forwarded. */
function cookieLines(input: WafRenderInput): string {
  if ((input.headerPolicy ?? PLATFORM_HEADER_POLICY).cookies === 'forward') return '';
  return ['', '      # The API reads no cookie (header policy, modules/model/apiContract.ts): not forwarded.', '      proxy_set_header Cookie "";'].join('\n');
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
  const body = bodyLimit(input);
  const upstream = `${input.name.replace(/-/g, '_')}_backend`;
  const user = input.workerUser !== undefined ? `user ${input.workerUser};\n` : '';
  const servers = input.upstreams
    .map((u) => `    server ${u.address.includes(':') ? `[${u.address}]` : u.address}:${u.port} max_fails=1 fail_timeout=5s;`)
    .join('\n');
  const listen = input.listen.address.includes(':') ? `[${input.listen.address}]` : input.listen.address;
  const serverNames = [...(input.serverNames ?? []), listen].join(' ');
  return `# nginx WAF instance ${input.name}: rendered by hds-platform (modules/services/waf), do not edit.
load_module ${p.modsecurityModule};
${user}worker_processes ${input.workerProcesses ?? 2};
pid ${rt.pidFile};
${renderErrorLogDirective(input)}

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

${renderAccessLog(input, rt.accessLog)}

  upstream ${upstream} {
${servers}
    keepalive 16;
    # Idle upstream connections are closed by nginx first: the service keeps them 75 s
    # (modules/refservice/app.ts), so nginx never sends a body on a connection the service closed.
    keepalive_timeout 60s;
  }

  server {
    listen ${listen}:${input.listen.port} ssl;
    # The Host is checked by the contract's first rules (421 for a name this WAF does not serve).
    server_name ${serverNames};

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

${renderErrorPages(bodyLimit(input))}

    location / {
      proxy_pass ${input.upstreamTls ? 'https' : 'http'}://${upstream};${upstreamTlsLines(input)}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header ${header} $hds_correlation_id;${cookieLines(input)}
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

/**
 * Statuses the WAF itself answers with a JSON body (status, message, correlation id), by nginx
 * `error_page`. Not 400 and 403: an error_page is an internal redirect, which in the ModSecurity
 * connector of Debian 12 (1.0.3) drops the transaction's context, so a request denied in phase 2
 * (the CRS's 403 and the body contract's 400) would never reach the audit log, i.e. the SIEM.
 * Phase-1 denials are logged before the redirect (415, 421, 413 on Content-Length), nginx's own
 * answers (413 of client_max_body_size, 408, 414, 502…) have no ModSecurity verdict to lose.
 * 400 and 403 keep nginx's small HTML body, and the X-Correlation-ID header like every answer.
 */
export const WAF_ERROR_STATUSES: Readonly<Record<number, string>> = {
  405: 'method not allowed',
  408: 'request timeout',
  411: 'length required',
  413: 'request body too large',
  414: 'request URI too long',
  415: 'unsupported content type: see the API contract',
  421: 'misdirected request: this WAF does not serve that host',
  429: 'too many requests',
  500: 'internal error of the WAF',
  502: 'upstream unavailable',
  503: 'service unavailable',
  504: 'upstream timeout',
};

/**
 * nginx error pages: an error the WAF answers itself (WAF_ERROR_STATUSES) gets a JSON body with
 * its status and the correlation id instead of nginx's HTML. Answers of the upstream pass
 * unchanged (proxy_intercept_errors off). ModSecurity is off in these locations: the request was
 * judged (and, for a ModSecurity denial, logged) already; on, it would judge it a second time.
 */
function renderErrorPages(maxBody: number): string {
  const lines = ['    # Errors the WAF answers itself (not 400/403, see WAF_ERROR_STATUSES): JSON body with the status and the correlation id.'];
  for (const [status, msg] of Object.entries(WAF_ERROR_STATUSES)) {
    const extra = status === '413' ? `,"maxRequestBytes":${maxBody}` : '';
    lines.push(
      `    error_page ${status} @hds_error_${status};`,
      `    location @hds_error_${status} {`,
      '      modsecurity off;',
      '      default_type application/json;',
      `      return ${status} '{"error":"${msg}","status":${status}${extra},"correlationId":"$hds_correlation_id"}\\n';`,
      '    }',
    );
  }
  return lines.join('\n');
}

/** Renders the WAF instance: nginx.conf and the ModSecurity/CRS configuration. */
export function renderWaf(input: WafRenderInput): RenderedFile[] {
  validate(input);
  return [
    { path: WAF_FILES.nginxConf, content: renderNginxConf(input) },
    { path: WAF_FILES.modsecMain, content: renderModsecMain(input) },
    { path: WAF_FILES.crsSetup, content: renderCrsSetup(input) },
    { path: WAF_FILES.positiveModel, content: renderContract(input.routes, contractOptions(input)) },
    { path: WAF_FILES.crsTargets, content: renderCrsTargets(input.headerPolicy) },
    { path: WAF_FILES.virtualPatches, content: renderVirtualPatches(input.virtualPatches ?? [], { routes: input.routes }) },
  ];
}

/** The reference documents API's contract (modules/model/apiContract.ts) as WAF routes (used by the lab and the tests). */
export const REFERENCE_API_ROUTES: WafRoute[] = wafRoutesOf(REFERENCE_API_CONTRACT);
