/**
 * The reference documents API on node:http (no framework):
 *   GET  /health          -> 200 {status:"ok"} when the database (a trivial query within 2 s, schema
 *                            in place) and the HSM key answer, else 503 {status:"degraded", …}
 *   POST /documents       -> 201 {id}; JSON {title, patientId, category, contentBase64}
 *   GET  /documents/:uuid -> 200 {id, title, patientId, category, createdAt, contentBase64}
 * Every response carries X-Correlation-ID (the incoming one when well formed, else a new UUID),
 * and every request is logged as one JSON line with it (EXG_SEC_6.1). A database that does not
 * answer (after the bounded retries of db.ts) gives 503 {"error":"database unavailable"} with
 * Retry-After: the process stays up and serves again as soon as the database is back.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { DatabaseUnavailableError, type Db, getDocument, insertDocument, ping, type SchemaGate } from './db.ts';
import { type KeyWrapper, open, seal } from './envelope.ts';
import type { Logger } from './log.ts';

export interface RefServiceDeps {
  db: Db;
  /** Schema created on demand before the first database call (app.ts); omitted = assumed present. */
  schema?: SchemaGate;
  hsm: KeyWrapper & { keyInventory?: () => Array<{ label: string }> };
  domain: string;
  keyMechanism: string;
  log: Logger;
  maxBodyBytes?: number;
}

const CORRELATION_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new HttpError(413, 'request body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface NewDocument {
  title: string;
  patientId: string;
  category: string;
  content: Buffer;
}

/** Validates the POST /documents payload. */
export function parseNewDocument(body: Buffer): NewDocument {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
  const o = v as Record<string, unknown>;
  const allowed = new Set(['title', 'patientId', 'category', 'contentBase64']);
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw new HttpError(400, `unknown field ${k}`);
  const { title, patientId, category, contentBase64 } = o;
  if (typeof title !== 'string' || title.length < 1 || title.length > 200) throw new HttpError(400, 'title must be a string of 1..200 characters');
  if (typeof patientId !== 'string' || !CODE_RE.test(patientId)) throw new HttpError(400, 'patientId must match [A-Za-z0-9._-]{1,64}');
  if (typeof category !== 'string' || !CODE_RE.test(category)) throw new HttpError(400, 'category must match [A-Za-z0-9._-]{1,64}');
  if (typeof contentBase64 !== 'string' || contentBase64.length === 0 || !BASE64_RE.test(contentBase64))
    throw new HttpError(400, 'contentBase64 must be non-empty standard base64');
  return { title, patientId, category, content: Buffer.from(contentBase64, 'base64') };
}

/** true when `p` resolves within `ms`, false when it rejects or takes longer (never rejects). */
function withinMs(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createRefServiceHandler(deps: RefServiceDeps): http.RequestListener {
  const limit = deps.maxBodyBytes ?? 8 * 1024 * 1024;

  async function route(req: http.IncomingMessage, res: http.ServerResponse, cid: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/health') {
      if (method !== 'GET') throw new HttpError(405, 'method not allowed');
      let dbUp = await ping(deps.db);
      if (dbUp && deps.schema && !deps.schema.ready()) dbUp = await withinMs(deps.schema.ensure(), 2000);
      let hsmUp = true;
      try {
        if (deps.hsm.keyInventory) hsmUp = deps.hsm.keyInventory().some((k) => k.label === deps.domain);
      } catch {
        hsmUp = false;
      }
      const ok = dbUp && hsmUp;
      send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', database: dbUp ? 'up' : 'down', hsm: hsmUp ? 'up' : 'down' });
      return;
    }

    if (path === '/documents') {
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      const ct = String(req.headers['content-type'] ?? '');
      if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'content-type must be application/json');
      const doc = parseNewDocument(await readBody(req, limit));
      await deps.schema?.ensure();
      const id = randomUUID();
      const sealed = seal(doc.content, id, deps.domain, deps.hsm);
      await insertDocument(deps.db, {
        id,
        title: doc.title,
        patientId: doc.patientId,
        category: doc.category,
        sealed,
        keyDomain: deps.domain,
        keyMechanism: deps.keyMechanism,
        sizeBytes: doc.content.length,
        correlationId: cid,
      });
      send(res, 201, { id });
      return;
    }

    const m = /^\/documents\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'GET') throw new HttpError(405, 'method not allowed');
      const id = (m[1] ?? '').toLowerCase();
      if (!UUID_RE.test(id)) throw new HttpError(400, 'document id must be a UUID');
      await deps.schema?.ensure();
      const row = await getDocument(deps.db, id, cid);
      if (!row) throw new HttpError(404, 'document not found');
      const content = open(row.sealed, row.id, row.keyDomain, deps.hsm);
      send(res, 200, {
        id: row.id,
        title: row.title,
        patientId: row.patientId,
        category: row.category,
        createdAt: row.createdAt?.toISOString(),
        contentBase64: content.toString('base64'),
      });
      return;
    }

    throw new HttpError(404, 'not found');
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-correlation-id'];
    const cid = typeof incoming === 'string' && CORRELATION_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Correlation-ID', cid);
    res.on('finish', () => {
      deps.log.info('request', {
        correlation_id: cid,
        method: req.method,
        path: (req.url ?? '').split('?')[0],
        status: res.statusCode,
        duration_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      });
    });
    route(req, res, cid).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) send(res, err.status, { error: err.message, correlationId: cid });
        else res.destroy();
        return;
      }
      if (err instanceof DatabaseUnavailableError) {
        deps.log.warn('database unavailable', { correlation_id: cid, op: err.op, error: err.message, code: err.code });
        if (!res.headersSent) send(res, 503, { error: 'database unavailable', correlationId: cid }, { 'retry-after': '5' });
        else res.destroy();
        return;
      }
      deps.log.error('request failed', { correlation_id: cid, error: (err as Error).message, code: (err as { code?: string }).code });
      if (!res.headersSent) send(res, 503, { error: 'service unavailable', correlationId: cid });
      else res.destroy();
    });
  };
}
