/**
 * Integration (issue 11; EXG_WAF_1, EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR): logs that are safe by
 * construction. The rendered WAF runs for real (nginx + ModSecurity v3 + OWASP CRS) on 127.0.0.1
 * with its log relay (modules/runtime/wafLogRelay), in front of a tiny node upstream. Requests
 * carry a unique random marker in fields that trigger rules — a query parameter, a JSON body
 * field, the User-Agent, a custom header, a cookie, a raw body, a path segment of an undeclared
 * route, bytes that are not UTF-8 — and, once the upstream is gone, in the query and Referer of
 * a call that fails upstream. Then:
 * - the marker is in no file under the test's directory (rendered configuration, nginx's and the
 *   relay's logs, pid and temp files) nor in the processes' own output (which the lab
 *   supervisor writes to files), nor in nginx's compiled-in startup error log;
 * - each blocked request has its SIEM line (by correlation id) with its rule ids, outcome,
 *   declared route and family, and the Prometheus counters grew by exactly those blocks; the
 *   upstream failure is an nginx error event (class, syscall, errno) and an access line;
 * - every line of every JSON log parses.
 */

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCert, ensureLabCa } from '../runtime/pki.ts';
import { wafProcessSpec } from '../runtime/processes/waf.ts';
import { wafLogRelayProcessSpec } from '../runtime/processes/wafLogRelay.ts';
import type { SiemRecord } from '../runtime/wafLogRelay/records.ts';
import { renderWafLogRelayConfig, wafLogPaths } from '../services/waf/logging.ts';
import { REFERENCE_API_ROUTES, renderWaf, type WafRenderInput, wafRuntimePaths } from '../services/waf/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { freePorts, waitFor, waitForPort } from '../testkit/net.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const DOC_ID = '0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d';
/** Letters and digits only, so no encoding or transformation can hide it from a byte search. */
const MARKER = `hdsmarker${randomBytes(8).toString('hex')}`;

interface Probe {
  /** Correlation id sent (well formed, without the marker: it is logged by design). */
  cid: string;
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  route: string;
  /** Expected family when the rule that fires is certain, else any. */
  family?: string;
}

/** HTTPS request with a Buffer body and latin1 header values (raw bytes, not only UTF-8). */
function send(port: number, ca: string, p: Pick<Probe, 'method' | 'path' | 'headers' | 'body'>): Promise<{ status: number; cid: string | undefined }> {
  return new Promise((resolve, reject) => {
    const r = https.request(
      {
        host: '127.0.0.1',
        port,
        method: p.method,
        path: p.path,
        ca,
        servername: 'localhost',
        agent: false,
        timeout: 15_000,
        headers: { ...(p.body ? { 'content-length': String(p.body.length) } : {}), ...(p.headers ?? {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cid: res.headers['x-correlation-id'] as string | undefined }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`timeout ${p.method} ${p.path}`)));
    r.on('error', reject);
    if (p.body) r.write(p.body);
    r.end();
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function jsonLines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  expect(lines.at(-1), `${file} ends with a newline`).toBe('');
  return lines.slice(0, -1).map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch (e) {
      throw new Error(`${path.basename(file)} line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
  });
}

async function scrape(port: number): Promise<Map<string, number>> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(r.status).toBe(200);
  const m = new Map<string, number>();
  for (const l of (await r.text()).split('\n')) {
    const x = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(l);
    if (x) m.set(x[1]!, Number(x[2]));
  }
  return m;
}

describe('WAF logs: no request value in any file, a SIEM line and counters per block (real nginx + ModSecurity + CRS + relay)', () => {
  let dir = '';
  let ca = '';
  let wafPort = 0;
  let metricsPort = 0;
  let input: WafRenderInput;
  let nginx: RunningProcess | undefined;
  let relay: RunningProcess | undefined;
  let upstream: http.Server | undefined;
  const reachedUpstream: string[] = [];
  const startupLog = '/var/log/nginx/error.log';
  let startupLogBefore = '';

  const m = MARKER;
  const probes: Probe[] = [
    { cid: 'logs-query-000001', what: 'query parameter', method: 'GET', path: `/health?note=${m}%27%20OR%20%271%27%3D%271`, route: 'health' },
    {
      cid: 'logs-json-0000002',
      what: 'JSON body field (French clinical text with SQL words)',
      method: 'POST',
      path: '/documents',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({
          title: `${m} Hospitalisation du 02/01 ; select * from patients where nom='Dupont' or '1'='1' <script>alert(1)</script>`,
          patientId: 'p-1',
          category: 'cr',
          contentBase64: 'aGVsbG8=',
        }),
      ),
      route: 'documents.create',
    },
    {
      cid: 'logs-useragent-03',
      what: 'User-Agent',
      method: 'GET',
      path: '/health',
      headers: { 'user-agent': `${m} <script>alert(1)</script>` },
      route: 'health',
    },
    {
      cid: 'logs-header-00004',
      what: 'custom header',
      method: 'GET',
      path: '/health',
      headers: { 'x-hds-note': `${m} ../../../../etc/passwd` },
      route: 'health',
    },
    { cid: 'logs-cookie-00005', what: 'cookie', method: 'GET', path: '/health', headers: { cookie: `session=${m}' OR '1'='1` }, route: 'health' },
    {
      cid: 'logs-rawbody-0006',
      what: 'raw body',
      method: 'POST',
      path: '/documents',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from(`${m} ; cat /etc/passwd`),
      route: 'documents.create',
    },
    {
      cid: 'logs-undeclared-7',
      what: 'path segment of an undeclared route',
      method: 'GET',
      path: `/patients/${m}-Dupont/notes`,
      route: 'undeclared',
      family: 'contract',
    },
    {
      cid: 'logs-notutf8-0008',
      what: 'cookie with bytes that are not UTF-8 (941310: its audit entry is not valid UTF-8)',
      method: 'GET',
      path: '/health',
      // Header values are sent as latin1: \u00bc is the byte 0xbc.
      headers: { cookie: `note=${m}\u00bcscript\u00bealert(1)\u00bc/script\u00be` },
      route: 'health',
    },
    {
      cid: 'logs-jsonutf8-009',
      what: 'JSON body that is not UTF-8',
      method: 'POST',
      path: '/documents',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([
        Buffer.from(`{"title":"${m} `),
        Buffer.from([0xbc, 0xbe]),
        Buffer.from('","patientId":"p-1","category":"cr","contentBase64":"aGVsbG8="}'),
      ]),
      route: 'documents.create',
    },
  ];
  const upstreamDown: Probe = {
    cid: 'logs-upstream-010',
    what: 'declared call failing upstream (query and Referer)',
    method: 'GET',
    path: `/documents/${DOC_ID}`,
    headers: { referer: `https://example.org/${m}?nom=${m}` },
    route: 'documents.read',
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-waf-logs-'));
    const [p1, p2, p3, p4] = await freePorts(4);
    wafPort = p1!;
    const upPort = p2!;
    const relayPort = p3!;
    metricsPort = p4!;
    const pki = path.join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    await ensureLabCa(pki);
    const cert = await ensureCert(pki, { name: 'waf-logs', commonName: 'waf-logs', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
    ca = await readFile(cert.ca, 'utf8');
    if (existsSync(startupLog)) startupLogBefore = await readFile(startupLog, 'latin1');

    upstream = http.createServer((req, res) => {
      reachedUpstream.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'ok' }));
      });
    });
    await new Promise<void>((r) => upstream?.listen(upPort, '127.0.0.1', () => r()));

    input = {
      name: 'waf-logs',
      confDir: path.join(dir, 'conf'),
      runDir: path.join(dir, 'run'),
      listen: { address: '127.0.0.1', port: wafPort },
      tls: { certPath: cert.cert, keyPath: cert.key },
      upstreams: [{ address: '127.0.0.1', port: upPort }],
      routes: REFERENCE_API_ROUTES,
      logRelayPort: relayPort,
    };
    for (const d of wafRuntimePaths(input).dirs) await mkdir(d, { recursive: true });
    const files = renderWaf(input);
    await writeRenderedFiles(input.confDir, [...files, renderWafLogRelayConfig(input, files, { host: '127.0.0.1', port: metricsPort })]);

    relay = startProcess(wafLogRelayProcessSpec({ name: 'waf-log-relay-test', confDir: input.confDir, repoRoot: REPO_ROOT }));
    await waitForPort(metricsPort, '127.0.0.1', 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${relay?.output()}`);
    });
    nginx = startProcess(wafProcessSpec({ name: 'waf-logs', confDir: input.confDir, runDir: input.runDir }));
    await waitForPort(wafPort, '127.0.0.1', 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${nginx?.output()}`);
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    await relay?.stop();
    await new Promise<void>((r) => (upstream?.listening ? upstream.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let before = new Map<string, number>();
  const siem = new Map<string, SiemRecord>();

  const siemLine = async (cid: string): Promise<SiemRecord> => {
    await waitFor(
      `SIEM line ${cid}`,
      async () => {
        const recs = (await jsonLines(wafLogPaths(input).siemLog)) as SiemRecord[];
        for (const r of recs) if (r.correlation_id) siem.set(r.correlation_id, r);
        return siem.has(cid);
      },
      15_000,
    );
    return siem.get(cid)!;
  };

  it('blocks each marked request at the WAF, and writes its SIEM line with rule ids, route, family and sizes', async () => {
    before = await scrape(metricsPort);
    for (const p of probes) {
      const r = await send(wafPort, ca, { ...p, headers: { ...p.headers, 'x-correlation-id': p.cid } });
      expect(r.status, `${p.what}: ${r.status}`).toBeGreaterThanOrEqual(400);
      expect(r.status, p.what).toBeLessThan(500);
      expect(r.cid).toBe(p.cid);
    }
    expect(reachedUpstream.filter((u) => u.includes(MARKER))).toEqual([]);
    for (const p of probes) {
      const rec = await siemLine(p.cid);
      expect(rec, p.what).toMatchObject({
        event: 'waf_transaction',
        waf: 'waf-logs',
        outcome: 'blocked',
        route: p.route,
        method: p.method,
        client_ip: '127.0.0.1',
      });
      expect(rec.status, p.what).toBeGreaterThanOrEqual(400);
      expect(rec.rules.length, p.what).toBeGreaterThan(0);
      expect(
        rec.rules.map((x) => x.id),
        p.what,
      ).toContain(rec.blocking_rule_id);
      for (const x of rec.rules) expect(Number.isInteger(x.id) && typeof x.family === 'string', p.what).toBe(true);
      if (p.family) expect(rec.family, p.what).toBe(p.family);
      if (p.body) expect(rec.request_bytes, p.what).toBe(p.body.length);
    }
    // Rule families where the CRS (not only the contract) decided: the cookie and the User-Agent.
    expect(siem.get('logs-cookie-00005')?.family).toBe('sqli');
    expect(siem.get('logs-useragent-03')?.family).toBe('xss');
    expect(siem.get('logs-notutf8-0008')?.rules.map((x) => x.id)).toContain(941310);
    expect(siem.get('logs-undeclared-7')?.blocking_rule_id).toBe(10999);
  });

  it('keeps an upstream failure in the logs (nginx error class with syscall and errno, access line) without its request line or Referer', async () => {
    await new Promise<void>((r) => upstream!.close(() => r()));
    const r = await send(wafPort, ca, { ...upstreamDown, headers: { ...upstreamDown.headers, 'x-correlation-id': upstreamDown.cid } });
    expect(r.status).toBe(502);
    await waitFor(
      'nginx error event for the upstream failure',
      async () =>
        ((await jsonLines(wafLogPaths(input).nginxErrorLog)) as Array<{ kind: string }>).some(
          (e) => e.kind === 'upstream_syscall_failed' || e.kind === 'upstream_none_alive',
        ),
      10_000,
    );
    const events = (await jsonLines(wafLogPaths(input).nginxErrorLog)) as Array<{ kind: string; syscall?: string; errno?: number; while?: string }>;
    expect(events.find((e) => e.kind === 'upstream_syscall_failed')).toMatchObject({ syscall: 'connect', errno: 111, while: 'connecting to upstream' });
    expect(events.filter((e) => e.kind === 'modsecurity_intervention').length).toBeGreaterThanOrEqual(probes.length);
  });

  it('counts each block once in hds_waf_blocked_requests_total{waf,family,route}, and every rule match per family and rule id', async () => {
    const after = await scrape(metricsPort);
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    const expected = new Map<string, number>();
    const matches = new Map<string, number>();
    for (const p of probes) {
      const rec = siem.get(p.cid);
      if (!rec) throw new Error(`no SIEM line for ${p.what} (${p.cid})`);
      const k = `hds_waf_blocked_requests_total{waf="waf-logs",family="${rec.family}",route="${rec.route}"}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
      for (const x of rec.rules) {
        const mk = `hds_waf_rule_matches_total{waf="waf-logs",family="${x.family}",rule_id="${x.id}"}`;
        matches.set(mk, (matches.get(mk) ?? 0) + x.matches);
      }
    }
    for (const [k, n] of expected) expect(delta(k), k).toBe(n);
    const blockedDelta = [...after.keys()].filter((k) => k.startsWith('hds_waf_blocked_requests_total{')).reduce((s, k) => s + delta(k), 0);
    expect(blockedDelta).toBe(probes.length);
    for (const [k, n] of matches) expect(delta(k), k).toBeGreaterThanOrEqual(n);
    expect(delta('hds_waf_blocked_requests_total{waf="waf-logs",family="contract",route="undeclared"}')).toBeGreaterThanOrEqual(1);
    expect(delta('hds_waf_blocked_requests_total{waf="waf-logs",family="sqli",route="health"}')).toBeGreaterThanOrEqual(1);
    expect(delta('hds_waf_blocked_requests_total{waf="waf-logs",family="xss",route="health"}')).toBeGreaterThanOrEqual(1);
    expect(delta('hds_waf_audit_entries_total{waf="waf-logs",outcome="unreadable"}')).toBe(0);
  });

  it('the marker is in no file the WAF and its relay write, nor in their output; every JSON log line parses', async () => {
    // Let the last audit entries and syslog datagrams land.
    await new Promise((r) => setTimeout(r, 500));
    const files = await walk(dir);
    const logs = await readdir(path.join(input.runDir, 'logs'));
    expect(logs.sort()).toEqual(['access.json.log', 'nginx-error.json.log', 'siem.json.log']);
    const needle = Buffer.from(MARKER);
    const holders: string[] = [];
    for (const f of files) if ((await readFile(f)).includes(needle)) holders.push(path.relative(dir, f));
    expect(holders).toEqual([]);
    expect(files.length).toBeGreaterThan(8);
    expect(nginx?.output()).not.toContain(MARKER);
    expect(relay?.output()).not.toContain(MARKER);
    if (existsSync(startupLog)) expect((await readFile(startupLog, 'latin1')).slice(startupLogBefore.length)).not.toContain(MARKER);

    const access = (await jsonLines(wafRuntimePaths(input).accessLog)) as Array<{ correlation_id: string; route: string; status: number; method: string }>;
    for (const p of [...probes, upstreamDown]) {
      const line = access.find((a) => a.correlation_id === p.cid);
      expect(line, p.what).toMatchObject({ route: p.route, method: p.method });
    }
    const siemRecs = await jsonLines(wafLogPaths(input).siemLog);
    expect(siemRecs.length).toBeGreaterThanOrEqual(probes.length);
    expect((await jsonLines(wafLogPaths(input).nginxErrorLog)).length).toBeGreaterThan(0);
  });
});
