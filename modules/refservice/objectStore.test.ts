/**
 * Unit tests of the documents' object store (issue 13): the configuration's `objectStore`
 * (every bad field refused with a message naming it, located in the file), the S3 client's
 * bounded retries and gateway failover against stand-in S3 servers over HTTPS on loopback
 * (timing and failover logic only: the real gateways are in objectStore.int.test.ts), and the
 * API's write order, error answers and /health with an object store.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Endpoint, s3ClientFor } from '../runtime/ceph/s3.ts';
import { ensureCert } from '../runtime/pki.ts';
import { request } from '../testkit/http.ts';
import { freePort } from '../testkit/net.ts';
import { openObjectStore } from './app.ts';
import { parseConfig, parseConfigText, RefServiceConfigError } from './config.ts';
import type { Db, DocumentRow } from './db.ts';
import type { KeyWrapper } from './envelope.ts';
import { createLogger } from './log.ts';
import {
  createObjectStore,
  OBJECT_STORE_DEFAULTS,
  documentObjectKey,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreOptions,
  ObjectStoreUnavailableError,
} from './objectStore.ts';
import { createRefServiceHandler, type DocumentTable } from './server.ts';

const baseCfg = {
  serviceName: 'refservice-dc1',
  listen: { host: '127.0.0.1', port: 8080 },
  database: { connectionString: 'postgresql://refservice@127.0.0.1:5000/documents', passwordFile: '/s/db.pw' },
  hsm: { softhsmConfPath: '/s/softhsm2.conf', tokenLabel: 'hds-dc1', pinFile: '/s/hsm.pin', domain: 'documents' },
};
const validStore = {
  endpoints: ['https://10.199.1.20:7443', 'https://10.199.2.20:7443'],
  bucket: 'documents',
  caFile: '/s/ca.crt',
  accessKeyFile: '/s/s3-access-key',
  secretKeyFile: '/s/s3-secret-key',
  kmsKeyId: 'documents',
};

function configError(raw: unknown): RefServiceConfigError {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof RefServiceConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('refservice config: objectStore', () => {
  it('is optional: without it the contents stay in PostgreSQL (no objectStore in the parsed config)', () => {
    expect(parseConfig(baseCfg).objectStore).toBeUndefined();
  });

  it('accepts a valid objectStore, keeping the endpoints in their order (own site first)', () => {
    const full = { ...validStore, region: 'lab', requestTimeoutMs: 3000, retryBudgetMs: 12_000 };
    expect(parseConfig({ ...baseCfg, objectStore: full }).objectStore).toEqual(full);
    expect(parseConfig({ ...baseCfg, objectStore: { ...validStore, endpoints: ['https://gw:7443/'] } }).objectStore?.endpoints).toEqual(['https://gw:7443']);
  });

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['not an object', { objectStore: 'documents' }, '/objectStore', /must be an object/],
    ['no endpoints', { endpoints: undefined }, '/objectStore/endpoints', /is required/],
    ['empty endpoints', { endpoints: [] }, '/objectStore/endpoints', /non-empty list/],
    ['plain HTTP', { endpoints: ['https://a:7443', 'http://b:7443'] }, '/objectStore/endpoints/1', /https/],
    ['not a URL', { endpoints: ['gateway-dc1'] }, '/objectStore/endpoints/0', /not a URL/],
    ['credentials in a URL', { endpoints: ['https://AKIA:s3cr3t@a:7443'] }, '/objectStore/endpoints/0', /credentials/],
    ['a path in a URL', { endpoints: ['https://a:7443/documents'] }, '/objectStore/endpoints/0', /bare origin/],
    ['a repeated endpoint', { endpoints: ['https://a:7443', 'https://a:7443/'] }, '/objectStore/endpoints/1', /repeats/],
    ['a bad bucket', { bucket: 'Documents_2025' }, '/objectStore/bucket', /bucket name/],
    ['no caFile', { caFile: undefined }, '/objectStore/caFile', /is required/],
    ['an empty accessKeyFile', { accessKeyFile: '' }, '/objectStore/accessKeyFile', /non-empty string/],
    ['a numeric secretKeyFile', { secretKeyFile: 600 }, '/objectStore/secretKeyFile', /non-empty string/],
    ['no kmsKeyId', { kmsKeyId: undefined }, '/objectStore/kmsKeyId', /is required/],
    ['a bad region', { region: 'EU West' }, '/objectStore/region', /region/],
    ['a tiny requestTimeoutMs', { requestTimeoutMs: 5 }, '/objectStore/requestTimeoutMs', /integer in \[100, 600000\]/],
    ['a fractional retryBudgetMs', { retryBudgetMs: 1.5 }, '/objectStore/retryBudgetMs', /integer/],
    ['an unknown field (a typo)', { retryBudget: 20_000 }, '/objectStore/retryBudget', /not a known field.*retryBudgetMs/],
  ];
  it.each(bad)('refuses %s, naming the field', (_what, change, ptr, msg) => {
    const objectStore = 'objectStore' in change ? change.objectStore : { ...validStore, ...change };
    const err = configError({ ...baseCfg, objectStore });
    expect(err.path.length === 0 ? '/' : `/${err.path.join('/')}`).toBe(ptr);
    expect(err.message).toContain(`${ptr}: `);
    expect(err.message).toMatch(msg);
    expect(err.message).toMatch(/\(.+\)$/); // how to fix
    expect(err.message).not.toContain('s3cr3t');
  });

  it('locates a refused value in the file: file:line:col /pointer (JSON and YAML)', () => {
    const cfg = { ...baseCfg, objectStore: { ...validStore, endpoints: ['https://a:7443', 'http://b:7443'] } };
    const json = JSON.stringify(cfg, null, 2);
    const jsonLine = json.split('\n').findIndex((l) => l.includes('http://b:7443')) + 1;
    expect(() => parseConfigText('refservice-dc1.json', json)).toThrow(
      new RegExp(`^refservice-dc1\\.json:${jsonLine}:\\d+ /objectStore/endpoints/1: must be an https:// URL \\(`),
    );
    const yaml = [
      'serviceName: refservice-dc1',
      'listen: { host: 127.0.0.1, port: 8080 }',
      'database: { connectionString: "postgresql://refservice@127.0.0.1:5000/documents" }',
      'hsm: { tokenLabel: hds-dc1, pinFile: /s/hsm.pin, domain: documents }',
      'objectStore:',
      '  endpoints: [https://a:7443]',
      '  bucket: documents',
      '  caFile: /s/ca.crt',
      '  accessKeyFile: /s/ak',
      '  secretKeyFile: /s/sk',
      '  kmsKeyId: documents',
      '  requestTimeoutMs: 1',
    ].join('\n');
    expect(() => parseConfigText('refservice.yaml', yaml)).toThrow(/^refservice\.yaml:12:3 \/objectStore\/requestTimeoutMs: must be an integer/);
    expect(parseConfigText('refservice.yaml', yaml.replace('requestTimeoutMs: 1', 'requestTimeoutMs: 1000')).objectStore?.requestTimeoutMs).toBe(1000);
  });

  it('reads the S3 keys from 0600 files only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hds-os-keys-'));
    try {
      const files = { ca: join(dir, 'ca.crt'), ak: join(dir, 'ak'), sk: join(dir, 'sk') };
      await writeFile(files.ca, 'not used before a call');
      await writeFile(files.ak, 'AK\n', { mode: 0o600 });
      await writeFile(files.sk, 'SK\n', { mode: 0o644 });
      await chmod(files.sk, 0o644);
      const c = { ...validStore, caFile: files.ca, accessKeyFile: files.ak, secretKeyFile: files.sk };
      const log = createLogger('t', () => undefined);
      await expect(openObjectStore(c, log)).rejects.toThrow(/must not be accessible by group\/others/);
      await chmod(files.sk, 0o600);
      const store = await openObjectStore(c, log);
      expect(store.bucket).toBe('documents');
      store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

type Mode = { kind: 'ok' } | { kind: 'hang' } | { kind: 'error'; status: number; code: string; times?: number } | { kind: 'no-sse' };

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface FakeS3 {
  url: string;
  seen: SeenRequest[];
  objects: Map<string, Buffer>;
  mode: Mode;
  close(): Promise<void>;
}

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>stand-in</Message><RequestId>r</RequestId></Error>`;

/** An S3 stand-in over HTTPS on loopback: path-style objects in memory, or a chosen failure. */
async function fakeS3(tls: { key: Buffer; cert: Buffer }, mode: Mode = { kind: 'ok' }): Promise<FakeS3> {
  const s: FakeS3 = { url: '', seen: [], objects: new Map(), mode, close: async () => undefined };
  const server = https.createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      s.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const m = s.mode;
      if (m.kind === 'hang') return; // accepted, read, never answered (a frozen gateway)
      if (m.kind === 'error' && (m.times === undefined || m.times-- > 0)) {
        const body = errorXml(m.code);
        res.writeHead(m.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      if (req.method === 'PUT') {
        s.objects.set(path, Buffer.concat(chunks));
        res.writeHead(200, { etag: '"e"', ...(m.kind === 'no-sse' ? {} : { 'x-amz-server-side-encryption': 'aws:kms' }) });
        res.end();
      } else if (req.method === 'GET') {
        const o = s.objects.get(path);
        if (!o) {
          const body = errorXml('NoSuchKey');
          res.writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        res.writeHead(200, { 'content-length': o.length, 'content-type': 'application/octet-stream', 'x-amz-server-side-encryption': 'aws:kms' });
        res.end(o);
      } else if (req.method === 'DELETE') {
        s.objects.delete(path);
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200); // HEAD bucket
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return s;
}

describe('object store client: bounded retries and gateway failover (S3 stand-ins over HTTPS)', () => {
  let dir = '';
  let tls: { key: Buffer; cert: Buffer };
  let ca: Buffer;
  const servers: FakeS3[] = [];
  const stores: ObjectStore[] = [];
  const secretAccessKey = `secret-${randomBytes(12).toString('hex')}`;
  const accessKeyId = `access-${randomBytes(6).toString('hex')}`;
  const key = documentObjectKey('0b8e3c5e-2f6b-4a7e-9d51-1f0c2a6b9e01');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hds-os-test-'));
    const pair = await ensureCert(dir, {
      name: 'rgw-stand-in',
      commonName: 'rgw-stand-in',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    tls = { key: await readFile(pair.key), cert: await readFile(pair.cert) };
    ca = await readFile(pair.ca);
  });
  afterAll(async () => {
    for (const st of stores) st.close();
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function gateway(mode?: Mode): Promise<FakeS3> {
    const s = await fakeS3(tls, mode);
    servers.push(s);
    return s;
  }
  /** A URL where nothing listens: connections refused at once (a stopped gateway). */
  const refusedUrl = async () => `https://127.0.0.1:${await freePort()}`;

  function store(endpoints: string[], o: Partial<ObjectStoreOptions> = {}) {
    const lines: string[] = [];
    const st = createObjectStore(
      { endpoints, bucket: 'documents', ca, accessKeyId, secretAccessKey, kmsKeyId: 'documents', requestTimeoutMs: 400, retryBudgetMs: 2000, ...o },
      createLogger('t', (l) => lines.push(l)),
    );
    stores.push(st);
    return { st, lines };
  }
  const secretsIn = (lines: string[]) => lines.filter((l) => l.includes(secretAccessKey) || l.includes(accessKeyId) || l.includes(key));

  it("writes with SSE-KMS, path-style, to the own site's gateway; reads back; absent is undefined; deletes", async () => {
    const [own, other] = [await gateway(), await gateway()];
    const { st } = store([own.url, other.url]);
    const body = randomBytes(70_000);
    await st.put(key, body, 'cid-1');
    expect(other.seen).toHaveLength(0);
    const put = own.seen[0]!;
    expect(put.method).toBe('PUT');
    expect(put.url.split('?')[0]).toBe(`/documents/${key}`);
    expect(put.headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(put.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('documents');
    expect(put.headers.authorization).toContain(accessKeyId); // signed (SigV4), the secret never sent
    expect(JSON.stringify(put.headers)).not.toContain(secretAccessKey);
    expect((await st.get(key))?.equals(body)).toBe(true);
    expect(await st.get(documentObjectKey('no-such-document'))).toBeUndefined();
    await st.delete(key);
    expect(own.objects.size).toBe(0);
    expect(await st.get(key)).toBeUndefined();
    expect(other.seen).toHaveLength(0);
  });

  it("fails over to the next gateway at once when the own site's refuses connections", async () => {
    const other = await gateway();
    const down = await refusedUrl();
    const { st, lines } = store([down, other.url]);
    const t0 = Date.now();
    await st.put(key, Buffer.from('sealed'), 'cid-refused');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(other.objects.get(`/documents/${key}`)?.toString()).toBe('sealed');
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'object store call failed, trying the next gateway');
    expect(warn).toMatchObject({ level: 'warn', correlation_id: 'cid-refused', op: 'put', endpoint: down, attempt: 1 });
    expect(String(warn?.error)).toMatch(/ECONNREFUSED/);
    expect(secretsIn(lines)).toEqual([]);
  });

  it('connecting to a gateway is bounded apart (connectTimeoutMs, 1 s by default): a site cut off drops SYNs and must not cost a whole attempt', () => {
    const seen: S3Endpoint[] = [];
    const capture = (e: S3Endpoint) => {
      seen.push(e);
      return s3ClientFor(e);
    };
    const opts = { endpoints: ['https://127.0.0.1:1', 'https://127.0.0.2:1'], bucket: 'documents', ca, accessKeyId, secretAccessKey, kmsKeyId: 'documents' };
    stores.push(
      createObjectStore(
        opts,
        createLogger('t', () => undefined),
        { clientFor: capture },
      ),
    );
    expect(seen.map((e) => e.connectTimeoutMs)).toEqual([OBJECT_STORE_DEFAULTS.connectTimeoutMs, OBJECT_STORE_DEFAULTS.connectTimeoutMs]);
    expect(OBJECT_STORE_DEFAULTS.connectTimeoutMs).toBeLessThan(OBJECT_STORE_DEFAULTS.requestTimeoutMs);
    // The connection bound never exceeds an attempt's.
    stores.push(
      createObjectStore(
        { ...opts, requestTimeoutMs: 400, connectTimeoutMs: 5000 },
        createLogger('t', () => undefined),
        { clientFor: capture },
      ),
    );
    expect(seen.slice(2).map((e) => e.connectTimeoutMs)).toEqual([400, 400]);
  });

  it('a gateway that accepts and never answers (a cut-off site) costs one attempt timeout, then is tried last for a while', async () => {
    const [frozen, other] = [await gateway({ kind: 'hang' }), await gateway()];
    const { st } = store([frozen.url, other.url], { requestTimeoutMs: 400 });
    const t0 = Date.now();
    await st.put(key, Buffer.from('one'));
    const first = Date.now() - t0;
    expect(first).toBeGreaterThanOrEqual(380);
    expect(first).toBeLessThan(1200);
    expect(frozen.seen).toHaveLength(1);
    const t1 = Date.now();
    expect((await st.get(key))?.toString()).toBe('one');
    expect(Date.now() - t1).toBeLessThan(300); // straight to the other gateway
    expect(frozen.seen).toHaveLength(1);
  });

  it('a large body gets more time per attempt (its bytes at minTransferBytesPerSecond), within the budget', async () => {
    const [frozen, other] = [await gateway({ kind: 'hang' }), await gateway()];
    const { st } = store([frozen.url, other.url], { requestTimeoutMs: 300, minTransferBytesPerSecond: 1024 * 1024, retryBudgetMs: 3000 });
    const t0 = Date.now();
    await st.put(key, randomBytes(512 * 1024)); // 300 ms + 512 KiB at 1 MiB/s = 800 ms on the silent gateway
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(780);
    expect(took).toBeLessThan(1800);
    expect(other.objects.get(`/documents/${key}`)?.length).toBe(512 * 1024);
  });

  it('5xx from every gateway: retried with back-off across them, then ObjectStoreUnavailableError within the budget', async () => {
    const [a, b] = [await gateway({ kind: 'error', status: 500, code: 'InternalError' }), await gateway({ kind: 'error', status: 503, code: 'SlowDown' })];
    const { st, lines } = store([a.url, b.url], { retryBudgetMs: 1500 });
    const t0 = Date.now();
    const err = await st.put(key, Buffer.from('x'), 'cid-5xx').catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(ObjectStoreUnavailableError);
    expect((err as ObjectStoreUnavailableError).op).toBe('put');
    expect((err as Error).message).toMatch(/SlowDown \(HTTP 503\)|InternalError \(HTTP 500\)/);
    expect(took).toBeLessThan(1500 + 400);
    expect(a.seen.length).toBeGreaterThanOrEqual(3);
    expect(b.seen.length).toBeGreaterThanOrEqual(3);
    expect((err as ObjectStoreUnavailableError).attempts).toBe(a.seen.length + b.seen.length);
    expect(secretsIn(lines)).toEqual([]);
  });

  it('a gateway that recovers is used on a later round (after the back-off)', async () => {
    const flaky = await gateway({ kind: 'error', status: 500, code: 'InternalError', times: 1 });
    const { st } = store([flaky.url, await refusedUrl()]);
    await st.put(key, Buffer.from('after a 500'));
    expect(flaky.seen.map((r) => r.method)).toEqual(['PUT', 'PUT']);
    expect(flaky.objects.get(`/documents/${key}`)?.toString()).toBe('after a 500');
  });

  it("S3's RequestTimeout (400) is retried on the next gateway; AccessDenied (403) is not retried anywhere", async () => {
    const [slow, ok] = [await gateway({ kind: 'error', status: 400, code: 'RequestTimeout', times: 1 }), await gateway()];
    await store([slow.url, ok.url]).st.put(key, Buffer.from('y'));
    expect(ok.objects.size).toBe(1);

    const [denied, spare] = [await gateway({ kind: 'error', status: 403, code: 'AccessDenied' }), await gateway()];
    const { st, lines } = store([denied.url, spare.url]);
    const err = await st.put(key, Buffer.from('z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as Error).message).toBe(`object store put at ${denied.url}: AccessDenied (HTTP 403)`);
    expect(denied.seen).toHaveLength(1);
    expect(spare.seen).toHaveLength(0);
    expect(secretsIn(lines)).toEqual([]);
  });

  it('an attempt never outlives the budget: with every gateway silent the call fails within retryBudgetMs', async () => {
    const [a, b] = [await gateway({ kind: 'hang' }), await gateway({ kind: 'hang' })];
    const { st } = store([a.url, b.url], { requestTimeoutMs: 5000, retryBudgetMs: 700 });
    const t0 = Date.now();
    const err = await st.get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreUnavailableError);
    expect(Date.now() - t0).toBeLessThan(700 + 300);
    expect((err as Error).message).toMatch(/no answer within 700 ms|no answer within \d+ ms/);
  });

  it('refuses a PUT the gateway did not encrypt (no SSE-KMS in its answer), without retrying', async () => {
    const [plain, spare] = [await gateway({ kind: 'no-sse' }), await gateway()];
    const err = await store([plain.url, spare.url])
      .st.put(key, Buffer.from('w'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as Error).message).toMatch(/did not confirm SSE-KMS \(got none\)/);
    expect(spare.seen).toHaveLength(0);
  });

  it('refuses to read an object larger than expected (maxBytes) before reading it', async () => {
    const g = await gateway();
    g.objects.set(`/documents/${key}`, randomBytes(100));
    const { st } = store([g.url]);
    await expect(st.get(key, { maxBytes: 50 })).rejects.toThrow(/has 100 bytes, more than the 50 expected/);
    expect((await st.get(key, { maxBytes: 100 }))?.length).toBe(100);
  });

  it('healthy(): up when any gateway serves the bucket; down within the bound when none answers; the answer is reused', async () => {
    const [frozen, ok] = [await gateway({ kind: 'hang' }), await gateway()];
    const up = store([frozen.url, ok.url], { healthTimeoutMs: 300, healthCacheMs: 60_000 }).st;
    expect(await up.healthy()).toBe(true);
    expect(ok.seen.at(-1)?.method).toBe('HEAD');
    const seen = ok.seen.length;
    expect(await up.healthy()).toBe(true);
    expect(ok.seen.length).toBe(seen); // cached

    const down = store([frozen.url, await refusedUrl()], { healthTimeoutMs: 300, healthCacheMs: 0 }).st;
    const t0 = Date.now();
    const [x, y] = await Promise.all([down.healthy(), down.healthy()]);
    expect([x, y]).toEqual([false, false]);
    expect(Date.now() - t0).toBeLessThan(800);
  });

  it('healthy(): once an answer is known it is given at once, the stale one refreshed behind it (never waits on a busy gateway)', async () => {
    const g = await gateway();
    const st = store([g.url], { healthTimeoutMs: 300, healthCacheMs: 0 }).st;
    expect(await st.healthy()).toBe(true); // the first call waits for its probe
    g.mode = { kind: 'hang' }; // the gateway now holds every request
    const t0 = Date.now();
    expect(await st.healthy()).toBe(true); // the last answer, at once; a probe runs behind
    expect(Date.now() - t0).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 500)); // the background probe times out (300 ms)
    expect(await st.healthy()).toBe(false);
  });
});

/** In-memory AES key wrap stand-in (the integration test uses SoftHSM). */
function fakeHsm(): KeyWrapper & { keyInventory: () => Array<{ label: string }> } {
  const kek = randomBytes(32);
  const iv = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
  return {
    wrapDataKey: (_d, k) => {
      const c = createCipheriv('id-aes256-wrap', kek, iv);
      return Buffer.concat([c.update(k), c.final()]);
    },
    unwrapDataKey: (_d, w) => {
      const c = createDecipheriv('id-aes256-wrap', kek, iv);
      return Buffer.concat([c.update(w), c.final()]);
    },
    keyInventory: () => [{ label: 'documents' }],
  };
}

/** A database that answers the health check (the rows live in the in-memory table). */
function okDb(): Db {
  const client = { query: async () => ({ rows: [{}] }), release: () => undefined };
  return {
    pool: { connect: async () => client } as unknown as pg.Pool,
    withRetry: async () => undefined as never,
    close: async () => undefined,
  };
}

/** An ObjectStore in memory, recording every call in `events` (shared with the table). */
function memoryStore(events: string[], o: { putError?: Error; healthy?: () => Promise<boolean> } = {}) {
  const objects = new Map<string, Buffer>();
  const st: ObjectStore = {
    bucket: 'documents',
    async put(k, body) {
      events.push(`put ${k}`);
      if (o.putError) throw o.putError;
      objects.set(k, Buffer.from(body));
    },
    async get(k) {
      events.push(`get ${k}`);
      return objects.get(k);
    },
    async delete(k) {
      objects.delete(k);
    },
    healthy: o.healthy ?? (async () => true),
    close: () => undefined,
  };
  return { st, objects };
}

function memoryTable(events: string[]): DocumentTable & { rows: Map<string, DocumentRow> } {
  const rows = new Map<string, DocumentRow>();
  return {
    rows,
    async insert(row) {
      events.push('insert');
      rows.set(row.id, structuredClone(row));
    },
    async get(id) {
      return rows.get(id);
    },
  };
}

describe('documents API with an object store', () => {
  const plaintext = `Compte rendu ${randomBytes(6).toString('hex')}: tension 12/8`;

  async function serve(objectStore: ObjectStore | undefined, table: DocumentTable, hsm = fakeHsm()) {
    const lines: string[] = [];
    const server = http.createServer(
      createRefServiceHandler({
        db: okDb(),
        hsm,
        domain: 'documents',
        keyMechanism: 'test',
        log: createLogger('t', (l) => lines.push(l)),
        table,
        ...(objectStore ? { objectStore } : {}),
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      lines,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }
  const post = (base: string, text: string, cid: string) =>
    request({
      url: `${base}/documents`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': cid },
      body: JSON.stringify({ title: 't', patientId: 'p-1', category: 'c', contentBase64: Buffer.from(text).toString('base64') }),
    });

  it('writes the object BEFORE the row; the row holds the key and the envelope, no content; reads back through the object', async () => {
    const events: string[] = [];
    const { st, objects } = memoryStore(events);
    const table = memoryTable(events);
    const svc = await serve(st, table);
    try {
      const r = await post(svc.base, plaintext, 'unit-os-0001');
      expect(r.status).toBe(201);
      const id = (JSON.parse(r.body) as { id: string }).id;
      expect(events).toEqual([`put documents/${id}`, 'insert']);
      const row = table.rows.get(id)!;
      expect(row.content).toEqual({ object: `documents/${id}` });
      expect(row.envelope.wrappedKey.length).toBe(40);
      const object = objects.get(`documents/${id}`)!;
      expect(object.length).toBe(Buffer.byteLength(plaintext)); // the envelope's ciphertext (GCM adds no bytes)…
      expect(object.includes(Buffer.from(plaintext))).toBe(false); // …never the clear text
      const g = await request({ url: `${svc.base}/documents/${id}` });
      expect(g.status).toBe(200);
      expect(Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64').toString()).toBe(plaintext);
      expect(events.at(-1)).toBe(`get documents/${id}`);
    } finally {
      await svc.close();
    }
  });

  it('an object store that does not answer: 503 "object store unavailable", Retry-After, and no row written', async () => {
    const events: string[] = [];
    const { st } = memoryStore(events, { putError: new ObjectStoreUnavailableError('put', 4, new Error('connect ECONNREFUSED')) });
    const table = memoryTable(events);
    const svc = await serve(st, table);
    try {
      const r = await post(svc.base, plaintext, 'unit-os-0002');
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toEqual({ error: 'object store unavailable', correlationId: 'unit-os-0002' });
      expect(r.headers['retry-after']).toBe('5');
      expect(events.filter((e) => e === 'insert')).toEqual([]);
      expect(table.rows.size).toBe(0);
      expect(svc.lines.some((l) => l.includes('"msg":"object store unavailable"') && l.includes('unit-os-0002'))).toBe(true);
    } finally {
      await svc.close();
    }
  });

  it('a row whose object is missing: 500 "document content missing" with a log line naming the document (not 404)', async () => {
    const events: string[] = [];
    const { st, objects } = memoryStore(events);
    const svc = await serve(st, memoryTable(events));
    try {
      const id = (JSON.parse((await post(svc.base, plaintext, 'unit-os-0003')).body) as { id: string }).id;
      objects.clear();
      const g = await request({ url: `${svc.base}/documents/${id}`, headers: { 'X-Correlation-ID': 'unit-os-0004' } });
      expect(g.status).toBe(500);
      expect(JSON.parse(g.body)).toEqual({ error: 'document content missing', correlationId: 'unit-os-0004' });
      const line = svc.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'document content missing');
      expect(line).toMatchObject({ level: 'error', correlation_id: 'unit-os-0004', document_id: id });
      expect(String(line?.error)).toMatch(/object is missing from bucket documents/);
    } finally {
      await svc.close();
    }
  });

  it('rows written before the object store (content in the row) are still read from the row; an object row needs a store', async () => {
    const events: string[] = [];
    const hsm = fakeHsm();
    const table = memoryTable(events);
    const before = await serve(undefined, table, hsm);
    const id = (JSON.parse((await post(before.base, plaintext, 'unit-os-0005')).body) as { id: string }).id;
    await before.close();
    expect(table.rows.get(id)?.content.ciphertext?.length).toBe(Buffer.byteLength(plaintext));
    const { st } = memoryStore(events);
    const after = await serve(st, table, hsm);
    try {
      const g = await request({ url: `${after.base}/documents/${id}` });
      expect(Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64').toString()).toBe(plaintext);
      expect(events.some((e) => e.startsWith('get '))).toBe(false);
      const newId = (JSON.parse((await post(after.base, 'stored as an object', 'unit-os-0006')).body) as { id: string }).id;
      expect(table.rows.get(newId)?.content.object).toBe(`documents/${newId}`);
    } finally {
      await after.close();
    }
    const noStore = await serve(undefined, table, hsm);
    try {
      const newId = [...table.rows.values()].find((r) => r.content.object)!.id;
      expect((await request({ url: `${noStore.base}/documents/${newId}` })).status).toBe(500);
    } finally {
      await noStore.close();
    }
  });

  it('/health reports the object store (503 degraded when no gateway serves the bucket) and does not wait for a silent one', async () => {
    let up = true;
    const events: string[] = [];
    const svc = await serve(memoryStore(events, { healthy: async () => up }).st, memoryTable(events));
    try {
      const ok = await request({ url: `${svc.base}/health` });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ status: 'ok', database: 'up', hsm: 'up', objectStore: 'up' });
      up = false;
      const down = await request({ url: `${svc.base}/health` });
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toEqual({ status: 'degraded', database: 'up', hsm: 'up', objectStore: 'down' });
    } finally {
      await svc.close();
    }
    const silent = await serve(memoryStore(events, { healthy: () => new Promise<boolean>(() => undefined) }).st, memoryTable(events));
    try {
      const t0 = Date.now();
      const h = await request({ url: `${silent.base}/health`, timeoutMs: 10_000 });
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(JSON.parse(h.body)).toMatchObject({ status: 'degraded', objectStore: 'down' });
    } finally {
      await silent.close();
    }
  });
});
