/**
 * The WAF log relay (issue 11; EXG_WAF_1, EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR): one per WAF
 * instance, next to nginx.
 *
 * - TCP ingest.host:ingest.port (loopback): ModSecurity's JSON audit entries, POSTed by
 *   libmodsecurity (`SecAuditLogType HTTPS`, one request per audited transaction). Answered at
 *   once — libmodsecurity waits for the answer in the nginx worker, without a timeout — then
 *   reduced to the whitelist of records.ts and appended to the SIEM log as one JSON line.
 * - UDP on the same port: nginx's error log as syslog, reduced to its class and numbers and
 *   appended to the nginx error log (JSON lines).
 * - HTTP metrics.host:metrics.port: Prometheus counters of blocked requests per rule family and
 *   route, rule matches per family and rule id, and the relay's own health.
 *
 * The raw entry and datagram live only in memory for the time of one call; the relay never
 * writes or logs them, nor any part of them outside the whitelist.
 */
import dgram from 'node:dgram';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WafLogRelayConfig } from '../../services/waf/logging.ts';
import { Registry } from './metrics.ts';
import {
  compileRoutes,
  nginxErrorRecord,
  parseAuditEntry,
  RULE_FAMILIES,
  type RelayContext,
  siemRecord,
  UNDECLARED,
  type UnreadableRecord,
} from './records.ts';

/** Largest audit entry read (a matched value can be a large body field); larger ones are counted, not parsed. */
export const MAX_AUDIT_ENTRY_BYTES = 64 * 1024 * 1024;

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function hostPort(v: unknown, what: string): { host: string; port: number } {
  const o = v as { host?: unknown; port?: unknown } | undefined;
  if (!o || typeof o.host !== 'string' || !/^[0-9a-fA-F.:]+$|^[a-z0-9.-]+$/.test(o.host)) throw new Error(`${what}.host is missing or invalid`);
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`${what}.port is missing or invalid`);
  return { host: o.host, port: o.port };
}

/** Reads and checks the relay's configuration (WAF_LOG_FILES.relayConfig). */
export function parseRelayConfig(text: string): WafLogRelayConfig {
  const c = JSON.parse(text) as Partial<WafLogRelayConfig>;
  if (typeof c.waf !== 'string' || !NAME_RE.test(c.waf)) throw new Error('waf must be a WAF instance name');
  if (typeof c.syslogTag !== 'string' || !/^[A-Za-z0-9_]{1,32}$/.test(c.syslogTag)) throw new Error('syslogTag is invalid');
  for (const k of ['siemLog', 'nginxErrorLog'] as const)
    if (typeof c[k] !== 'string' || !c[k].startsWith('/')) throw new Error(`${k} must be an absolute path`);
  if (!Array.isArray(c.routes)) throw new Error('routes must be a list');
  for (const r of c.routes)
    if (typeof r?.label !== 'string' || typeof r.method !== 'string' || typeof r.pathRegex !== 'string') throw new Error('invalid route');
  if (!Array.isArray(c.blockingRuleIds) || !c.blockingRuleIds.every((n) => Number.isInteger(n))) throw new Error('blockingRuleIds must be a list of rule ids');
  return {
    waf: c.waf,
    ingest: hostPort(c.ingest, 'ingest'),
    metrics: hostPort(c.metrics, 'metrics'),
    syslogTag: c.syslogTag,
    siemLog: c.siemLog!,
    nginxErrorLog: c.nginxErrorLog!,
    routes: c.routes,
    blockingRuleIds: c.blockingRuleIds,
  };
}

export async function loadRelayConfig(file: string): Promise<WafLogRelayConfig> {
  return parseRelayConfig(await readFile(file, 'utf8'));
}

/** Append-only JSON-lines file, reopened on demand (log rotation). */
class JsonLines {
  private stream: WriteStream;
  constructor(
    private readonly path: string,
    private readonly onError: (code: string) => void,
  ) {
    this.stream = this.open();
  }
  private open(): WriteStream {
    const s = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    s.on('error', (e: NodeJS.ErrnoException) => this.onError(e.code ?? 'EIO'));
    return s;
  }
  write(record: object): void {
    this.stream.write(`${JSON.stringify(record)}\n`);
  }
  reopen(): void {
    const old = this.stream;
    this.stream = this.open();
    old.end();
  }
  async close(): Promise<void> {
    await new Promise<void>((r) => this.stream.end(() => r()));
  }
}

export interface RunningRelay {
  /** Bound addresses (ports resolved when the configuration asked for port 0). */
  ingest: AddressInfo;
  metrics: AddressInfo;
  registry: Registry;
  /** Reopens the output files (SIGHUP, after rotation). */
  reopen(): void;
  close(): Promise<void>;
}

export interface RelayOptions {
  /** The relay's own status lines (never a request value); default stdout. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
}

export async function startWafLogRelay(config: WafLogRelayConfig, opts: RelayOptions = {}): Promise<RunningRelay> {
  const log =
    opts.log ??
    ((msg, fields = {}) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: `waf-log-relay-${config.waf}`, msg, ...fields })}\n`));
  const now = opts.now ?? (() => new Date());
  const waf = config.waf;
  const ctx: RelayContext = { waf, routes: compileRoutes(config.routes), blockingRuleIds: new Set(config.blockingRuleIds) };

  const registry = new Registry();
  const blocked = registry.counter({
    name: 'hds_waf_blocked_requests_total',
    help: 'Requests blocked by the WAF, by the rule family that blocked them and the declared route (EXG_SEC_5.4).',
    labels: ['waf', 'family', 'route'],
  });
  const matches = registry.counter({
    name: 'hds_waf_rule_matches_total',
    help: 'Rule matches in audited transactions, by rule family and rule id (blocked or not).',
    labels: ['waf', 'family', 'rule_id'],
  });
  const entries = registry.counter({
    name: 'hds_waf_audit_entries_total',
    help: 'ModSecurity audit entries received, by outcome (blocked, detected, logged, unreadable).',
    labels: ['waf', 'outcome'],
  });
  const nginxErrors = registry.counter({
    name: 'hds_waf_nginx_errors_total',
    help: 'nginx error-log messages by level and class.',
    labels: ['waf', 'level', 'kind'],
  });
  const writeErrors = registry.counter({ name: 'hds_waf_log_relay_write_errors_total', help: 'Failed writes to the relay outputs.', labels: ['waf', 'log'] });
  const started = Date.now() / 1000;
  registry.gauge('hds_waf_log_relay_start_time_seconds', 'Start time of the WAF log relay (Unix seconds).', () => started);
  for (const route of [...new Set([...config.routes.map((r) => r.label), UNDECLARED])])
    for (const family of RULE_FAMILIES) blocked.init({ waf, family, route });
  for (const outcome of ['blocked', 'detected', 'logged', 'unreadable']) entries.init({ waf, outcome });
  for (const l of ['siem', 'nginx_error']) writeErrors.init({ waf, log: l });

  const siem = new JsonLines(config.siemLog, (code) => {
    writeErrors.inc({ waf, log: 'siem' });
    log('cannot write the SIEM log', { code });
  });
  const errorLog = new JsonLines(config.nginxErrorLog, (code) => {
    writeErrors.inc({ waf, log: 'nginx_error' });
    log('cannot write the nginx error log', { code });
  });

  const unreadable = (bytes: number, reason: UnreadableRecord['reason']) => {
    entries.inc({ waf, outcome: 'unreadable' });
    siem.write({ time: now().toISOString(), event: 'waf_audit_unreadable', waf, bytes, reason } satisfies UnreadableRecord);
  };

  const handleAudit = (body: Buffer | undefined, bytes: number) => {
    if (!body) return unreadable(bytes, 'too_large');
    let entry: unknown;
    try {
      entry = parseAuditEntry(body);
    } catch {
      return unreadable(bytes, 'not_json');
    }
    const rec = siemRecord(entry, ctx, now());
    if (rec.event === 'waf_audit_unreadable') return unreadable(bytes, rec.reason);
    siem.write(rec);
    entries.inc({ waf, outcome: rec.outcome });
    for (const r of rec.rules) matches.inc({ waf, family: r.family, rule_id: String(r.id) }, r.matches);
    if (rec.outcome === 'blocked' && rec.family) blocked.inc({ waf, family: rec.family, route: rec.route });
  };

  const ingest = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.statusCode = 405;
      res.end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_AUDIT_ENTRY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) chunks.push(c);
    });
    req.on('end', () => {
      // Answer first: the nginx worker waits for this answer.
      res.statusCode = 200;
      res.setHeader('content-length', '0');
      res.end();
      handleAudit(tooLarge ? undefined : Buffer.concat(chunks), size);
    });
    req.on('error', () => {
      /* a client that went away: nothing to log */
    });
  });
  ingest.keepAliveTimeout = 1000;
  ingest.requestTimeout = 60_000;

  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg) => {
    const rec = nginxErrorRecord(msg, { waf, syslogTag: config.syslogTag }, now());
    if (!rec) return;
    nginxErrors.inc({ waf, level: rec.level, kind: rec.kind });
    errorLog.write(rec);
  });

  const metricsServer = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      res.end(registry.expose());
      return;
    }
    res.statusCode = 404;
    res.end();
  });

  const listen = (srv: http.Server, host: string, port: number) =>
    new Promise<AddressInfo>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve(srv.address() as AddressInfo));
    });
  const ingestAddr = await listen(ingest, config.ingest.host, config.ingest.port);
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(ingestAddr.port, config.ingest.host, () => resolve());
  });
  try {
    udp.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    /* kernel limit: keep the default */
  }
  const metricsAddr = await listen(metricsServer, config.metrics.host, config.metrics.port);
  log('listening', { ingest: `${ingestAddr.address}:${ingestAddr.port}`, metrics: `${metricsAddr.address}:${metricsAddr.port}` });

  return {
    ingest: ingestAddr,
    metrics: metricsAddr,
    registry,
    reopen() {
      siem.reopen();
      errorLog.reopen();
      log('reopened the output files');
    },
    async close() {
      ingest.closeAllConnections();
      metricsServer.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => ingest.close(() => r())),
        new Promise<void>((r) => metricsServer.close(() => r())),
        new Promise<void>((r) => udp.close(() => r())),
      ]);
      await Promise.all([siem.close(), errorLog.close()]);
    },
  };
}
