/**
 * Integration (root, real daemons): the documents' contents in the object store (issue 13).
 * A real Ceph 16 stretched cluster on loopback (modules/runtime/ceph/testing.ts: DC1 127.0.1.1,
 * DC2 127.0.2.1, DC3 127.0.3.1; bootstrapped from the renderers' files, RGW with SSE-KMS), a real
 * PostgreSQL 15 and a SoftHSM2 token; two reference service processes with the gateways in
 * opposite orders (A: DC1 first, as DC1's instance; B: DC2 first, as DC2's).
 *
 * Proves: a document POSTed to A is read back identical from B; its content is an SSE-KMS object
 * (`documents/<id>`) and its row holds no content bytes; RADOS holds neither the clear text nor
 * the envelope's ciphertext in clear; a 20 MiB document round-trips; a database from before the
 * object store is migrated in place and its rows stay readable; a row whose object is gone is a
 * 500; DC1's gateway frozen, then stopped: writes through A still succeed (through DC2) within
 * the retry budget. Everything it started is stopped in afterAll.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../model/documents.ts';
import { bootstrapCeph, type CephBootstrapResult } from '../runtime/ceph/bootstrap.ts';
import { runCephTool } from '../runtime/ceph/cli.ts';
import { cephProcessName } from '../runtime/ceph/processes.ts';
import { s3ClientFor } from '../runtime/ceph/s3.ts';
import { ChildRunner, type LoopbackCeph, loopbackCeph, processesMentioning, rssKiB } from '../runtime/ceph/testing.ts';
import { writeFileAtomic } from '../runtime/fsutil.ts';
import { HsmKeyStore, WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { generatePin, initToken } from '../runtime/hsm/token.ts';
import { DOCUMENTS_BUCKET } from '../services/fromTopology/ceph.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { request } from '../testkit/http.ts';
import { freePorts, waitFor } from '../testkit/net.ts';
import { PG_BIN, startTempPostgres, type TempPostgres } from '../testkit/postgres.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';
import { connectionStringWithPassword, ensureAppDatabase } from './db.ts';
import { seal } from './envelope.ts';
import { OBJECT_STORE_DEFAULTS } from './objectStore.ts';
import { refServiceProcessSpec } from './process.ts';

const isRoot = process.getuid?.() === 0;
const has = (cmd: string, args: string[]) => execa(cmd, args, { reject: false }).then((r) => r.exitCode === 0);
const hasDeps = isRoot && (await has('ceph-mon', ['--version'])) && (await has('softhsm2-util', ['--version'])) && existsSync(`${PG_BIN}/postgres`);
if (!hasDeps) console.warn('objectStore.int.test.ts skipped: needs root, Ceph 16, PostgreSQL 15 and SoftHSM2 (hdsctl lab deps)');

const repoRoot = join(import.meta.dirname, '..', '..');

/** The table as it was before issue 13 (content in the row, NOT NULL): the migration must take it as is. */
const PRE_OBJECT_STORE_SCHEMA = `
CREATE TABLE documents (
  id uuid PRIMARY KEY, title text NOT NULL, patient_id text NOT NULL, category text NOT NULL,
  content_ciphertext bytea NOT NULL, content_iv bytea NOT NULL, content_tag bytea NOT NULL, wrapped_key bytea NOT NULL,
  key_domain text NOT NULL, key_mechanism text NOT NULL, size_bytes integer NOT NULL, correlation_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_patient_id_idx ON documents (patient_id);`;

interface Instance {
  name: string;
  url: string;
  proc: RunningProcess;
}

describe.skipIf(!hasDeps)('documents in the object store: two services over a real Ceph 16 (RGW, SSE-KMS), PostgreSQL 15, SoftHSM2', () => {
  const stateDir = mkdtempSync('/tmp/hds-objstore-int-');
  chmodSync(stateDir, 0o755); // the ceph and postgres users traverse it to their own directories
  const work = join(stateDir, 'refservice');
  const runner = new ChildRunner(join(stateDir, 'logs'));
  const t00 = Date.now();
  const log = (l: string) => process.stderr.write(`[${((Date.now() - t00) / 1000).toFixed(1)}s] ${l}\n`);
  const figures: Record<string, unknown> = {};
  const appPassword = randomBytes(18).toString('base64url');
  const legacy = { id: '6f1d7c52-8a0e-4c1b-9e33-0d5b2f4a7c10', text: `Document d'avant le magasin d'objets ${randomBytes(6).toString('hex')}` };
  let lb: LoopbackCeph;
  let ceph: CephBootstrapResult;
  let pgt: TempPostgres | undefined;
  let keys: { access: string; secret: string };
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;
  /** Without an object store (contents in PostgreSQL, as before): the memory figures' baseline. */
  let c: Instance;
  const s3: S3Client[] = [];

  const gateway = (site: string) => {
    const g = lb.daemons.find((d) => d.kind === 'rgw' && d.site === site);
    if (!g) throw new Error(`no gateway in ${site}`);
    return { daemon: g, url: `https://${g.address}:${g.ports[0]}` };
  };
  const appClient = () =>
    new pg.Client({ connectionString: connectionStringWithPassword(`postgresql://refservice@127.0.0.1:${pgt?.port}/documents`, appPassword) });
  async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    const c = appClient();
    await c.connect();
    try {
      return (await c.query<T>(text, params)).rows;
    } finally {
      await c.end();
    }
  }
  async function s3At(site: string): Promise<S3Client> {
    const c = s3ClientFor({
      url: gateway(site).url,
      ca: await readFile(lb.caFile),
      region: lb.plan.rgw!.zonegroup,
      accessKeyId: keys.access,
      secretAccessKey: keys.secret,
    });
    s3.push(c);
    return c;
  }
  const postDoc = (inst: Instance, content: Buffer, cid: string, timeoutMs = 60_000) =>
    request({
      url: `${inst.url}/documents`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': cid },
      body: JSON.stringify({ title: 'CR', patientId: 'pat-os', category: 'compte-rendu', contentBase64: content.toString('base64') }),
      timeoutMs,
    });
  async function getContent(inst: Instance, id: string): Promise<{ status: number; content?: Buffer; body: string }> {
    const r = await request({ url: `${inst.url}/documents/${id}`, timeoutMs: 60_000 });
    if (r.status !== 200) return { status: r.status, body: r.body };
    return { status: 200, body: '', content: Buffer.from((JSON.parse(r.body) as { contentBase64: string }).contentBase64, 'base64') };
  }

  async function startPostgresAndHsm(): Promise<{ hsmConf: string; pinFile: string; passwordFile: string }> {
    await mkdir(work, { recursive: true, mode: 0o711 });
    const [pgPort] = await freePorts(1);
    pgt = await startTempPostgres(work, pgPort ?? 0);
    await ensureAppDatabase(pgt.adminUrl, { database: 'documents', role: 'refservice', password: appPassword }, pgt.superPassword);

    const hsmDir = join(work, 'hsm');
    await mkdir(join(hsmDir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(hsmDir, renderSoftHsmConf({ tokenDir: join(hsmDir, 'tokens') }));
    const hsmConf = join(hsmDir, SOFTHSM_CONF_FILE);
    const userPin = generatePin();
    await initToken({ confPath: hsmConf, label: 'hds-dc1', soPin: generatePin(), userPin });
    const store = HsmKeyStore.open({ softhsmConfPath: hsmConf, tokenLabel: 'hds-dc1', userPin });
    try {
      store.ensureDomainKeys(['documents']);
      // A database from before issue 13: the old table, one document with its content in the row.
      const sealed = seal(Buffer.from(legacy.text), legacy.id, 'documents', store);
      const c = appClient();
      await c.connect();
      try {
        await c.query(PRE_OBJECT_STORE_SCHEMA);
        await c.query(
          `INSERT INTO documents (id, title, patient_id, category, content_ciphertext, content_iv, content_tag, wrapped_key, key_domain, key_mechanism, size_bytes)
           VALUES ($1, 'ancien', 'pat-legacy', 'compte-rendu', $2, $3, $4, $5, 'documents', $6, $7)`,
          [legacy.id, sealed.ciphertext, sealed.iv, sealed.tag, sealed.wrappedKey, WRAP_MECHANISM_NAME, Buffer.byteLength(legacy.text)],
        );
      } finally {
        await c.end();
      }
    } finally {
      store.close();
    }
    const secrets = join(work, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    const pinFile = join(secrets, 'hsm.pin');
    const passwordFile = join(secrets, 'db.password');
    await writeFileAtomic(pinFile, userPin, { mode: 0o600 });
    await writeFileAtomic(passwordFile, appPassword, { mode: 0o600 });
    return { hsmConf, pinFile, passwordFile };
  }

  async function startInstance(name: string, config: Record<string, unknown>): Promise<Instance> {
    const configPath = join(work, `${name}.json`);
    await writeFileAtomic(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    const proc = startProcess(refServiceProcessSpec({ name, configPath, repoRoot }));
    const inst = { name, url: `http://127.0.0.1:${(config.listen as { port: number }).port}`, proc };
    instances.push(inst);
    return inst;
  }

  beforeAll(async () => {
    lb = await loopbackCeph(stateDir);
    const t0 = Date.now();
    // Ceph (tens of seconds) while PostgreSQL and the token are prepared.
    const [cephResult, local] = await Promise.all([bootstrapCeph(lb.spec, { log, start: (s) => runner.start(s) }), startPostgresAndHsm()]);
    ceph = cephResult;
    figures.cephAndPostgresReadySeconds = Math.round((Date.now() - t0) / 100) / 10;

    const info = JSON.parse(await runCephTool(ceph.admin, 'radosgw-admin', ['user', 'info', `--uid=${DOCUMENTS_BUCKET.owner}`])) as {
      keys: Array<{ access_key: string; secret_key: string }>;
    };
    keys = { access: info.keys[0]!.access_key, secret: info.keys[0]!.secret_key };
    const accessKeyFile = join(work, 'secrets', 's3-access-key');
    const secretKeyFile = join(work, 'secrets', 's3-secret-key');
    await writeFileAtomic(accessKeyFile, keys.access, { mode: 0o600 });
    await writeFileAtomic(secretKeyFile, keys.secret, { mode: 0o600 });

    const bucket = lb.plan.rgw!.buckets[0]!;
    const [portA, portB, portC] = await freePorts(3);
    const config = (name: string, port: number, endpoints: string[], region?: string) => ({
      serviceName: name,
      listen: { host: '127.0.0.1', port },
      database: { connectionString: `postgresql://refservice@127.0.0.1:${pgt?.port}/documents`, passwordFile: local.passwordFile },
      hsm: { softhsmConfPath: local.hsmConf, tokenLabel: 'hds-dc1', pinFile: local.pinFile, domain: 'documents' },
      objectStore: {
        endpoints,
        bucket: bucket.name,
        caFile: lb.caFile,
        accessKeyFile,
        secretKeyFile,
        kmsKeyId: bucket.kmsKeyId,
        ...(region !== undefined ? { region } : {}),
      },
    });
    const [dc1, dc2] = [gateway('DC1').url, gateway('DC2').url];
    // A signs with the zonegroup's name, B with the default region: RGW accepts both.
    a = await startInstance('refservice-os-a', config('refservice-os-a', portA ?? 0, [dc1, dc2], lb.plan.rgw!.zonegroup));
    b = await startInstance('refservice-os-b', config('refservice-os-b', portB ?? 0, [dc2, dc1]));
    const { objectStore: _, ...inDatabase } = config('refservice-os-c', portC ?? 0, []);
    c = await startInstance('refservice-os-c', inDatabase);
    for (const inst of [a, b, c])
      await waitFor(
        `${inst.name} healthy`,
        async () => (await request({ url: `${inst.url}/health`, timeoutMs: 5000 }).catch(() => ({ status: 0 }))).status === 200,
        60_000,
        300,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${inst.proc.output()}`);
      });
  });

  afterAll(async () => {
    for (const c of s3) c.destroy();
    for (const inst of instances) await inst.proc.stop().catch(() => undefined);
    await pgt?.stop().catch((e: unknown) => log(`postgres stop failed: ${(e as Error).message}`));
    await runner.stop().catch((e: unknown) => log(`ceph stop failed: ${(e as Error).message}`));
    const left = await processesMentioning(stateDir);
    if (left.length > 0) log(`left running: ${left.join('; ')}`);
    await rm(stateDir, { recursive: true, force: true });
    log(`objectstore figures: ${JSON.stringify(figures)}`);
  });

  it('both instances report the object store on /health (the one without says nothing of it)', async () => {
    for (const inst of [a, b]) {
      const h = await request({ url: `${inst.url}/health` });
      expect(JSON.parse(h.body)).toEqual({ status: 'ok', database: 'up', hsm: 'up', objectStore: 'up' });
    }
    expect(JSON.parse((await request({ url: `${c.url}/health` })).body)).toEqual({ status: 'ok', database: 'up', hsm: 'up' });
  });

  it("a document POSTed to DC1's instance reads back identical from DC2's; the row holds no content, the object is SSE-KMS; RADOS holds neither the clear text nor the envelope's ciphertext", async () => {
    const marker = `HDS-CLEAR-${randomBytes(8).toString('hex')}`;
    const content = Buffer.from(`${marker}\nCompte rendu opératoire : patient stable. ${'observation '.repeat(150)}`);
    const p = await postDoc(a, content, 'it-os-write-0001');
    expect(p.status).toBe(201);
    const id = (JSON.parse(p.body) as { id: string }).id;
    const back = await getContent(b, id);
    expect(back.status).toBe(200);
    expect(back.content?.equals(content)).toBe(true);

    const [row] = await sql<{ content_object: string | null; n: number | null; whole: string }>(
      'SELECT content_object, octet_length(content_ciphertext) AS n, documents::text AS whole FROM documents WHERE id = $1',
      [id],
    );
    expect(row?.content_object).toBe(`documents/${id}`);
    expect(row?.n).toBeNull();
    expect(row?.whole).not.toContain(marker);

    const dc2 = await s3At('DC2');
    const bucket = lb.plan.rgw!.buckets[0]!;
    const head = await dc2.send(new HeadObjectCommand({ Bucket: bucket.name, Key: `documents/${id}` }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain(bucket.kmsKeyId);
    expect(head.ContentLength).toBe(content.length);
    // What the service stored: the envelope's ciphertext (as long as the document, never the clear text).
    const obj = await dc2.send(new GetObjectCommand({ Bucket: bucket.name, Key: `documents/${id}` }));
    const envelopeCiphertext = Buffer.from((await obj.Body?.transformToByteArray()) ?? []);
    expect(envelopeCiphertext.length).toBe(content.length);
    expect(envelopeCiphertext.includes(marker)).toBe(false);

    // RADOS: the gateway's head object of the document holds neither (SSE-KMS on top of the envelope).
    const pool = `${lb.plan.rgw!.zone}.rgw.buckets.data`;
    const objects = (await runCephTool(ceph.admin, 'rados', ['-p', pool, 'ls'])).split('\n').filter(Boolean);
    const ours = objects.filter((o) => o.endsWith(`_documents/${id}`));
    expect(ours).toHaveLength(1);
    const raw = join(stateDir, 'raw-object');
    await runCephTool(ceph.admin, 'rados', ['-p', pool, 'get', ours[0]!, raw]);
    const bytes = await readFile(raw);
    expect(bytes.length).toBeGreaterThanOrEqual(content.length);
    const windows = [0, 512, envelopeCiphertext.length - 32].map((o) => envelopeCiphertext.subarray(o, o + 32));
    expect(bytes.includes(marker)).toBe(false);
    for (const w of windows) expect(bytes.includes(w)).toBe(false);
    // Control: the same check finds the envelope's bytes in an object stored in clear (it can fail).
    await writeFileAtomic(raw, envelopeCiphertext, { mode: 0o600 });
    await runCephTool(ceph.admin, 'rados', ['-p', pool, 'put', 'control-envelope', raw]);
    await runCephTool(ceph.admin, 'rados', ['-p', pool, 'get', 'control-envelope', raw]);
    const control = await readFile(raw);
    for (const w of windows) expect(control.includes(w)).toBe(true);
    await runCephTool(ceph.admin, 'rados', ['-p', pool, 'rm', 'control-envelope']);
  });

  it('the largest document (20 MiB) goes through A and back through B byte-exact', async () => {
    const content = randomBytes(MAX_DOCUMENT_BYTES);
    const t0 = Date.now();
    const p = await postDoc(a, content, 'it-os-large-0001');
    figures.post20MiBMs = Date.now() - t0;
    expect(p.status).toBe(201);
    const id = (JSON.parse(p.body) as { id: string }).id;
    const t1 = Date.now();
    const back = await getContent(b, id);
    figures.get20MiBMs = Date.now() - t1;
    expect(back.content?.equals(content)).toBe(true);
    const [row] = await sql<{ size_bytes: number; content_object: string }>('SELECT size_bytes, content_object FROM documents WHERE id = $1', [id]);
    expect(row).toEqual({ size_bytes: MAX_DOCUMENT_BYTES, content_object: `documents/${id}` });
    const head = await (await s3At('DC1')).send(new HeadObjectCommand({ Bucket: lb.plan.rgw!.buckets[0]!.name, Key: `documents/${id}` }));
    expect(head.ContentLength).toBe(MAX_DOCUMENT_BYTES);
    // The same round trip with the contents in PostgreSQL (as before issue 13), for the peak RSS figures.
    const viaDb = await postDoc(c, content, 'it-os-large-0002');
    expect(viaDb.status).toBe(201);
    expect((await getContent(c, (JSON.parse(viaDb.body) as { id: string }).id)).content?.equals(content)).toBe(true);
    const peakMiB = async (inst: Instance) =>
      Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${inst.proc.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
    figures.peakRssMiB = { writerObjectStore: await peakMiB(a), readerObjectStore: await peakMiB(b), writerAndReaderDatabase: await peakMiB(c) };
    figures.rssNowMiB = { a: Math.round((await rssKiB(a.proc.child.pid!)) / 1024), c: Math.round((await rssKiB(c.proc.child.pid!)) / 1024) };
  });

  it('a database from before the object store is migrated in place: its rows are read from the row, new ones are objects', async () => {
    for (const inst of [a, b]) expect((await getContent(inst, legacy.id)).content?.toString()).toBe(legacy.text);
    const cols = await sql<{ column_name: string; is_nullable: string }>(
      "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'documents' AND column_name IN ('content_ciphertext', 'content_object') ORDER BY 1",
    );
    expect(cols).toEqual([
      { column_name: 'content_ciphertext', is_nullable: 'YES' },
      { column_name: 'content_object', is_nullable: 'YES' },
    ]);
    const [legacyRow] = await sql<{ content_object: string | null; n: number }>(
      'SELECT content_object, octet_length(content_ciphertext) AS n FROM documents WHERE id = $1',
      [legacy.id],
    );
    expect(legacyRow).toEqual({ content_object: null, n: Buffer.byteLength(legacy.text) });
    // A row must have its content in exactly one place.
    await expect(sql('UPDATE documents SET content_ciphertext = NULL WHERE id = $1', [legacy.id])).rejects.toThrow(/documents_content_in_one_place/);
  });

  it('a row whose object is gone is a 500 "document content missing" with a log line, not a 404', async () => {
    const p = await postDoc(b, Buffer.from('bientôt sans objet'), 'it-os-missing-0001');
    const id = (JSON.parse(p.body) as { id: string }).id;
    await (await s3At('DC1')).send(new DeleteObjectCommand({ Bucket: lb.plan.rgw!.buckets[0]!.name, Key: `documents/${id}` }));
    const r = await request({ url: `${a.url}/documents/${id}`, headers: { 'X-Correlation-ID': 'it-os-missing-0002' } });
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ error: 'document content missing', correlationId: 'it-os-missing-0002' });
    expect(a.proc.output()).toMatch(new RegExp(`"msg":"document content missing","correlation_id":"it-os-missing-0002","document_id":"${id}"`));
  });

  it("DC1's gateway frozen, then stopped: writes through DC1's instance still succeed through DC2's within the retry budget", async () => {
    const dc1 = gateway('DC1');
    const name = cephProcessName(dc1.daemon);
    const child = runner.live().find(([n]) => n === name)?.[1];
    expect(child).toBeDefined();
    const written: Array<{ id: string; content: Buffer }> = [];
    const write = async (cid: string) => {
      const content = Buffer.from(`écrit pendant la panne de DC1 ${cid} ${randomBytes(8).toString('hex')}`);
      const t0 = Date.now();
      const r = await postDoc(a, content, cid, 45_000);
      const ms = Date.now() - t0;
      expect(r.status, r.body).toBe(201);
      written.push({ id: (JSON.parse(r.body) as { id: string }).id, content });
      return ms;
    };

    // Frozen (no RST, as a cut-off site): the first write waits one attempt's timeout, then goes to DC2.
    child!.kill('SIGSTOP');
    const frozenMs = await write('it-os-frozen-0001');
    expect(frozenMs).toBeLessThan(OBJECT_STORE_DEFAULTS.retryBudgetMs);
    expect(frozenMs).toBeGreaterThanOrEqual(OBJECT_STORE_DEFAULTS.requestTimeoutMs - 500);
    const failover = a.proc
      .output()
      .split('\n')
      .find((l) => l.includes('"msg":"object store call failed, trying the next gateway"') && l.includes('it-os-frozen-0001'));
    expect(failover).toContain(`"endpoint":"${dc1.url}"`);
    // The next ones go to DC2 at once (DC1 is tried last while it cools down).
    const nextMs = await write('it-os-frozen-0002');
    expect(nextMs).toBeLessThan(3000);
    figures.failover = { frozenFirstWriteMs: frozenMs, frozenNextWriteMs: nextMs };

    // Stopped (connections refused), once DC1 is no longer cooling down: tried first, refused, DC2 at once.
    await runner.stop([name]);
    await sleep(OBJECT_STORE_DEFAULTS.endpointCooldownMs);
    const stoppedMs = await write('it-os-stopped-0001');
    expect(stoppedMs).toBeLessThan(3000);
    expect(a.proc.output()).toMatch(/"msg":"object store call failed, trying the next gateway","correlation_id":"it-os-stopped-0001".*ECONNREFUSED/);
    (figures.failover as Record<string, number>).stoppedWriteMs = stoppedMs;

    const h = await request({ url: `${a.url}/health` });
    expect(JSON.parse(h.body)).toMatchObject({ status: 'ok', objectStore: 'up' });
    for (const w of written) for (const inst of [a, b]) expect((await getContent(inst, w.id)).content?.equals(w.content)).toBe(true);
    for (const inst of [a, b]) {
      expect(inst.proc.output()).not.toContain(keys.secret);
      expect(inst.proc.output()).not.toContain(keys.access);
      expect(inst.proc.output()).not.toMatch(/Unhandled 'error' event|"msg":"fatal/);
    }
  });
});
