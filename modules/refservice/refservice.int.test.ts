/**
 * Integration: the reference service as a real process (node + tsx) against a real
 * PostgreSQL 15 on 127.0.0.1 and a real SoftHSM2 token; envelope encryption checked in the table.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('reference service (real PostgreSQL + SoftHSM2)', () => {
  let dir = '';
  let pgt: TempPostgres | undefined;
  let svc: RunningProcess | undefined;
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
    const configPath = path.join(dir, 'refservice.json');
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
    await waitFor('refservice health', async () => (await request({ url: `${appUrl}/health`, timeoutMs: 2000 })).status === 200, 60_000, 300).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${svc?.output()}`);
      },
    );
  });

  afterAll(async () => {
    await svc?.stop();
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
});
