/**
 * `npm run bench:waf` (issue 11): what the WAF costs. Requests per second and p99 latency of the
 * same requests sent through the WAF and straight to the reference documents service, measured
 * in the same run, interleaved (direct then WAF, WAF then direct in the next round, so both see
 * the same machine load); the ratio WAF/direct is the WAF's cost.
 *
 * Self-contained, everything on 127.0.0.1 in a temp dir (needs root and the lab's Debian packages:
 * postgresql-15, softhsm2, nginx, libnginx-mod-http-modsecurity, modsecurity-crs):
 *   - a throw-away PostgreSQL 15 cluster (fsync off) and a SoftHSM2 token;
 *   - the reference service as its own process (node + tsx, modules/refservice/main.ts, the
 *     lab's process spec), real database and HSM: "direct" is plain HTTP to it, keep-alive;
 *   - nginx + ModSecurity v3 + OWASP CRS with the configuration rendered by renderWaf
 *     (modules/services/waf/render.ts) for REFERENCE_API_ROUTES in front of it: "waf" is
 *     HTTPS (TLS termination is part of the WAF's cost), keep-alive.
 *
 * Cases: GET /health and POST /documents of a small document (small JSON); POST /documents of a
 * 5 MiB document and GET of one (large). Bounded: a fixed number of requests per case, target and
 * round (BENCH_SMALL_REQUESTS, default 400; BENCH_LARGE_REQUESTS, default 12), BENCH_ROUNDS
 * (default 2), concurrency BENCH_CONCURRENCY (default 4), each measurement stopped after
 * BENCH_CASE_SECONDS (default 45 s). Contents are pseudo-random but the same in every run.
 * Non-2xx answers and connection errors are counted and shown; latency percentiles are over all
 * completed requests. Prints a table on stdout, or JSON with --json.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_DOCUMENT_BYTES } from '../../modules/model/documents.ts';
import { ensureAppDatabase } from '../../modules/refservice/db.ts';
import { refServiceProcessSpec } from '../../modules/refservice/process.ts';
import { writeFileAtomic } from '../../modules/runtime/fsutil.ts';
import { provisionHsmToken } from '../../modules/runtime/hsm/provision.ts';
import { generatePin } from '../../modules/runtime/hsm/token.ts';
import { ensureCert, ensureLabCa } from '../../modules/runtime/pki.ts';
import { wafProcessSpec } from '../../modules/runtime/processes/waf.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../../modules/services/hsm/render.ts';
import { REFERENCE_API_ROUTES, renderWaf, type WafRenderInput, wafRuntimePaths } from '../../modules/services/waf/render.ts';
import { writeRenderedFiles } from '../../modules/testkit/files.ts';
import { freePorts, waitFor, waitForPort } from '../../modules/testkit/net.ts';
import { startTempPostgres, type TempPostgres } from '../../modules/testkit/postgres.ts';
import { type RunningProcess, startProcess } from '../../modules/testkit/proc.ts';

const json = process.argv.includes('--json');
const envInt = (name: string, def: number, min: number, max: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return v;
};
const SMALL_REQUESTS = envInt('BENCH_SMALL_REQUESTS', 400, 1, 100_000);
const LARGE_REQUESTS = envInt('BENCH_LARGE_REQUESTS', 12, 1, 1000);
const ROUNDS = envInt('BENCH_ROUNDS', 2, 1, 10);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 4, 1, 8);
const CASE_SECONDS = envInt('BENCH_CASE_SECONDS', 45, 1, 600);
const LARGE_BYTES = 5 * 1024 * 1024;
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const progress = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

/** Deterministic pseudo-random bytes (AES-CTR keystream of a fixed key): the same documents in every run. */
function pseudoRandom(n: number, label: string): Buffer {
  const key = Buffer.alloc(32);
  key.write(label);
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

function documentBody(title: string, content: Buffer): Buffer {
  return Buffer.from(JSON.stringify({ title, patientId: 'pat-bench-0001', category: 'compte-rendu', contentBase64: content.toString('base64') }));
}

// ---------------------------------------------------------------------------------------------
// Setup: PostgreSQL, SoftHSM2, the service, the WAF

interface Stack {
  directUrl: string;
  wafUrl: string;
  ca: string;
  close(): Promise<void>;
}

async function startStack(dir: string): Promise<Stack> {
  const [pgPort, svcPort, wafPort] = (await freePorts(3)) as [number, number, number];
  const procs: RunningProcess[] = [];
  let pgt: TempPostgres | undefined;
  const close = async () => {
    for (const p of procs.reverse()) await p.stop();
    await pgt?.stop();
  };
  try {
    progress('starting PostgreSQL 15 (temp cluster) …');
    pgt = await startTempPostgres(dir, pgPort);
    const appPassword = randomBytes(18).toString('base64url');
    await ensureAppDatabase(pgt.adminUrl, { database: 'documents', role: 'refservice', password: appPassword }, pgt.superPassword);

    const hsmDir = path.join(dir, 'hsm');
    await mkdir(path.join(hsmDir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(hsmDir, renderSoftHsmConf({ tokenDir: path.join(hsmDir, 'tokens') }));
    const conf = path.join(hsmDir, SOFTHSM_CONF_FILE);
    const userPin = generatePin();
    await provisionHsmToken({ confPath: conf, tokenLabel: 'hds-bench', soPin: generatePin(), userPin, domains: ['documents'] });

    const secrets = path.join(dir, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    await writeFileAtomic(path.join(secrets, 'hsm.pin'), userPin, { mode: 0o600 });
    await writeFileAtomic(path.join(secrets, 'db.password'), appPassword, { mode: 0o600 });
    const configPath = path.join(dir, 'refservice.json');
    await writeFileAtomic(
      configPath,
      JSON.stringify({
        serviceName: 'refservice-bench',
        listen: { host: '127.0.0.1', port: svcPort },
        database: { connectionString: `postgresql://refservice@127.0.0.1:${pgt.port}/documents`, passwordFile: path.join(secrets, 'db.password') },
        hsm: { softhsmConfPath: conf, tokenLabel: 'hds-bench', pinFile: path.join(secrets, 'hsm.pin'), domain: 'documents' },
      }),
    );
    progress('starting the reference service …');
    const svc = startProcess(refServiceProcessSpec({ name: 'refservice-bench', configPath, repoRoot }));
    procs.push(svc);
    const directUrl = `http://127.0.0.1:${svcPort}`;
    await waitFor('refservice /health 200', async () => (await once(directUrl, { path: '/health' })).status === 200, 60_000, 300).catch((e: Error) => {
      throw new Error(`${e.message}\n${svc.output().slice(-4000)}`);
    });

    progress('starting the WAF (nginx + ModSecurity + CRS) …');
    const pki = path.join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    await ensureLabCa(pki);
    const cert = await ensureCert(pki, { name: 'waf-bench', commonName: 'waf-bench', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
    const input: WafRenderInput = {
      name: 'waf-bench',
      confDir: path.join(dir, 'waf-conf'),
      runDir: path.join(dir, 'waf-run'),
      listen: { address: '127.0.0.1', port: wafPort },
      tls: { certPath: cert.cert, keyPath: cert.key },
      upstreams: [{ address: '127.0.0.1', port: svcPort }],
      routes: REFERENCE_API_ROUTES,
    };
    for (const d of wafRuntimePaths(input).dirs) await mkdir(d, { recursive: true });
    await writeRenderedFiles(input.confDir, renderWaf(input));
    const nginx = startProcess(wafProcessSpec({ name: 'waf-bench', confDir: input.confDir, runDir: input.runDir }));
    procs.push(nginx);
    await waitForPort(wafPort, '127.0.0.1', 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${nginx.output().slice(-4000)}`);
    });
    return { directUrl, wafUrl: `https://127.0.0.1:${wafPort}`, ca: await readFile(cert.ca, 'utf8'), close };
  } catch (e) {
    await close();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Client

interface Call {
  path: string;
  method?: string;
  body?: Buffer;
}

interface Outcome {
  status: number; // 0: connection error or timeout
  ms: number;
  bytes: number;
  body?: string;
}

function once(base: string, call: Call, agent?: http.Agent, ca?: string, keepBody = false): Promise<Outcome> {
  const u = new URL(call.path, base);
  const isHttps = u.protocol === 'https:';
  const t0 = performance.now();
  return new Promise((resolve) => {
    const opts: https.RequestOptions = {
      method: call.method ?? 'GET',
      agent: agent ?? false,
      headers: {
        host: u.host,
        ...(call.body ? { 'content-type': 'application/json', 'content-length': String(call.body.length) } : {}),
      },
      timeout: 120_000,
      ...(isHttps ? { ca, ...(net.isIP(u.hostname) ? {} : { servername: u.hostname }) } : {}),
    };
    const req = (isHttps ? https : http).request(u, opts, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () => {
        const o: Outcome = { status: res.statusCode ?? 0, ms: performance.now() - t0, bytes };
        if (keepBody) o.body = Buffer.concat(chunks).toString('utf8');
        resolve(o);
      });
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, bytes: 0 }));
    req.end(call.body);
  });
}

interface Measurement {
  requests: number;
  wallMs: number;
  latencies: number[];
  statuses: Record<string, number>;
  /** The first answer that was not 2xx (status and the start of its body), to tell why. */
  firstFailure?: string;
}

/** `count` requests by `CONCURRENCY` workers, stopped at the time cap; latencies and statuses of each. */
async function measure(base: string, call: Call, count: number, agent: http.Agent, ca: string | undefined, into: Measurement): Promise<void> {
  const deadline = performance.now() + CASE_SECONDS * 1000;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      next++;
      const o = await once(base, call, agent, ca, into.firstFailure === undefined);
      if (into.firstFailure === undefined && !(o.status >= 200 && o.status < 300))
        into.firstFailure = `${o.status || 'connection error'} ${(o.body ?? '').slice(0, 300)}`;
      into.requests++;
      into.latencies.push(o.ms);
      const k = o.status === 0 ? 'error' : String(o.status);
      into.statuses[k] = (into.statuses[k] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  into.wallMs += performance.now() - t0;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  kind: 'small' | 'large';
  call: Call;
  count: number;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:waf needs root (PostgreSQL runs as user postgres, nginx binds its workers to nobody)');
  const started = performance.now();
  const load0 = loadavg()[0] ?? 0;
  const dir = await mkdtemp(path.join(tmpdir(), 'hds-bench-waf-'));
  await chmod(dir, 0o711); // postgres and the nginx workers must traverse into it
  let stack: Stack | undefined;
  const cleanup = async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    stack = await startStack(dir);
    const s = stack;
    const direct = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const waf = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const targets = [
      { name: 'direct', base: s.directUrl, agent: direct as http.Agent, ca: undefined as string | undefined },
      { name: 'waf', base: s.wafUrl, agent: waf as http.Agent, ca: s.ca },
    ];

    // A 5 MiB document to read back, stored once (straight to the service).
    const large = pseudoRandom(LARGE_BYTES, 'bench-large');
    const stored = await once(
      s.directUrl,
      { path: '/documents', method: 'POST', body: documentBody('Dossier numérisé, 5 MiB', large) },
      undefined,
      undefined,
      true,
    );
    if (stored.status !== 201) throw new Error(`storing the 5 MiB document failed: ${stored.status} ${stored.body}`);
    const largeId = (JSON.parse(stored.body ?? '{}') as { id: string }).id;
    for (const t of targets) {
      const r = await once(t.base, { path: `/documents/${largeId}` }, t.agent, t.ca, true);
      const back = r.status === 200 ? Buffer.from((JSON.parse(r.body ?? '{}') as { contentBase64: string }).contentBase64, 'base64') : undefined;
      if (!back?.equals(large)) throw new Error(`GET of the 5 MiB document through ${t.name}: ${r.status}, content ${back ? 'differs' : 'missing'}`);
    }
    const cases: Case[] = [
      { name: 'GET /health', kind: 'small', call: { path: '/health' }, count: SMALL_REQUESTS },
      {
        name: 'POST /documents 1 KiB',
        kind: 'small',
        call: {
          path: '/documents',
          method: 'POST',
          body: documentBody('Compte rendu de consultation du 12/03, Mme Lefèvre', pseudoRandom(1024, 'bench-small')),
        },
        count: SMALL_REQUESTS,
      },
      {
        name: 'POST /documents 5 MiB',
        kind: 'large',
        call: { path: '/documents', method: 'POST', body: documentBody('Dossier numérisé, 5 MiB', large) },
        count: LARGE_REQUESTS,
      },
      { name: 'GET /documents/:id 5 MiB', kind: 'large', call: { path: `/documents/${largeId}` }, count: LARGE_REQUESTS },
    ];

    // Warm-up: connections, TLS sessions, JIT, both paths.
    for (const c of cases)
      for (const t of targets)
        await measure(t.base, c.call, Math.min(c.count, CONCURRENCY * 2), t.agent, t.ca, { requests: 0, wallMs: 0, latencies: [], statuses: {} });

    const results = new Map<string, Record<string, Measurement>>();
    for (const c of cases)
      results.set(c.name, { direct: { requests: 0, wallMs: 0, latencies: [], statuses: {} }, waf: { requests: 0, wallMs: 0, latencies: [], statuses: {} } });
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          progress(`round ${round + 1}/${ROUNDS}: ${c.name} via ${t.name} …`);
          await measure(t.base, c.call, c.count, t.agent, t.ca, results.get(c.name)![t.name]!);
        }
      }
    }
    direct.destroy();
    waf.destroy();

    const summary = cases.map((c) => {
      const per = results.get(c.name)!;
      const stats = (m: Measurement) => {
        const sorted = [...m.latencies].sort((a, b) => a - b);
        const ok = Object.entries(m.statuses)
          .filter(([k]) => /^2/.test(k))
          .reduce((n, [, v]) => n + v, 0);
        return {
          requests: m.requests,
          ok,
          statuses: m.statuses,
          ...(m.firstFailure !== undefined ? { firstFailure: m.firstFailure } : {}),
          reqPerSec: m.requests / (m.wallMs / 1000),
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
        };
      };
      const d = stats(per.direct!);
      const w = stats(per.waf!);
      return { case: c.name, kind: c.kind, direct: d, waf: w, ratio: { reqPerSec: w.reqPerSec / d.reqPerSec, p99: w.p99Ms / d.p99Ms } };
    });
    const setup = {
      service: 'reference service in its own process (node + tsx), real PostgreSQL 15 (temp cluster on 127.0.0.1, fsync off) and SoftHSM2',
      direct: 'plain HTTP/1.1 keep-alive to the service',
      waf: 'HTTPS (TLS termination) keep-alive to nginx + ModSecurity v3 + OWASP CRS, rendered by modules/services/waf/render.ts for REFERENCE_API_ROUTES, proxying to the same service',
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      caseSecondsCap: CASE_SECONDS,
      largeDocumentBytes: LARGE_BYTES,
      maxDocumentBytes: MAX_DOCUMENT_BYTES,
      cpus: availableParallelism(),
      loadavg1: { before: load0, after: loadavg()[0] ?? 0 },
      wallSeconds: (performance.now() - started) / 1000,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify({ setup, results: summary }, null, 2)}\n`);
      return;
    }
    const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
    const st = (m: Record<string, number>) =>
      Object.entries(m)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
    const lines = [
      `WAF cost on 127.0.0.1, measured in one run (${ROUNDS} interleaved rounds, concurrency ${CONCURRENCY}, ${setup.cpus} CPUs, load ${f(load0, 2)} → ${f(setup.loadavg1.after, 2)}):`,
      `  service: ${setup.service}`,
      `  direct:  ${setup.direct}`,
      `  waf:     ${setup.waf}`,
      '',
      `${'case'.padEnd(26)}${'target'.padEnd(8)}${'requests'.padStart(9)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}   statuses`,
    ];
    for (const r of summary) {
      for (const [name, m] of [
        ['direct', r.direct],
        ['waf', r.waf],
      ] as const)
        lines.push(
          `${(name === 'direct' ? r.case : '').padEnd(26)}${name.padEnd(8)}${String(m.requests).padStart(9)}${f(m.reqPerSec).padStart(10)}${f(m.p50Ms).padStart(10)}${f(m.p99Ms).padStart(10)}   ${st(m.statuses)}`,
        );
      lines.push(
        `${''.padEnd(26)}${'ratio'.padEnd(8)}${''.padStart(9)}${`${f(r.ratio.reqPerSec, 2)}x`.padStart(10)}${''.padStart(10)}${`${f(r.ratio.p99, 2)}x`.padStart(10)}   waf/direct`,
      );
    }
    const bad = summary.filter((r) => r.direct.ok < r.direct.requests || r.waf.ok < r.waf.requests);
    if (bad.length > 0) {
      lines.push('', 'non-2xx answers or connection errors (latencies above include them):');
      for (const r of bad)
        for (const [name, m] of [
          ['direct', r.direct],
          ['waf', r.waf],
        ] as const)
          if (m.firstFailure !== undefined) lines.push(`  ${r.case} via ${name}, first: ${m.firstFailure}`);
    }
    lines.push('', `wall time ${f(setup.wallSeconds, 0)} s`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:waf failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
