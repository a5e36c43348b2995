/**
 * The reference documents API on node:http (no framework):
 *   GET  /health          -> 200 {status:"ok"} when the database (a trivial query within 2 s, schema
 *                            in place) and the HSM key answer, else 503 {status:"degraded", …}
 *   POST /documents       -> 201 {id}; JSON {title, patientId, category, contentBase64}; a document
 *                            above the limits (modules/model/documents.ts) -> 413 {error,
 *                            maxDocumentBytes, maxRequestBytes}
 *   GET  /documents/:uuid -> 200 {id, title, patientId, category, createdAt, contentBase64}, streamed
 * Documents of every allowed size (20 MiB of content) are parsed linearly and decoded in place
 * (payload.ts). Every error is answered in JSON; an answer given before the body was read drains
 * the rest (bounded), so a proxy still sending it never meets a closed connection.
 * Every response carries X-Correlation-ID (the incoming one when well formed, else a new UUID),
 * and every request is logged as one JSON line with it (EXG_SEC_6.1). A database that does not
 * answer (after the bounded retries of db.ts) gives 503 {"error":"database unavailable"} with
 * Retry-After: the process stays up and serves again as soon as the database is back.
 *
 * With an object store (issue 13, objectStore.ts) a document's sealed content is an object in the
 * domain's bucket (RGW, SSE-KMS on top of the envelope) and its row keeps the metadata, the
 * envelope and the object's key; a gateway that does not answer (after the bounded retries of
 * objectStore.ts, across the sites' gateways) gives 503 {"error":"object store unavailable"}. Rows
 * written without one (content in the row) are still read from the row. /health then also says
 * `objectStore: up|down` (any gateway serving the bucket; probed within 2 s, reused for 5 s).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import type stream from 'node:stream';
import { MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';
import { DatabaseUnavailableError, type Db, type DocumentRow, getDocument, insertDocument, ping, type SchemaGate } from './db.ts';
import { type KeyWrapper, open, seal } from './envelope.ts';
import type { Logger } from './log.ts';
import { documentObjectKey, type ObjectStore, ObjectStoreUnavailableError } from './objectStore.ts';
import {
  ClientGoneError,
  DEFAULT_LIMITS,
  type DocumentLimits,
  declaredLength,
  documentTooLarge,
  drainRequest,
  HttpError,
  parseNewDocument,
  readBody,
  sendDocumentJson,
} from './payload.ts';

export { HttpError, type NewDocument, parseNewDocument } from './payload.ts';

export interface RefServiceDeps {
  db: Db;
  /** Schema created on demand before the first database call (app.ts); omitted = assumed present. */
  schema?: SchemaGate;
  hsm: KeyWrapper & { keyInventory?: () => Array<{ label: string }> };
  domain: string;
  keyMechanism: string;
  log: Logger;
  /** Largest request body, default MAX_DOCUMENT_REQUEST_BYTES (the configuration may only lower it). */
  maxBodyBytes?: number;
  /** Where new documents' contents go; omitted = in their rows (PostgreSQL). */
  objectStore?: ObjectStore;
  /** The documents' rows, default db.ts's queries over `db` (unit tests pass an in-memory one). */
  table?: DocumentTable;
}

/** Reads and writes of the documents' rows. */
export interface DocumentTable {
  insert(row: DocumentRow): Promise<void>;
  get(id: string, correlationId: string): Promise<DocumentRow | undefined>;
}

/** A row names an object that is not in the bucket (or no object store is configured to read it): 500, never 404. */
export class DocumentContentMissingError extends Error {
  override name = 'DocumentContentMissingError';
  constructor(
    readonly documentId: string,
    readonly reason: string,
  ) {
    super(`document ${documentId}: ${reason}`);
  }
}

const CORRELATION_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How long an early answer (413, 415, …) keeps reading the rest of the request before closing. */
const DRAIN_MS = 60_000;

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
  const limits: DocumentLimits = { ...DEFAULT_LIMITS, maxRequestBytes: deps.maxBodyBytes ?? MAX_DOCUMENT_REQUEST_BYTES };
  // After an early answer, the rest of a body is still read up to what the WAF in front may let through.
  const drainBytes = Math.max(limits.maxRequestBytes, MAX_DOCUMENT_REQUEST_BYTES);
  const bodyTooLarge = () => documentTooLarge(limits, `the request body exceeds ${limits.maxRequestBytes} bytes`);

  const table: DocumentTable = deps.table ?? {
    insert: (row) => insertDocument(deps.db, row),
    get: (id, cid) => getDocument(deps.db, id, cid),
  };

  /** Reads, validates and seals a new document: the body and the plaintext are not kept beyond this call. */
  async function sealNewDocument(req: http.IncomingMessage, cid: string): Promise<DocumentRow> {
    const declared = declaredLength(req);
    // Larger than anything we would read: answered at once, connection closed (the rest is not read).
    if (declared !== undefined && declared > drainBytes) throw documentTooLarge(limits, `the request body declares ${declared} bytes`, true);
    const doc = await parseNewDocument(await readBody(req, limits.maxRequestBytes, bodyTooLarge), limits);
    const id = randomUUID();
    const { ciphertext, ...envelope } = seal(doc.content, id, deps.domain, deps.hsm);
    return {
      id,
      title: doc.title,
      patientId: doc.patientId,
      category: doc.category,
      envelope,
      content: { ciphertext },
      keyDomain: deps.domain,
      keyMechanism: deps.keyMechanism,
      sizeBytes: doc.content.length,
      correlationId: cid,
    };
  }

  /**
   * Stores a sealed document. With an object store, the ORDER is the guarantee: the ciphertext is
   * PUT as the object `documents/<id>` BEFORE the row is inserted, so a row always has its object.
   * A crash (or a database that does not answer) between the two leaves an object without a row:
   * harmless (it is ciphertext under a wrapped key no row holds, nothing lists it) and idempotent
   * to rewrite (same id, same key). It is not deleted when the INSERT fails: the INSERT may have
   * committed with its answer lost, and deleting then would leave a row without its object.
   */
  async function storeDocument(row: DocumentRow, cid: string): Promise<void> {
    if (deps.objectStore && row.content.ciphertext) {
      const key = documentObjectKey(row.id);
      await deps.objectStore.put(key, row.content.ciphertext, cid);
      row.content = { object: key };
    }
    await table.insert(row);
  }

  /** Reads and opens a document (AES-GCM tag checked before anything is sent: it covers the object's bytes too). */
  async function loadDocument(id: string, cid: string): Promise<{ fields: Record<string, unknown>; content: Buffer } | undefined> {
    const row = await table.get(id, cid);
    if (!row) return undefined;
    let ciphertext = row.content.ciphertext;
    if (row.content.object !== undefined) {
      if (!deps.objectStore) throw new DocumentContentMissingError(row.id, 'its content is in the object store and this instance has none configured');
      // GCM adds no bytes: the object is exactly as long as the document; anything larger is refused unread.
      ciphertext = await deps.objectStore.get(row.content.object, { correlationId: cid, maxBytes: row.sizeBytes });
      if (ciphertext === undefined) throw new DocumentContentMissingError(row.id, `its object is missing from bucket ${deps.objectStore.bucket}`);
    }
    return {
      fields: { id: row.id, title: row.title, patientId: row.patientId, category: row.category, createdAt: row.createdAt?.toISOString() },
      content: open({ ...row.envelope, ciphertext: ciphertext ?? Buffer.alloc(0) }, row.id, row.keyDomain, deps.hsm),
    };
  }

  /** The object store's state for /health: bounded (its probe answers within 2 s and is reused for 5 s). */
  async function objectStoreUp(): Promise<boolean | undefined> {
    if (!deps.objectStore) return undefined;
    let up = false;
    const answered = await withinMs(
      deps.objectStore.healthy().then((u) => {
        up = u;
      }),
      3000,
    );
    return answered && up;
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, cid: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/health') {
      if (method !== 'GET') throw new HttpError(405, 'method not allowed');
      const storeUp = objectStoreUp();
      let dbUp = await ping(deps.db);
      if (dbUp && deps.schema && !deps.schema.ready()) dbUp = await withinMs(deps.schema.ensure(), 2000);
      let hsmUp = true;
      try {
        if (deps.hsm.keyInventory) hsmUp = deps.hsm.keyInventory().some((k) => k.label === deps.domain);
      } catch {
        hsmUp = false;
      }
      const objectStore = await storeUp;
      const ok = dbUp && hsmUp && objectStore !== false;
      send(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'degraded',
        database: dbUp ? 'up' : 'down',
        hsm: hsmUp ? 'up' : 'down',
        ...(objectStore === undefined ? {} : { objectStore: objectStore ? 'up' : 'down' }),
      });
      return;
    }

    if (path === '/documents') {
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      const ct = String(req.headers['content-type'] ?? '');
      if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'content-type must be application/json');
      const row = await sealNewDocument(req, cid);
      // The schema first: while the database does not answer, no object is written for nothing.
      await deps.schema?.ensure();
      await storeDocument(row, cid);
      send(res, 201, { id: row.id });
      return;
    }

    const m = /^\/documents\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'GET') throw new HttpError(405, 'method not allowed');
      const id = (m[1] ?? '').toLowerCase();
      if (!UUID_RE.test(id)) throw new HttpError(400, 'document id must be a UUID');
      await deps.schema?.ensure();
      const doc = await loadDocument(id, cid);
      if (!doc) throw new HttpError(404, 'document not found');
      await sendDocumentJson(res, doc.fields, doc.content).catch((err: unknown) => {
        throw new ClientGoneError(`response: ${(err as Error).message}`);
      });
      return;
    }

    throw new HttpError(404, 'not found');
  }

  /**
   * Answers with a JSON error. Before the request body was read to its end, the rest is drained
   * (bounded) so that a proxy still sending it is not cut off; `close` errors close instead.
   */
  function answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    close = false,
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (req.socket.destroyed) return;
    if (!req.complete) {
      if (close) headers = { ...headers, connection: 'close' };
      else drainRequest(req, drainBytes, DRAIN_MS);
    }
    send(res, status, body, headers);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-correlation-id'];
    const cid = typeof incoming === 'string' && CORRELATION_RE.test(incoming) ? incoming : randomUUID();
    // A client that goes away must never become an unhandled 'error' event.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    res.setHeader('X-Correlation-ID', cid);
    let logged = false;
    const logRequest = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      deps.log.info('request', {
        correlation_id: cid,
        method: req.method,
        path: (req.url ?? '').split('?')[0],
        status: aborted ? 0 : res.statusCode,
        ...(aborted ? { aborted: true } : {}),
        duration_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      });
    };
    res.once('finish', () => logRequest(false));
    res.once('close', () => logRequest(!res.writableFinished));
    route(req, res, cid).catch((err: unknown) => {
      if (err instanceof HttpError) {
        answer(req, res, err.status, { error: err.message, ...err.fields, correlationId: cid }, {}, err.close);
        return;
      }
      if (err instanceof ClientGoneError) {
        deps.log.info('client went away', { correlation_id: cid, error: err.message });
        res.destroy();
        return;
      }
      if (err instanceof DatabaseUnavailableError) {
        deps.log.warn('database unavailable', { correlation_id: cid, op: err.op, error: err.message, code: err.code });
        answer(req, res, 503, { error: 'database unavailable', correlationId: cid }, { 'retry-after': '5' });
        return;
      }
      if (err instanceof ObjectStoreUnavailableError) {
        deps.log.warn('object store unavailable', { correlation_id: cid, op: err.op, attempts: err.attempts, error: err.message });
        answer(req, res, 503, { error: 'object store unavailable', correlationId: cid }, { 'retry-after': '5' });
        return;
      }
      if (err instanceof DocumentContentMissingError) {
        deps.log.error('document content missing', { correlation_id: cid, document_id: err.documentId, error: err.message });
        answer(req, res, 500, { error: 'document content missing', correlationId: cid });
        return;
      }
      deps.log.error('request failed', { correlation_id: cid, error: (err as Error).message, code: (err as { code?: string }).code });
      answer(req, res, 503, { error: 'service unavailable', correlationId: cid });
    });
  };
}

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'request timeout'],
};

/**
 * The http server's 'clientError' handler: a request node could not parse (or that timed out)
 * gets a JSON answer too, then the connection is closed.
 */
export function handleClientError(err: Error & { code?: string }, socket: stream.Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
  );
}
