/** In-memory AES key wrap stand-in (unit tests only; the integration test uses SoftHSM). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';
import { request } from '../testkit/http.ts';
import { parseConfig } from './config.ts';
import { connectionStringWithPassword, createDb, DatabaseUnavailableError, type Db, isRetryable, schemaGate } from './db.ts';
import { type KeyWrapper, open, seal } from './envelope.ts';
import { createLogger } from './log.ts';
import { refServiceProcessSpec } from './process.ts';
import { createRefServiceHandler } from './server.ts';

function fakeHsm(): KeyWrapper {
  const kek = randomBytes(32);
  return {
    wrapDataKey: (_d, k) => {
      const c = createCipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
      return Buffer.concat([c.update(k), c.final()]);
    },
    unwrapDataKey: (_d, w) => {
      const c = createDecipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
      return Buffer.concat([c.update(w), c.final()]);
    },
  };
}

const validCfg = {
  serviceName: 'refservice-dc1',
  listen: { host: '127.0.0.1', port: 8080 },
  database: { connectionString: 'postgresql://refservice@127.0.0.1:5000/documents', passwordFile: '/s/db.pw' },
  hsm: { softhsmConfPath: '/s/softhsm2.conf', tokenLabel: 'hds-dc1', pinFile: '/s/hsm.pin', domain: 'documents' },
};

describe('envelope encryption', () => {
  it('round-trips and binds the ciphertext to the document id and domain', () => {
    const hsm = fakeHsm();
    const pt = Buffer.from('compte rendu: tension 12/8');
    const s = seal(pt, 'doc-1', 'documents', hsm);
    expect(s.ciphertext.includes(pt)).toBe(false);
    expect(s.iv.length).toBe(12);
    expect(s.tag.length).toBe(16);
    expect(open(s, 'doc-1', 'documents', hsm).equals(pt)).toBe(true);
    expect(() => open(s, 'doc-2', 'documents', hsm)).toThrow();
    const tampered = { ...s, ciphertext: Buffer.from(s.ciphertext) };
    tampered.ciphertext[0] = (tampered.ciphertext[0] ?? 0) ^ 1;
    expect(() => open(tampered, 'doc-1', 'documents', hsm)).toThrow();
  });
  it('uses a fresh data key and IV per document', () => {
    const hsm = fakeHsm();
    const a = seal(Buffer.from('x'), 'd', 'documents', hsm);
    const b = seal(Buffer.from('x'), 'd', 'documents', hsm);
    expect(a.wrappedKey.equals(b.wrappedKey)).toBe(false);
    expect(a.iv.equals(b.iv)).toBe(false);
  });
});

describe('parseConfig', () => {
  it('accepts a valid config', () => {
    expect(parseConfig(validCfg)).toEqual(validCfg);
  });
  it('lets maxBodyBytes lower the body limit only (never above the model, modules/model/documents.ts)', () => {
    expect(parseConfig({ ...validCfg, maxBodyBytes: 1024 * 1024 }).maxBodyBytes).toBe(1024 * 1024);
    expect(parseConfig({ ...validCfg, maxBodyBytes: MAX_DOCUMENT_REQUEST_BYTES }).maxBodyBytes).toBe(MAX_DOCUMENT_REQUEST_BYTES);
    expect(() => parseConfig({ ...validCfg, maxBodyBytes: MAX_DOCUMENT_REQUEST_BYTES + 1 })).toThrow(/maxBodyBytes/);
  });
  it('rejects an embedded password and a bad domain', () => {
    expect(() => parseConfig({ ...validCfg, database: { connectionString: 'postgresql://u:secret@h/db' } })).toThrow(/password/);
    expect(() => parseConfig({ ...validCfg, hsm: { ...validCfg.hsm, domain: 'Bad Domain' } })).toThrow(/domain/);
    expect(() => parseConfig({ ...validCfg, listen: { host: 'x' } })).toThrow(/port/);
  });
});

describe('isRetryable', () => {
  it('classifies failover-type errors as retryable, others not', () => {
    expect(isRetryable({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isRetryable({ code: '57P01' })).toBe(true);
    expect(isRetryable({ code: '25006' })).toBe(true);
    expect(isRetryable({ code: '08006' })).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetryable({ code: '23505' })).toBe(false);
    expect(isRetryable({ code: '42P01' })).toBe(false);
    expect(isRetryable(new Error('Query read timeout'))).toBe(true);
  });
});

/** A Db whose every call fails as an unreachable server does. */
function deadDb(): Db {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' });
  return {
    pool: { connect: () => Promise.reject(refused) } as unknown as pg.Pool,
    withRetry: (what) => Promise.reject(new DatabaseUnavailableError(what, refused)),
    close: () => Promise.resolve(),
  };
}

describe('database errors in the API', () => {
  it('answer 503 "database unavailable" with the correlation id; /health says 503 degraded', async () => {
    const lines: string[] = [];
    const db = deadDb();
    const server = http.createServer(
      createRefServiceHandler({
        db,
        schema: schemaGate(db),
        hsm: { ...fakeHsm(), keyInventory: () => [{ label: 'documents' }] },
        domain: 'documents',
        keyMechanism: 'test',
        log: createLogger('t', (l) => lines.push(l)),
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = JSON.stringify({ title: 't', patientId: 'p', category: 'c', contentBase64: 'aGVsbG8=' });
      const post = await request({
        url: `${base}/documents`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Correlation-ID': 'unit-db-0001' },
        body,
      });
      expect(post.status).toBe(503);
      expect(JSON.parse(post.body)).toEqual({ error: 'database unavailable', correlationId: 'unit-db-0001' });
      expect(post.headers['retry-after']).toBe('5');
      const get = await request({ url: `${base}/documents/00000000-0000-4000-8000-000000000000` });
      expect(get.status).toBe(503);
      expect(JSON.parse(get.body)).toMatchObject({ error: 'database unavailable' });
      const health = await request({ url: `${base}/health` });
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toEqual({ status: 'degraded', database: 'down', hsm: 'up' });
      expect(lines.some((l) => l.includes('"msg":"database unavailable"') && l.includes('unit-db-0001'))).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('createDb: a server that refuses connections fails within the retry budget, as DatabaseUnavailableError, without crashing', async () => {
    const lines: string[] = [];
    // Port 1 on loopback: nothing listens there (connection refused at once).
    const db = createDb(
      { connectionString: 'postgresql://u@127.0.0.1:1/db', retryBudgetMs: 800, connectTimeoutMs: 500 },
      createLogger('t', (l) => lines.push(l)),
    );
    const t0 = Date.now();
    const err = await db.withRetry('probe', (c) => c.query('SELECT 1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as DatabaseUnavailableError).code).toBe('ECONNREFUSED');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(lines.filter((l) => l.includes('database call failed, retrying')).length).toBeGreaterThan(1);
    await db.close();
  });

  it('schemaGate: one attempt at a time, retried after a failure, remembered once done', async () => {
    let calls = 0;
    let fail = true;
    const db: Db = {
      ...deadDb(),
      withRetry: async (what) => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new DatabaseUnavailableError(what, new Error('down'));
        return undefined as never;
      },
    };
    const g = schemaGate(db);
    const [a, b] = await Promise.allSettled([g.ensure(), g.ensure()]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(calls).toBe(1);
    expect(g.ready()).toBe(false);
    fail = false;
    await g.ensure();
    await g.ensure();
    expect(g.ready()).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('connectionStringWithPassword', () => {
  it('adds the password in memory, percent-encoded', () => {
    expect(connectionStringWithPassword('postgresql://u@h:5/db', 'a/b@c:d%')).toBe('postgresql://u:a%2Fb%40c%3Ad%25@h:5/db');
    expect(connectionStringWithPassword('postgresql://u@h:5/db')).toBe('postgresql://u@h:5/db');
  });
});

describe('refServiceProcessSpec', () => {
  it('runs main.ts through tsx from the repo root', () => {
    const s = refServiceProcessSpec({
      name: 'refservice-dc1',
      configPath: '/state/refservice-dc1.json',
      repoRoot: '/repo',
      netns: 'hds-dc1',
      nodeBin: '/usr/bin/node',
    });
    expect(s).toEqual({
      name: 'refservice-dc1',
      netns: 'hds-dc1',
      command: '/usr/bin/node',
      args: ['--import', 'tsx', '/repo/modules/refservice/main.ts', '--config', '/state/refservice-dc1.json'],
      cwd: '/repo',
      env: { NODE_ENV: 'production' },
    });
  });
});
