/**
 * Documents of every allowed size (issue 11): parsing at the size boundary, malformed base64 of
 * the maximum size refused quickly (no regex stack overflow), and the HTTP behaviour of the
 * handler with large bodies (413 in JSON, the rest of the body drained, keep-alive kept), on an
 * in-memory database and key wrapper (the integration test uses PostgreSQL and SoftHSM2).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Length, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';
import { configureHttpServer } from './app.ts';
import type { Db } from './db.ts';
import type { KeyWrapper } from './envelope.ts';
import { createLogger } from './log.ts';
import { DEFAULT_LIMITS, decodeBase64InPlace, HttpError, isStandardBase64, parseNewDocument } from './payload.ts';
import { createRefServiceHandler } from './server.ts';

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

/** An in-memory `documents` table answering the queries of db.ts (insert, chunked read, ping). */
function memoryDb(): Db & { queries: string[] } {
  const rows = new Map<string, unknown[]>();
  const queries: string[] = [];
  const client = {
    query: async (q: string | { text: string }, values: unknown[] = []) => {
      const text = typeof q === 'string' ? q : q.text;
      queries.push(text.replace(/\s+/g, ' ').slice(0, 60));
      if (text.startsWith('SELECT 1')) return { rows: [{}], rowCount: 1 };
      if (text.startsWith('INSERT INTO documents')) {
        if (!rows.has(values[0] as string)) rows.set(values[0] as string, values);
        return { rows: [], rowCount: 1 };
      }
      const v = rows.get(values[0] as string);
      if (text.includes('octet_length')) {
        if (!v) return { rows: [], rowCount: 0 };
        const ct = v[4] as Buffer | null;
        return {
          rows: [
            {
              id: v[0],
              title: v[1],
              patient_id: v[2],
              category: v[3],
              content_object: v[12] ?? null,
              content_length: ct?.length ?? null,
              first_chunk: ct ? Buffer.from(ct.subarray(0, values[1] as number)) : null,
              content_iv: v[5],
              content_tag: v[6],
              wrapped_key: v[7],
              key_domain: v[8],
              key_mechanism: v[9],
              size_bytes: v[10],
              correlation_id: v[11],
              created_at: new Date(0),
            },
          ],
        };
      }
      if (text.includes('AS chunk')) {
        const ct = v?.[4] as Buffer;
        const from = (values[1] as number) - 1;
        return { rows: [{ chunk: Buffer.from(ct.subarray(from, from + (values[2] as number))) }] };
      }
      throw new Error(`memoryDb: unexpected query ${text}`);
    },
    release: () => undefined,
  };
  return {
    queries,
    pool: { connect: async () => client } as unknown as pg.Pool,
    withRetry: (_what, fn) => fn(client as unknown as pg.PoolClient),
    close: async () => undefined,
  };
}

const meta = { title: 'Compte rendu de consultation', patientId: 'pat-000042', category: 'compte-rendu' };
const docBody = (content: Buffer | string, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ ...meta, contentBase64: typeof content === 'string' ? content : content.toString('base64'), ...extra }));

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(e)}`);
  return e;
}

describe('parseNewDocument', () => {
  it('validates the payload strictly, with the messages of the contract', async () => {
    const ok = await parseNewDocument(docBody('aGVsbG8='));
    expect(ok).toMatchObject(meta);
    expect(ok.content.toString()).toBe('hello');
    const bad = async (o: Record<string, unknown>) => (await rejection(parseNewDocument(Buffer.from(JSON.stringify(o))))).message;
    expect(await bad({ ...meta, patientId: 'p 1', contentBase64: 'aGVsbG8=' })).toMatch(/patientId/);
    expect(await bad({ ...meta, contentBase64: 'not base64!' })).toMatch(/base64/);
    expect(await bad({ ...meta, contentBase64: '' })).toMatch(/base64/);
    expect(await bad({ ...meta, contentBase64: 'aGVsbG8' })).toMatch(/base64/);
    expect(await bad({ ...meta, contentBase64: 'aG=sbG8=' })).toMatch(/base64/);
    expect(await bad({ ...meta, contentBase64: 'aGVsbG8=', extra: 1 })).toMatch(/unknown field extra/);
    expect(await bad({ ...meta, contentBase64: 'aGVsbG8=', extra: 'x' })).toMatch(/unknown field extra/);
    expect(await bad({ ...meta, title: 1, contentBase64: 'aGVsbG8=' })).toMatch(/title/);
    expect(await bad({ ...meta, title: 'x'.repeat(201), contentBase64: 'aGVsbG8=' })).toMatch(/title/);
    expect(await bad({ ...meta, contentBase64: 42 })).toMatch(/contentBase64/);
    expect(await bad({ title: 't', patientId: 'p', category: 'c' })).toMatch(/contentBase64/);
    expect((await rejection(parseNewDocument(Buffer.from('{')))).message).toMatch(/not valid JSON/);
    expect((await rejection(parseNewDocument(Buffer.from('[1]')))).message).toBe('body must be a JSON object');
    expect((await rejection(parseNewDocument(Buffer.from('{"title":"t",}')))).message).toMatch(/not valid JSON/);
    const dup = Buffer.from(`{"title":"t","patientId":"p","category":"c","contentBase64":"aGVsbG8=","title":"u"}`);
    expect((await rejection(parseNewDocument(dup))).message).toBe('duplicate field title');
  });

  it('accepts what JSON.parse accepts: whitespace, any key order, escapes in every field', async () => {
    const chars = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.constantFrom("l'union ; drop", 'a"b\\c', '\u2028', 'é/è'));
    await fc.assert(
      fc.asyncProperty(
        chars.filter((t) => t.length >= 1 && t.length <= 200),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.constantFrom('', ' ', '\n\t ', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        async (title, bytes, ws, reverse, escapeSlash) => {
          const content = Buffer.from(bytes);
          let b64 = JSON.stringify(content.toString('base64'));
          if (escapeSlash) b64 = b64.replaceAll('/', '\\/');
          const members = [
            [JSON.stringify('title'), JSON.stringify(title)],
            ['"patientId"', '"p-1"'],
            ['"category"', '"cr"'],
            ['"contentBase64"', b64],
          ];
          if (reverse) members.reverse();
          const text = `${ws}{${members.map(([k, v]) => `${ws}${k}${ws}:${ws}${v}${ws}`).join(',')}}${ws}`;
          const doc = await parseNewDocument(Buffer.from(text));
          expect(doc.title).toBe(title);
          expect(doc.content.equals(content)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never fails other than with an HttpError on mangled bodies', async () => {
    const valid = docBody(randomBytes(90)).toString('latin1');
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length - 1), fc.nat(255), fc.boolean(), async (at, byte, cut) => {
        const mangled = Buffer.from(cut ? valid.slice(0, at) : valid.slice(0, at) + String.fromCharCode(byte) + valid.slice(at + 1), 'latin1');
        await parseNewDocument(mangled).catch((e: unknown) => {
          expect(e).toBeInstanceOf(HttpError);
          expect([400, 413]).toContain((e as HttpError).status);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('stores a document of exactly the maximum size; one byte more is 413 with the limits in the error', async () => {
    const content = randomBytes(MAX_DOCUMENT_BYTES);
    const body = docBody(content);
    expect(body.length).toBeLessThanOrEqual(MAX_DOCUMENT_REQUEST_BYTES);
    const t0 = performance.now();
    const doc = await parseNewDocument(body);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(doc.content.length).toBe(MAX_DOCUMENT_BYTES);
    expect(doc.content.equals(content)).toBe(true);

    // MAX+1 bytes have the same base64 length as MAX (27,962,028 characters): refused on the decoded size.
    const over = randomBytes(MAX_DOCUMENT_BYTES + 1);
    expect(base64Length(over.length)).toBe(base64Length(MAX_DOCUMENT_BYTES));
    const e = await rejection(parseNewDocument(docBody(over)));
    expect(e.status).toBe(413);
    expect(e.fields).toEqual({ maxDocumentBytes: MAX_DOCUMENT_BYTES, maxRequestBytes: MAX_DOCUMENT_REQUEST_BYTES });
    expect(e.message).toMatch(/^document too large: the content decodes to 20971521 bytes; documents up to 20971520 bytes \(20 MiB\)/);
  });

  it('refuses malformed base64 of the maximum size quickly, without a stack overflow (the old regex threw RangeError from 4 MiB)', async () => {
    const n = base64Length(MAX_DOCUMENT_BYTES);
    const valid = `${'A'.repeat(n - 1)}=`; // the maximum size, padded: 20 MiB of zeros
    const at = (i: number, s: string) => valid.slice(0, i) + s + valid.slice(i + s.length);
    expect((await parseNewDocument(docBody(valid))).content.length).toBe(MAX_DOCUMENT_BYTES);
    const cases = [
      valid.slice(1), // length not a multiple of 4: refused before reading it
      at(n - 8, '!'), // one bad character near the end
      at(n / 2, 'A=AA'), // padding in the middle
      at(n - 4, 'A==='),
      at(n / 2, ' '), // a space (MIME line breaks are not standard base64)
      at(n / 2, '-'), // base64url is not standard base64
    ];
    for (const c of cases) {
      const t0 = performance.now();
      const e = await rejection(parseNewDocument(docBody(c)));
      expect(e.status).toBe(400);
      expect(e.message).toBe('contentBase64 must be non-empty standard base64');
      expect(performance.now() - t0).toBeLessThan(3000);
    }
  });

  it('base64 checks agree with Node on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(isStandardBase64(b64)).toBe(bytes.length > 0);
      }),
    );
    expect(isStandardBase64('aGVsbG8=')).toBe(true);
    expect(isStandardBase64('aGVsbG9=')).toBe(true); // non-zero trailing bits: accepted, as before
    expect(isStandardBase64('aGVsbG8')).toBe(false);
    expect(isStandardBase64('aGV-bG8=')).toBe(false);
    expect(isStandardBase64('aGVsbG8\u0100')).toBe(false);
  });

  it('decodes in place exactly as Buffer.from(…, "base64")', async () => {
    for (const len of [1, 2, 3, 4, 5, 100, 3 * 1024 * 1024 + 1]) {
      const raw = randomBytes(len);
      const buf = Buffer.from(`xx${raw.toString('base64')}yy`, 'latin1');
      const out = await decodeBase64InPlace(buf, 2, buf.length - 2);
      expect(out?.equals(raw)).toBe(true);
    }
  });
});

describe('the API with large bodies (in-memory database)', () => {
  let server: http.Server;
  let base = '';
  let port = 0;
  const lines: string[] = [];
  const smallLimit = 256 * 1024;
  let smallServer: http.Server;
  let smallPort = 0;

  async function listen(maxBodyBytes?: number): Promise<[http.Server, number]> {
    const s = http.createServer(
      createRefServiceHandler({
        db: memoryDb(),
        hsm: fakeHsm(),
        domain: 'documents',
        keyMechanism: 'test',
        log: createLogger('t', (l) => lines.push(l)),
        ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
      }),
    );
    configureHttpServer(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return [s, (s.address() as AddressInfo).port];
  }

  beforeAll(async () => {
    [server, port] = await listen();
    base = `http://127.0.0.1:${port}`;
    [smallServer, smallPort] = await listen(smallLimit);
  });
  afterAll(async () => {
    for (const s of [server, smallServer]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** One request on `agent` (none: a fresh connection); resolves with status, headers, body and the socket used. */
  function call(
    url: string,
    opts: { method?: string; body?: Buffer; headers?: Record<string, string>; agent?: http.Agent; chunked?: boolean } = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; socket: net.Socket }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: opts.method ?? 'GET',
          agent: opts.agent ?? false,
          headers: {
            ...(opts.body ? (opts.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(opts.body.length) }) : {}),
            ...(opts.body ? { 'content-type': 'application/json' } : {}),
            ...opts.headers,
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), socket: req.socket as net.Socket }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      if (!opts.body) {
        req.end();
        return;
      }
      // One write: node's client stops relaying 'drain' once an early answer has ended.
      if (opts.chunked) {
        req.write(opts.body.subarray(0, 1));
        req.end(opts.body.subarray(1));
      } else req.end(opts.body);
    });
  }

  it('stores and reads back a document of the maximum size byte-exact, streamed out with an exact Content-Length', async () => {
    const content = randomBytes(MAX_DOCUMENT_BYTES);
    const post = await call(`${base}/documents`, { method: 'POST', body: docBody(content) });
    expect(post.status).toBe(201);
    const id = (JSON.parse(post.body.toString()) as { id: string }).id;
    const get = await call(`${base}/documents/${id}`);
    expect(get.status).toBe(200);
    expect(Number(get.headers['content-length'])).toBe(get.body.length);
    const doc = JSON.parse(get.body.toString()) as Record<string, string>;
    expect(doc).toMatchObject({ id, ...meta, createdAt: new Date(0).toISOString() });
    expect(Object.keys(doc)).toEqual(['id', 'title', 'patientId', 'category', 'createdAt', 'contentBase64']);
    expect(Buffer.from(doc.contentBase64 ?? '', 'base64').equals(content)).toBe(true);
  });

  it('a document above the limit: 413 in JSON with the limits, the body drained, the connection still usable', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = docBody(randomBytes(smallLimit)); // base64: 4/3 of the limit
      const url = `http://127.0.0.1:${smallPort}`;
      const r = await call(`${url}/documents`, { method: 'POST', body, agent, headers: { 'X-Correlation-ID': 'unit-413-0001' } });
      expect(r.status).toBe(413);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers.connection).toBe('keep-alive');
      const e = JSON.parse(r.body.toString()) as Record<string, unknown>;
      expect(e).toMatchObject({ maxRequestBytes: smallLimit, correlationId: 'unit-413-0001' });
      expect(e.maxDocumentBytes).toBe(Math.floor((smallLimit - 64 * 1024) / 4) * 3);
      expect(e.error).toMatch(/^document too large: the request body exceeds 262144 bytes/);
      // Chunked (no Content-Length): refused while it is read.
      const c = await call(`${url}/documents`, { method: 'POST', body, agent, chunked: true });
      expect(c.status).toBe(413);
      // The same kept-alive connection serves the next request.
      const h = await call(`${url}/health`, { agent });
      expect(h.status).toBe(200);
      expect(h.socket).toBe(r.socket);
    } finally {
      agent.destroy();
    }
  });

  it('an early refusal (415) drains a large body, so the client finishes sending and reads the answer', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const r = await call(`${base}/documents`, { method: 'POST', body: randomBytes(8 * 1024 * 1024), agent, headers: { 'content-type': 'text/plain' } });
      expect(r.status).toBe(415);
      expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'content-type must be application/json' });
      expect((await call(`${base}/health`, { agent })).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('a body declared larger than anything the service reads: 413 at once, connection: close', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      sock.on('data', (c) => {
        got += c.toString();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.write(`POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_DOCUMENT_REQUEST_BYTES * 2}\r\n\r\n{"title":`);
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(json).toMatchObject({ maxDocumentBytes: MAX_DOCUMENT_BYTES, maxRequestBytes: DEFAULT_LIMITS.maxRequestBytes });
  });

  it('answers an unparsable request in JSON too', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      sock.on('data', (c) => {
        got += c.toString();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.write('GARBAGE\r\n\r\n');
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'malformed HTTP request' });
  });

  it('a client leaving in the middle of an upload is logged, and the service keeps serving', async () => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      `POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Correlation-ID: unit-gone-0001\r\nContent-Length: 1000000\r\n\r\n{"title":"t"`,
    );
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.some((l) => l.includes('"msg":"client went away"') && l.includes('unit-gone-0001'))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"request"') && l.includes('unit-gone-0001') && l.includes('"aborted":true'))).toBe(true);
    expect((await call(`${base}/health`)).status).toBe(200);
  });
});
