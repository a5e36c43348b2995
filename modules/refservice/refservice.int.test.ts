/**
 * Integration: the reference service as a real process (node + tsx) against a real
 * PostgreSQL 15 on 127.0.0.1 and a real SoftHSM2 token; envelope encryption checked in the table;
 * lost database connections (backends terminated mid-query, the server down for a while, the
 * service started while it is down) answered with 503s and survived without a process restart.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES, MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';
import { writeFileAtomic } from '../runtime/fsutil.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { generatePin, initToken } from '../runtime/hsm/token.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { request } from '../testkit/http.ts';
import { freePorts, waitFor } from '../testkit/net.ts';
import { startTempPostgres, type TempPostgres } from '../testkit/postgres.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';
import { connectionStringWithPassword, ensureAppDatabase } from './db.ts';
import { refServiceProcessSpec } from './process.ts';

/** A well-formed id no document has: the GET goes to the database and answers 404. */
const ABSENT_ID = '00000000-0000-4000-8000-00000000abcd';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('reference service (real PostgreSQL + SoftHSM2)', () => {
  let dir = '';
  let pgt: TempPostgres | undefined;
  let svc: RunningProcess | undefined;
  let svcExited = false;
  const extra: RunningProcess[] = [];
  let configPath = '';
  let proxy: CuttableProxy | undefined;
  let appPort = 0;
  let appUrl = '';
  const appPassword = randomBytes(18).toString('base64url');
  const plaintext = `Compte rendu opératoire ${randomBytes(8).toString('hex')} : patient stable, tension 12/8.`;
  let docId = '';

  const appClient = () =>
    new pg.Client({ connectionString: connectionStringWithPassword(`postgresql://refservice@127.0.0.1:${pgt?.port}/documents`, appPassword) });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-ref-'));
    await chmod(dir, 0o711); // postgres must traverse into its data dir
    const [pgPort, port] = await freePorts(2);
    appPort = port ?? 0;
    appUrl = `http://127.0.0.1:${appPort}`;
    pgt = await startTempPostgres(dir, pgPort ?? 0);
    await ensureAppDatabase(pgt.adminUrl, { database: 'documents', role: 'refservice', password: appPassword }, pgt.superPassword);

    const hsmDir = path.join(dir, 'hsm');
    await mkdir(path.join(hsmDir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(hsmDir, renderSoftHsmConf({ tokenDir: path.join(hsmDir, 'tokens') }));
    const conf = path.join(hsmDir, SOFTHSM_CONF_FILE);
    const userPin = generatePin();
    await initToken({ confPath: conf, label: 'hds-dc1', soPin: generatePin(), userPin });
    const store = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: 'hds-dc1', userPin });
    store.ensureDomainKeys(['documents']);
    store.close();

    const secrets = path.join(dir, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    await writeFileAtomic(path.join(secrets, 'hsm.pin'), userPin, { mode: 0o600 });
    await writeFileAtomic(path.join(secrets, 'db.password'), appPassword, { mode: 0o600 });
    configPath = path.join(dir, 'refservice.json');
    await writeFileAtomic(
      configPath,
      JSON.stringify({
        serviceName: 'refservice-test',
        listen: { host: '127.0.0.1', port: appPort },
        database: {
          connectionString: `postgresql://refservice@127.0.0.1:${pgt.port}/documents`,
          passwordFile: path.join(secrets, 'db.password'),
          retryAttempts: 20,
        },
        hsm: { softhsmConfPath: conf, tokenLabel: 'hds-dc1', pinFile: path.join(secrets, 'hsm.pin'), domain: 'documents' },
      }),
    );
    svc = startProcess(refServiceProcessSpec({ name: 'refservice-test', configPath, repoRoot }));
    void svc.exited.then(() => {
      svcExited = true;
    });
    await waitFor('refservice health', async () => (await request({ url: `${appUrl}/health`, timeoutMs: 2000 })).status === 200, 60_000, 300).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${svc?.output()}`);
      },
    );
  });

  afterAll(async () => {
    for (const p of extra) await p.stop();
    await svc?.stop();
    proxy?.close();
    await pgt?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET /health checks the database and the HSM key', async () => {
    const r = await request({ url: `${appUrl}/health` });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok', database: 'up', hsm: 'up' });
  });

  it('stores a document and reads it back intact', async () => {
    const body = JSON.stringify({
      title: 'CR opératoire',
      patientId: 'pat-000042',
      category: 'compte-rendu',
      contentBase64: Buffer.from(plaintext).toString('base64'),
    });
    const r = await request({
      url: `${appUrl}/documents`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': 'it-store-0001' },
      body,
    });
    expect(r.status).toBe(201);
    expect(r.headers['x-correlation-id']).toBe('it-store-0001');
    docId = (JSON.parse(r.body) as { id: string }).id;
    expect(docId).toMatch(/^[0-9a-f-]{36}$/);
    const g = await request({ url: `${appUrl}/documents/${docId}` });
    expect(g.status).toBe(200);
    const doc = JSON.parse(g.body) as { title: string; patientId: string; category: string; contentBase64: string };
    expect(doc).toMatchObject({ title: 'CR opératoire', patientId: 'pat-000042', category: 'compte-rendu' });
    expect(Buffer.from(doc.contentBase64, 'base64').toString('utf8')).toBe(plaintext);
  });

  it('the table holds ciphertext and a wrapped key only, never the plaintext', async () => {
    const c = appClient();
    await c.connect();
    try {
      const r = await c.query(
        'SELECT content_ciphertext, wrapped_key, content_iv, content_tag, key_domain, key_mechanism, correlation_id, documents::text AS whole FROM documents WHERE id = $1',
        [docId],
      );
      const row = r.rows[0] as {
        content_ciphertext: Buffer;
        wrapped_key: Buffer;
        content_iv: Buffer;
        content_tag: Buffer;
        key_domain: string;
        key_mechanism: string;
        correlation_id: string;
        whole: string;
      };
      const pt = Buffer.from(plaintext, 'utf8');
      for (const b of [row.content_ciphertext, row.wrapped_key, row.content_iv, row.content_tag]) expect(b.includes(pt)).toBe(false);
      expect(row.content_ciphertext.length).toBe(pt.length);
      expect(row.wrapped_key.length).toBe(40);
      expect(row.whole).not.toContain(plaintext);
      expect(row.whole).not.toContain(pt.toString('hex'));
      expect(row.whole).not.toContain(pt.toString('base64'));
      expect(row.key_domain).toBe('documents');
      expect(row.key_mechanism).toBe('CKM_AES_KEY_WRAP_PAD');
      expect(row.correlation_id).toBe('it-store-0001');
    } finally {
      await c.end();
    }
  });

  it('logs JSON lines carrying the correlation id', () => {
    const lines = (svc?.output() ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.correlation_id === 'it-store-0001' && l.status === 201 && l.path === '/documents')).toBe(true);
  });

  it('stores and reads back a document of the maximum size byte-exact; one byte more is 413 in JSON', async () => {
    const content = randomBytes(MAX_DOCUMENT_BYTES);
    const body = JSON.stringify({ title: 'Dossier numérisé', patientId: 'pat-max', category: 'scan', contentBase64: content.toString('base64') });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_DOCUMENT_REQUEST_BYTES);
    const post = await request({ url: `${appUrl}/documents`, method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs: 60_000 });
    expect(post.status).toBe(201);
    const id = (JSON.parse(post.body) as { id: string }).id;
    const get = await request({ url: `${appUrl}/documents/${id}`, timeoutMs: 60_000 });
    expect(get.status).toBe(200);
    expect(Number(get.headers['content-length'])).toBe(Buffer.byteLength(get.body));
    const doc = JSON.parse(get.body) as { contentBase64: string; patientId: string };
    expect(doc.patientId).toBe('pat-max');
    expect(Buffer.from(doc.contentBase64, 'base64').equals(content)).toBe(true);
    const c = appClient();
    await c.connect();
    try {
      const r = await c.query('SELECT size_bytes, octet_length(content_ciphertext) AS n FROM documents WHERE id = $1', [id]);
      expect(r.rows[0]).toEqual({ size_bytes: MAX_DOCUMENT_BYTES, n: MAX_DOCUMENT_BYTES });
    } finally {
      await c.end();
    }
    const over = JSON.stringify({ title: 't', patientId: 'p', category: 'c', contentBase64: randomBytes(MAX_DOCUMENT_BYTES + 1).toString('base64') });
    const r = await request({ url: `${appUrl}/documents`, method: 'POST', headers: { 'content-type': 'application/json' }, body: over, timeoutMs: 60_000 });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ maxDocumentBytes: MAX_DOCUMENT_BYTES, error: expect.stringMatching(/^document too large/) });
    expect(svc?.output()).not.toMatch(/Maximum call stack|"msg":"request failed"/);
  });

  it('two large POSTs in a row on one kept-alive connection, the second after the connection sat idle 6 s (as nginx reuses it): no connection error', async () => {
    // A raw connection, as a proxy uses its upstream pool: it writes the next request without
    // checking whether the service closed the idle connection meanwhile (node's default
    // keep-alive timeout of 5 s did: nginx then got EPIPE while sending the body, a 502).
    const conn = rawHttp(appPort);
    try {
      const post = (n: number) => {
        const body = Buffer.from(
          JSON.stringify({
            title: `large ${n}`,
            patientId: 'p-large',
            category: 'c',
            contentBase64: randomBytes(Math.floor(7.9 * 1024 * 1024)).toString('base64'),
          }),
        );
        return conn.send(`POST /documents HTTP/1.1\r\nHost: refservice\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
      };
      const first = await post(1);
      expect(first.status).toBe(201);
      expect(first.headers['keep-alive']).toBe('timeout=75');
      await new Promise((r) => setTimeout(r, 6000));
      const second = await post(2);
      expect(second.status).toBe(201);
      expect(conn.closedEarly()).toBe(false);
    } finally {
      conn.close();
    }
  });

  it('answers 400/404/405/415 on bad calls', async () => {
    expect((await request({ url: `${appUrl}/documents/00000000-0000-4000-8000-000000000000` })).status).toBe(404);
    expect((await request({ url: `${appUrl}/documents/nope` })).status).toBe(400);
    expect((await request({ url: `${appUrl}/documents`, method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await request({ url: `${appUrl}/documents`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":1}' })).status).toBe(
      400,
    );
    expect((await request({ url: `${appUrl}/health`, method: 'DELETE' })).status).toBe(405);
  });

  it('refuses to return a tampered document (AES-GCM tag)', async () => {
    const c = appClient();
    await c.connect();
    try {
      const body = JSON.stringify({ title: 't', patientId: 'p', category: 'c', contentBase64: Buffer.from('to be tampered').toString('base64') });
      const id = (
        JSON.parse((await request({ url: `${appUrl}/documents`, method: 'POST', headers: { 'content-type': 'application/json' }, body })).body) as {
          id: string;
        }
      ).id;
      await c.query('UPDATE documents SET content_ciphertext = set_byte(content_ciphertext, 0, get_byte(content_ciphertext, 0) # 1) WHERE id = $1', [id]);
      expect((await request({ url: `${appUrl}/documents/${id}` })).status).toBe(503);
    } finally {
      await c.end();
    }
  });

  it('survives a database restart: a write issued while the database is down succeeds once it is back', async () => {
    if (!pgt) throw new Error('no postgres');
    const restarted = pgt.restart(2000);
    await new Promise((r) => setTimeout(r, 300)); // database is going down / down
    const body = JSON.stringify({
      title: 'during outage',
      patientId: 'p-9',
      category: 'c',
      contentBase64: Buffer.from('written across a restart').toString('base64'),
    });
    const post = request({
      url: `${appUrl}/documents`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': 'it-failover-0001' },
      body,
      timeoutMs: 45_000,
    });
    await restarted;
    const r = await post;
    expect(r.status).toBe(201);
    const id = (JSON.parse(r.body) as { id: string }).id;
    const g = await request({ url: `${appUrl}/documents/${id}` });
    expect(Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64').toString()).toBe('written across a restart');
    expect(svc?.output()).toMatch(/"msg":"database call failed, retrying".*"correlation_id":"it-failover-0001"/);
  });

  const postDoc = (url: string, text: string, cid: string) =>
    request({
      url: `${url}/documents`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': cid },
      body: JSON.stringify({ title: 't', patientId: 'p-outage', category: 'c', contentBase64: Buffer.from(text).toString('base64') }),
      timeoutMs: 30_000,
    });

  /** Another instance on a fresh port: same config, with `database` overrides. */
  async function startInstance(name: string, database: Record<string, unknown>, expectHealth: 200 | 503) {
    const [port] = await freePorts(1);
    const cfg = JSON.parse(await readFile(configPath, 'utf8')) as { serviceName: string; listen: { port: number }; database: Record<string, unknown> };
    cfg.serviceName = name;
    cfg.listen.port = port ?? 0;
    cfg.database = { ...cfg.database, ...database };
    const file = path.join(dir, `${name}.json`);
    await writeFileAtomic(file, JSON.stringify(cfg));
    const proc = startProcess(refServiceProcessSpec({ name, configPath: file, repoRoot }));
    extra.push(proc);
    const state = { exited: false };
    void proc.exited.then(() => {
      state.exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      `${name} answering /health ${expectHealth}`,
      async () => (await request({ url: `${url}/health`, timeoutMs: 5000 }).catch(() => ({ status: 0 }))).status === expectHealth,
      30_000,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${proc.output()}`);
    });
    return { proc, url, state };
  }

  function lockTable(admin: pg.Client) {
    return (async () => {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE documents IN ACCESS EXCLUSIVE MODE');
    })();
  }
  const waitingOnLock = (admin: pg.Client) =>
    waitFor(
      'the service waiting on the lock',
      async () =>
        ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'hds-refservice' AND wait_event_type = 'Lock'")).rowCount ?? 0) >= 1,
      10_000,
      50,
    );
  const adminClient = () =>
    new pg.Client({ connectionString: connectionStringWithPassword(`postgresql://postgres@127.0.0.1:${pgt?.port}/documents`, pgt?.superPassword) });

  it('survives its connection cut mid-query with no error from the server (HAProxy closing sessions): no crash, the call is retried', async () => {
    if (!pgt) throw new Error('not started');
    proxy = await startCuttableProxy(pgt.port);
    const inst = await startInstance(
      'refservice-test-proxied',
      { connectionString: `postgresql://refservice@127.0.0.1:${proxy.port}/documents`, retryBudgetMs: 2000 },
      200,
    );
    const pid = inst.proc.child.pid;
    const admin = adminClient();
    await admin.connect();
    try {
      // The service's query is in flight (client checked out) when its TCP session is cut:
      // pg's client then emits 'error' ("Connection terminated unexpectedly").
      await lockTable(admin);
      // status -1: the connection to the service was lost (it crashed).
      const get = request({ url: `${inst.url}/documents/${ABSENT_ID}`, headers: { 'X-Correlation-ID': 'it-cut-0001' }, timeoutMs: 30_000 }).catch(() => ({
        status: -1,
      }));
      await waitingOnLock(admin);
      expect(proxy.cut()).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 300));
      await admin.query('ROLLBACK');
      expect((await get).status).toBe(404); // answered by the database after the retry
    } finally {
      await admin.end();
    }
    expect(inst.state.exited).toBe(false);
    expect(inst.proc.child.pid).toBe(pid);
    expect(inst.proc.output()).toMatch(/"msg":"database connection lost","error":"Connection terminated unexpectedly"/);
    expect(inst.proc.output()).toMatch(/"msg":"database call failed, retrying".*"correlation_id":"it-cut-0001"/);

    // HAProxy without a backend (site lost): connections accepted then closed at once.
    proxy.setDown(true);
    proxy.cut();
    const t0 = Date.now();
    const p = await postDoc(inst.url, 'refused while the backend is down', 'it-down-0001');
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(p.status).toBe(503);
    expect(JSON.parse(p.body)).toEqual({ error: 'database unavailable', correlationId: 'it-down-0001' });
    expect((await request({ url: `${inst.url}/documents/${ABSENT_ID}` })).status).toBe(503);
    const h = await request({ url: `${inst.url}/health` });
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body)).toMatchObject({ status: 'degraded', database: 'down' });
    proxy.setDown(false);
    await waitFor('healthy again', async () => (await request({ url: `${inst.url}/health` })).status === 200, 10_000, 200);
    expect((await postDoc(inst.url, 'written after the backend came back', 'it-up-0001')).status).toBe(201);
    expect(inst.state.exited).toBe(false);
    expect(inst.proc.output()).not.toMatch(/Unhandled 'error' event|"msg":"fatal/);
  });

  it('survives its backends being terminated mid-query (pg_terminate_backend): no crash, the call is retried', async () => {
    if (!pgt || !svc) throw new Error('not started');
    const pid = svc.child.pid;
    const admin = adminClient();
    await admin.connect();
    try {
      await lockTable(admin);
      // status -1: the connection to the service was lost (it crashed).
      const get = request({ url: `${appUrl}/documents/${ABSENT_ID}`, headers: { 'X-Correlation-ID': 'it-terminate-0001' }, timeoutMs: 30_000 }).catch(() => ({
        status: -1,
      }));
      await waitingOnLock(admin);
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hds-refservice'");
      expect(killed.rowCount).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 300));
      await admin.query('ROLLBACK');
      expect((await get).status).toBe(404); // answered by the database after the retry
    } finally {
      await admin.end();
    }
    expect(svcExited).toBe(false);
    expect(svc.child.pid).toBe(pid);
    expect(svc.output()).toMatch(/"msg":"database call failed, retrying".*"correlation_id":"it-terminate-0001"/);
    expect(svc.output()).not.toMatch(/Unhandled 'error' event|"msg":"fatal/);
  });

  it('a PostgreSQL outage: 503s meanwhile (also from an instance started during it), 200/201 after, no process restart', async () => {
    if (!pgt || !svc) throw new Error('not started');
    const pid = svc.child.pid;
    const restarted = pgt.restart(12_000);
    await waitFor(
      'health 503 while the database is down',
      async () => (await request({ url: `${appUrl}/health`, timeoutMs: 5000 })).status === 503,
      10_000,
      200,
    );
    const h = await request({ url: `${appUrl}/health`, timeoutMs: 5000 });
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body)).toMatchObject({ status: 'degraded', database: 'down' });

    // An instance started while the database is down stays up and answers 503.
    const late = await startInstance('refservice-test-late', { retryBudgetMs: 1500 }, 503);
    const t0 = Date.now();
    const p = await postDoc(late.url, 'refused during the outage', 'it-outage-0001');
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(p.status).toBe(503);
    expect(JSON.parse(p.body)).toEqual({ error: 'database unavailable', correlationId: 'it-outage-0001' });
    expect(late.proc.output()).toMatch(/"msg":"database not ready"/);

    await restarted;
    for (const [url, name] of [
      [appUrl, 'instance 1'],
      [late.url, 'the late instance'],
    ] as const) {
      await waitFor(`${name} healthy again`, async () => (await request({ url: `${url}/health`, timeoutMs: 5000 })).status === 200, 30_000, 250);
      const w = await postDoc(url, `written by ${name} after the outage`, `it-after-${name.replaceAll(' ', '-')}`);
      expect(w.status).toBe(201);
      const g = await request({ url: `${url}/documents/${(JSON.parse(w.body) as { id: string }).id}` });
      expect(g.status).toBe(200);
      expect(Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64').toString()).toBe(`written by ${name} after the outage`);
    }
    expect(svcExited).toBe(false);
    expect(late.state.exited).toBe(false);
    expect(svc.child.pid).toBe(pid);
    for (const out of [svc.output(), late.proc.output()]) expect(out).not.toMatch(/Unhandled 'error' event|"msg":"fatal/);
  });
});

interface CuttableProxy {
  port: number;
  /** Destroys every open session (both sides, no goodbye), returns how many were open. */
  cut(): number;
  /** Down: accept, then close at once (HAProxy with no backend). */
  setDown(down: boolean): void;
  close(): void;
}

/** A TCP proxy to PostgreSQL on loopback that a test can cut, as HAProxy does on a failover. */
async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sessions = new Set<{ a: net.Socket; b: net.Socket }>();
  let down = false;
  const server = net.createServer((a) => {
    a.on('error', () => undefined);
    if (down) {
      a.destroy();
      return;
    }
    const b = net.connect(targetPort, '127.0.0.1');
    b.on('error', () => undefined);
    const s = { a, b };
    sessions.add(s);
    const end = () => {
      sessions.delete(s);
      a.destroy();
      b.destroy();
    };
    a.on('close', end);
    b.on('close', end);
    a.pipe(b);
    b.pipe(a);
  });
  const [port] = await freePorts(1);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const cut = () => {
    const n = sessions.size;
    for (const s of [...sessions]) {
      s.a.destroy();
      s.b.destroy();
    }
    return n;
  };
  return {
    port: port ?? 0,
    cut,
    setDown(d) {
      down = d;
    },
    close() {
      server.close();
      cut();
    },
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** HTTP/1.1 over one raw TCP connection: requests written blindly, one response read after each (Content-Length framing). */
function rawHttp(port: number): { send(head: string, body: Buffer): Promise<RawResponse>; closedEarly(): boolean; close(): void } {
  const sock = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let closed = false;
  let waiter: (() => void) | undefined;
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    waiter?.();
  });
  sock.on('error', () => undefined);
  sock.on('close', () => {
    closed = true;
    waiter?.();
  });
  const response = () =>
    new Promise<RawResponse>((resolve, reject) => {
      const check = () => {
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
          const headers: Record<string, string> = {};
          for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
          const len = Number(headers['content-length'] ?? 0);
          if (buf.length >= end + 4 + len) {
            const body = buf.subarray(end + 4, end + 4 + len);
            buf = buf.subarray(end + 4 + len);
            waiter = undefined;
            resolve({ status: Number(lines[0]?.split(' ')[1]), headers, body });
            return;
          }
        }
        if (closed) reject(new Error('connection closed by the service before a complete response'));
      };
      waiter = check;
      check();
    });
  return {
    async send(head, body) {
      sock.write(head);
      sock.write(body);
      return response();
    },
    closedEarly: () => closed,
    close: () => sock.destroy(),
  };
}
