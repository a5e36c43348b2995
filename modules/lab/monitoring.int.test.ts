/**
 * Integration, end to end on 127.0.0.1: PostgreSQL 15 + SoftHSM2 + reference service + WAF
 * (nginx/ModSecurity/CRS) + postgres_exporter + blackbox exporter + Prometheus, all real.
 * Prometheus must see the synthetic user probe succeed through the WAF (EXG_DIS_1.5), the WAF
 * blocking probe succeed (403), PostgreSQL metrics, and load the alert rules.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStringWithPassword, ensureAppDatabase } from '../refservice/db.ts';
import { refServiceProcessSpec } from '../refservice/process.ts';
import { writeFileAtomic } from '../runtime/fsutil.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { generatePin, initToken } from '../runtime/hsm/token.ts';
import { ensureCert, ensureLabCa } from '../runtime/pki.ts';
import { blackboxProcessSpec, postgresExporterProcessSpec, prometheusProcessSpec } from '../runtime/processes/monitoring.ts';
import { wafProcessSpec } from '../runtime/processes/waf.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { renderMonitoring } from '../services/monitoring/render.ts';
import { REFERENCE_API_ROUTES, renderWaf, wafRuntimePaths } from '../services/waf/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { request } from '../testkit/http.ts';
import { freePorts, waitFor, waitForPort } from '../testkit/net.ts';
import { startTempPostgres, type TempPostgres } from '../testkit/postgres.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface PromVector {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe('monitoring end to end (real Prometheus, exporters, WAF, refservice, PostgreSQL, SoftHSM)', () => {
  let dir = '';
  let pgt: TempPostgres | undefined;
  const procs: RunningProcess[] = [];
  let promUrl = '';

  async function query(q: string): Promise<PromVector> {
    const r = await request({ url: `${promUrl}/api/v1/query?query=${encodeURIComponent(q)}` });
    return JSON.parse(r.body) as PromVector;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-mon-e2e-'));
    await chmod(dir, 0o711);
    const [pgPort, appPort, wafPort, expPort, bbPort, promPort] = (await freePorts(6)) as [number, number, number, number, number, number];
    promUrl = `http://127.0.0.1:${promPort}`;

    // PostgreSQL, application and monitoring roles.
    pgt = await startTempPostgres(dir, pgPort);
    const appPassword = randomBytes(18).toString('base64url');
    const monPassword = randomBytes(18).toString('base64url');
    await ensureAppDatabase(pgt.adminUrl, { database: 'documents', role: 'refservice', password: appPassword }, pgt.superPassword);
    const admin = new pg.Client({ connectionString: connectionStringWithPassword(pgt.adminUrl, pgt.superPassword) });
    await admin.connect();
    await admin.query(`CREATE ROLE monitor LOGIN PASSWORD '${monPassword}' IN ROLE pg_monitor`);
    await admin.end();

    // Secrets (0600) and the HSM token.
    const secrets = path.join(dir, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    const hsmDir = path.join(dir, 'hsm');
    await mkdir(path.join(hsmDir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(hsmDir, renderSoftHsmConf({ tokenDir: path.join(hsmDir, 'tokens') }));
    const softhsmConf = path.join(hsmDir, SOFTHSM_CONF_FILE);
    const userPin = generatePin();
    await initToken({ confPath: softhsmConf, label: 'hds-dc1', soPin: generatePin(), userPin });
    const ks = HsmKeyStore.open({ softhsmConfPath: softhsmConf, tokenLabel: 'hds-dc1', userPin });
    ks.ensureDomainKeys(['documents']);
    ks.close();
    await writeFileAtomic(path.join(secrets, 'hsm.pin'), userPin, { mode: 0o600 });
    await writeFileAtomic(path.join(secrets, 'db.password'), appPassword, { mode: 0o600 });
    await writeFileAtomic(path.join(secrets, 'monitor.password'), monPassword, { mode: 0o600 });

    // Reference service.
    const refConf = path.join(dir, 'refservice.json');
    await writeFileAtomic(
      refConf,
      JSON.stringify({
        serviceName: 'refservice-dc1',
        listen: { host: '127.0.0.1', port: appPort },
        database: { connectionString: `postgresql://refservice@127.0.0.1:${pgPort}/documents`, passwordFile: path.join(secrets, 'db.password') },
        hsm: { softhsmConfPath: softhsmConf, tokenLabel: 'hds-dc1', pinFile: path.join(secrets, 'hsm.pin'), domain: 'documents' },
      }),
    );
    procs.push(startProcess(refServiceProcessSpec({ name: 'refservice-dc1', configPath: refConf, repoRoot })));

    // WAF with a lab-PKI certificate.
    const pki = path.join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    await ensureLabCa(pki);
    const cert = await ensureCert(pki, {
      name: 'waf-dc1',
      commonName: 'waf-dc1',
      dnsNames: ['waf.lab', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    const waf = { name: 'waf-dc1', confDir: path.join(dir, 'waf', 'conf'), runDir: path.join(dir, 'waf', 'run') };
    const wafInput = {
      ...waf,
      listen: { address: '127.0.0.1', port: wafPort },
      tls: { certPath: cert.cert, keyPath: cert.key },
      upstreams: [{ address: '127.0.0.1', port: appPort }],
      routes: REFERENCE_API_ROUTES,
      serverNames: ['waf.lab'],
    };
    for (const d of wafRuntimePaths(wafInput).dirs) await mkdir(d, { recursive: true });
    await writeRenderedFiles(waf.confDir, renderWaf(wafInput));
    procs.push(startProcess(wafProcessSpec(waf)));

    // Monitoring.
    const monDir = path.join(dir, 'monitoring');
    const wafUrl = `https://127.0.0.1:${wafPort}/health`;
    await writeRenderedFiles(
      monDir,
      renderMonitoring({
        confDir: monDir,
        caPath: cert.ca,
        scrapeIntervalSeconds: 1,
        patroni: [],
        haproxy: [],
        postgresExporters: [{ target: `127.0.0.1:${expPort}`, site: 'DC1', cluster: 'documents' }],
        blackboxExporter: `127.0.0.1:${bbPort}`,
        healthProbes: [{ name: 'waf-dc1-health', url: wafUrl, site: 'DC1', serverName: 'waf.lab' }],
        wafBlockingProbes: [{ name: 'waf-dc1-blocks', url: wafUrl, site: 'DC1', serverName: 'waf.lab' }],
        nonEvents: [{ database: 'documents', minutes: 5 }],
      }),
    );
    await mkdir(path.join(dir, 'prom-data'), { recursive: true });
    procs.push(
      startProcess(
        postgresExporterProcessSpec({
          name: 'pgexp',
          listen: `127.0.0.1:${expPort}`,
          pg: { host: '127.0.0.1', port: pgPort, database: 'postgres' },
          pgUser: 'monitor',
          passwordFile: path.join(secrets, 'monitor.password'),
        }),
      ),
    );
    procs.push(startProcess(blackboxProcessSpec({ name: 'blackbox', confDir: monDir, listen: `127.0.0.1:${bbPort}` })));
    procs.push(
      startProcess(prometheusProcessSpec({ name: 'prometheus', confDir: monDir, dataDir: path.join(dir, 'prom-data'), listen: `127.0.0.1:${promPort}` })),
    );

    const dump = () => procs.map((p) => `--- ${p.spec.name}\n${p.output().slice(-3000)}`).join('\n');
    try {
      for (const port of [appPort, wafPort, expPort, bbPort, promPort]) await waitForPort(port, '127.0.0.1', 60_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${dump()}`);
    }
  });

  afterAll(async () => {
    for (const p of [...procs].reverse()) await p.stop();
    await pgt?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the synthetic user probe through the WAF succeeds (200 + body regex over TLS)', async () => {
    await waitFor(
      'probe_success == 1',
      async () => {
        const v = await query('probe_success{job="synthetic_health",probe="waf-dc1-health"}');
        return v.data.result[0]?.value[1] === '1';
      },
      60_000,
      500,
    );
    const tls = await query('probe_tls_version_info{job="synthetic_health"}');
    expect(['TLS 1.3', 'TLS 1.2']).toContain(tls.data.result[0]?.metric.version);
  });

  it('the WAF blocking probe succeeds (the SQLi is answered 403)', async () => {
    await waitFor('waf blocking probe', async () => (await query('probe_success{job="synthetic_waf_blocking"}')).data.result[0]?.value[1] === '1', 60_000, 500);
    const status = await query('probe_http_status_code{job="synthetic_waf_blocking"}');
    expect(status.data.result[0]?.value[1]).toBe('403');
  });

  it('PostgreSQL metrics arrive through postgres_exporter and move with writes', async () => {
    await waitFor('pg_up', async () => (await query('pg_up')).data.result[0]?.value[1] === '1', 60_000, 500);
    const before = Number((await query('pg_stat_database_tup_inserted{datname="documents"}')).data.result[0]?.value[1] ?? 'NaN');
    expect(Number.isFinite(before)).toBe(true);
    const cert = path.join(dir, 'pki', 'ca.crt');
    const ca = await readFile(cert, 'utf8');
    const wafPort = new URL((await query('probe_success{job="synthetic_health"}')).data.result[0]?.metric.instance ?? '').port;
    const post = await request({
      url: `https://127.0.0.1:${wafPort}/documents`,
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', host: 'waf.lab' },
      body: JSON.stringify({ title: 'e2e', patientId: 'p-1', category: 'c', contentBase64: 'aGVsbG8=' }),
    });
    expect(post.status).toBe(201);
    await waitFor(
      'tup_inserted grows',
      async () => Number((await query('pg_stat_database_tup_inserted{datname="documents"}')).data.result[0]?.value[1]) > before,
      30_000,
      500,
    );
  });

  it('all scrape targets are up and the rules are loaded', async () => {
    await waitFor(
      'all up',
      async () => {
        const v = await query('up');
        return v.data.result.length >= 4 && v.data.result.every((r) => r.value[1] === '1');
      },
      30_000,
      500,
    );
    const r = await request({ url: `${promUrl}/api/v1/rules` });
    const names = (JSON.parse(r.body) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } }).data.groups.flatMap((g) => g.rules);
    expect(names.map((n) => n.name)).toEqual(
      expect.arrayContaining(['TargetDown', 'PostgresNoSynchronousStandby', 'NoWriteActivity_documents', 'SyntheticUserProbeFailed']),
    );
    // Let a couple of evaluations run: no rule may be in error against real series.
    await new Promise((res) => setTimeout(res, 3000));
    const again = (
      JSON.parse((await request({ url: `${promUrl}/api/v1/rules` })).body) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
      }
    ).data.groups.flatMap((g) => g.rules);
    for (const rule of again) expect({ name: rule.name, health: rule.health, err: rule.lastError ?? '' }).toEqual({ name: rule.name, health: 'ok', err: '' });
    const firing = await query('ALERTS{alertstate="firing",alertname=~"TargetDown|SyntheticUserProbeFailed|WafNotBlockingAttacks"}');
    expect(firing.data.result).toEqual([]);
  });
});
