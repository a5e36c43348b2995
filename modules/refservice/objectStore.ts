/**
 * The documents' object store (issue 13, EXG_SEC_4.3): a small S3 client over the Ceph object
 * gateways (RGW) of every site, through modules/runtime/ceph/s3.ts (HTTPS with the platform CA,
 * path-style addressing: no DNS in the lab).
 *
 * - Every PUT asks for server-side encryption with the domain's KMS key (`aws:kms` +
 *   SSEKMSKeyId): the bucket's policy refuses a PUT without it, and the gateway must confirm it.
 * - Bounded: each attempt has `requestTimeoutMs` (an abort signal covering the connection, the
 *   request and the body) plus the time to move its body at `minTransferBytesPerSecond` (a 20 MiB
 *   document: 5 s more, so a large document on a busy gateway is not cut off and retried in a
 *   loop, while a silent gateway still costs a small document requestTimeoutMs); connection-class errors, timeouts and 5xx are retried on the next
 *   gateway at once (the own site's first, then the others, in the configured order), and after
 *   a round where every gateway failed, after a capped back-off; all within `retryBudgetMs`, then
 *   an ObjectStoreUnavailableError (the API answers 503 "object store unavailable"). Any other 4xx
 *   (access denied, no such bucket) and TLS failures (a wrong CA, a certificate for another name)
 *   are configuration errors: not retried, an ObjectStoreError at once.
 * - A gateway that just failed is tried after the others for `endpointCooldownMs`, so a site that
 *   is cut off (no RST: every attempt would wait its full timeout) costs one timeout, not one per call.
 * - Every operation is idempotent (a document's object key is derived from its id and never
 *   rewritten with other bytes), so a retried PUT whose first attempt's outcome is unknown is safe.
 * - Logs name the operation, the gateway, the attempt and the error, never an object key, an
 *   access key or a secret.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { s3ClientFor } from '../runtime/ceph/s3.ts';
import type { LogFields, Logger } from './log.ts';

/** Defaults of the optional settings (the configuration's `objectStore`, config.ts). */
export const OBJECT_STORE_DEFAULTS = {
  /** RGW checks a SigV4 signature with the request's own credential scope: any region signs correctly. */
  region: 'default',
  requestTimeoutMs: 5000,
  /**
   * Bound of connecting to a gateway (TCP + TLS; the lab and the inter-DC links answer in ms):
   * a site cut off drops SYNs, so without it a call would wait the whole attempt on it.
   */
  connectTimeoutMs: 1000,
  /** With the database's 15 s (db.ts), a request stays within the WAF's 30 s read timeout. */
  retryBudgetMs: 12_000,
  /** The slowest transfer an attempt is allowed: it gets requestTimeoutMs plus its body's bytes at this rate (4 MiB/s). */
  minTransferBytesPerSecond: 4 * 1024 * 1024,
  /** Cap of the back-off between rounds. */
  retryMaxDelayMs: 2000,
  /** How long a gateway that failed is tried after the others. */
  endpointCooldownMs: 10_000,
  /** Bound of the /health probe (all gateways at once) and how long its answer is reused. */
  healthTimeoutMs: 2000,
  healthCacheMs: 5000,
} as const;

export interface ObjectStoreOptions {
  /** Gateways' `https://<address>:<port>`, the own site's first. */
  endpoints: readonly string[];
  bucket: string;
  /** PEM of the CA of the gateways' certificates. */
  ca: string | Buffer;
  accessKeyId: string;
  secretAccessKey: string;
  kmsKeyId: string;
  /** @default OBJECT_STORE_DEFAULTS.region */
  region?: string;
  /** @default OBJECT_STORE_DEFAULTS.requestTimeoutMs */
  requestTimeoutMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.connectTimeoutMs */
  connectTimeoutMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.retryBudgetMs */
  retryBudgetMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.minTransferBytesPerSecond */
  minTransferBytesPerSecond?: number;
  /** @default OBJECT_STORE_DEFAULTS.retryMaxDelayMs */
  retryMaxDelayMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.endpointCooldownMs */
  endpointCooldownMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.healthTimeoutMs */
  healthTimeoutMs?: number;
  /** @default OBJECT_STORE_DEFAULTS.healthCacheMs */
  healthCacheMs?: number;
}

export type ObjectStoreOp = 'put' | 'get' | 'delete';

/** The object store did not answer in time on any gateway (after the retries): 503 "object store unavailable". */
export class ObjectStoreUnavailableError extends Error {
  override name = 'ObjectStoreUnavailableError';
  constructor(
    readonly op: ObjectStoreOp,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`object store unavailable (${op}, ${attempts} attempt${attempts === 1 ? '' : 's'}): ${describeError(cause)}`, { cause });
  }
}

/** The object store refused a call for a reason a retry does not change (access, bucket, TLS, no SSE confirmation). */
export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';
  constructor(
    readonly op: ObjectStoreOp,
    readonly endpoint: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`object store ${op} at ${endpoint}: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

export interface ObjectStore {
  readonly bucket: string;
  /** Stores `body` at `key` with SSE-KMS (idempotent: the same key is always written with the same bytes). */
  put(key: string, body: Buffer, correlationId?: string): Promise<void>;
  /**
   * The object's bytes, read into one buffer of its announced length; undefined when there is no
   * such object. `maxBytes` refuses a larger object before reading it.
   */
  get(key: string, opts?: { correlationId?: string; maxBytes?: number }): Promise<Buffer | undefined>;
  /** Removes the object (no error when absent). */
  delete(key: string, correlationId?: string): Promise<void>;
  /**
   * Whether any gateway serves the bucket (HEAD bucket on all at once, within healthTimeoutMs);
   * the last answer is returned at once while a probe older than healthCacheMs is refreshed
   * behind it (only the first call waits); never rejects.
   */
  healthy(): Promise<boolean>;
  close(): void;
}

/** A call that went over its own attempt's time: retried (its outcome is unknown, the operations are idempotent). */
class AttemptTimeout extends Error {
  override name = 'AttemptTimeout';
}

const RETRYABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return undefined;
}

/** HTTP status of an S3 answer, undefined when none came (network error, timeout). */
function httpStatus(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

/**
 * Whether another attempt may succeed: no answer (connection refused or reset, unreachable,
 * timeout), a 5xx, a 408/429 or S3's `RequestTimeout` (400). Other 4xx and TLS errors are not.
 */
export function isRetryableS3Error(err: unknown): boolean {
  if (err instanceof AttemptTimeout) return true;
  const status = httpStatus(err);
  if (status !== undefined) return status >= 500 || status === 408 || status === 429 || (err as S3ServiceException).name === 'RequestTimeout';
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  const code = errCode(err);
  if (code !== undefined && RETRYABLE_ERRNO.has(code)) return true;
  const msg = err instanceof Error ? err.message : '';
  return /socket hang up|other side closed|Client network socket disconnected/i.test(msg);
}

/** One line about an error: S3's error name and status, or the system error (never a key or a body). */
export function describeError(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`;
  if (err instanceof Error) {
    const code = errCode(err);
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Runs `fn` with an abort signal fired after `ms`; a late call rejects with AttemptTimeout. */
async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new AttemptTimeout(`no answer within ${ms} ms`)), ms);
  try {
    return await fn(ctl.signal);
  } catch (err) {
    if (ctl.signal.aborted) throw ctl.signal.reason as Error;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a response body of `length` bytes into one preallocated buffer (no chunk list and no
 * concatenated copy: a 20 MiB document is held once), destroyed when `signal` fires.
 */
async function readExactly(body: Readable, length: number, signal: AbortSignal): Promise<Buffer> {
  const onAbort = () => body.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const out = Buffer.allocUnsafe(length);
    let off = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (off + chunk.length > length) throw new Error(`the gateway sent more than the ${length} bytes it announced`);
      out.set(chunk, off);
      off += chunk.length;
    }
    if (off !== length) throw Object.assign(new Error(`the object's body ended after ${off} of ${length} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    return out;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

interface Gateway {
  url: string;
  client: S3Client;
  /** Until then (ms since epoch), tried after the gateways that did not fail. */
  coolUntil: number;
}

export interface ObjectStoreDeps {
  /** Builds the S3 client of one gateway. @default s3ClientFor (HTTPS only, modules/runtime/ceph/s3.ts) */
  clientFor?: typeof s3ClientFor;
}

export function createObjectStore(opts: ObjectStoreOptions, log: Logger, deps: ObjectStoreDeps = {}): ObjectStore {
  if (opts.endpoints.length === 0) throw new Error('object store: no endpoint');
  const D = OBJECT_STORE_DEFAULTS;
  const d = {
    region: opts.region ?? D.region,
    requestTimeoutMs: opts.requestTimeoutMs ?? D.requestTimeoutMs,
    connectTimeoutMs: opts.connectTimeoutMs ?? D.connectTimeoutMs,
    retryBudgetMs: opts.retryBudgetMs ?? D.retryBudgetMs,
    minTransferBytesPerSecond: opts.minTransferBytesPerSecond ?? D.minTransferBytesPerSecond,
    retryMaxDelayMs: opts.retryMaxDelayMs ?? D.retryMaxDelayMs,
    endpointCooldownMs: opts.endpointCooldownMs ?? D.endpointCooldownMs,
    healthTimeoutMs: opts.healthTimeoutMs ?? D.healthTimeoutMs,
    healthCacheMs: opts.healthCacheMs ?? D.healthCacheMs,
  };
  const clientFor = deps.clientFor ?? s3ClientFor;
  const gateways: Gateway[] = opts.endpoints.map((url) => ({
    url,
    coolUntil: 0,
    client: clientFor({
      url,
      ca: opts.ca,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      region: d.region,
      // The SDK's own connection and request timers stay above every attempt's bound (the abort
      // signal below, which also covers reading a body): they would cut a large body's transfer.
      timeoutMs: d.retryBudgetMs + d.requestTimeoutMs,
      connectTimeoutMs: Math.min(d.connectTimeoutMs, d.requestTimeoutMs),
    }),
  }));

  /** The gateways in the configured order, those that failed recently last. */
  function order(): Gateway[] {
    const now = Date.now();
    return [...gateways.filter((g) => g.coolUntil <= now), ...gateways.filter((g) => g.coolUntil > now)];
  }

  /** One attempt's bound for a body of `bytes`. */
  const attemptMs = (bytes: number) => d.requestTimeoutMs + Math.ceil((bytes * 1000) / d.minTransferBytesPerSecond);

  async function call<T>(
    op: ObjectStoreOp,
    bytes: number,
    fn: (client: S3Client, signal: AbortSignal, url: string) => Promise<T>,
    correlationId?: string,
  ): Promise<T> {
    const t0 = Date.now();
    let attempts = 0;
    let last: unknown;
    const fields = (g: Gateway, err: unknown): LogFields => ({
      ...(correlationId !== undefined ? { correlation_id: correlationId } : {}),
      op,
      endpoint: g.url,
      attempt: attempts,
      error: describeError(err),
    });
    for (let round = 1; ; round++) {
      for (const g of order()) {
        const left = d.retryBudgetMs - (Date.now() - t0);
        if (left <= 0) throw new ObjectStoreUnavailableError(op, attempts, last);
        attempts++;
        try {
          const r = await withDeadline(Math.min(attemptMs(bytes), left), (signal) => fn(g.client, signal, g.url));
          g.coolUntil = 0;
          return r;
        } catch (err) {
          if (err instanceof ObjectStoreError) throw err;
          if (!isRetryableS3Error(err)) throw new ObjectStoreError(op, g.url, describeError(err), err);
          last = err;
          g.coolUntil = Date.now() + d.endpointCooldownMs;
          log.warn('object store call failed, trying the next gateway', fields(g, err));
        }
      }
      // Every gateway failed in this round: back off (capped), within the budget.
      const delay = Math.min(d.retryMaxDelayMs, 100 * 2 ** (round - 1));
      if (Date.now() - t0 + delay >= d.retryBudgetMs) throw new ObjectStoreUnavailableError(op, attempts, last);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  const isNotFound = (err: unknown) => err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey');

  let health: { at: number; up: boolean } | undefined;
  let probing: Promise<boolean> | undefined;

  /** HEAD bucket on every gateway at once; up as soon as one answers 200, down when none does in time. */
  function probe(): Promise<boolean> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new AttemptTimeout('health probe')), Math.min(d.healthTimeoutMs, d.requestTimeoutMs));
    const heads = gateways.map((g) => g.client.send(new HeadBucketCommand({ Bucket: opts.bucket }), { abortSignal: ctl.signal }).then(() => true));
    return Promise.any(heads)
      .catch(() => false)
      .finally(() => {
        clearTimeout(timer);
        ctl.abort(new AttemptTimeout('health probe done'));
      });
  }

  return {
    bucket: opts.bucket,
    async put(key, body, correlationId) {
      await call(
        'put',
        body.byteLength,
        async (client, abortSignal, url) => {
          const r = await client.send(
            new PutObjectCommand({
              Bucket: opts.bucket,
              Key: key,
              Body: body,
              ContentLength: body.byteLength,
              ContentType: 'application/octet-stream',
              ServerSideEncryption: 'aws:kms',
              SSEKMSKeyId: opts.kmsKeyId,
            }),
            { abortSignal },
          );
          if (r.ServerSideEncryption !== 'aws:kms')
            throw new ObjectStoreError('put', url, `the gateway did not confirm SSE-KMS (got ${r.ServerSideEncryption ?? 'none'})`);
        },
        correlationId,
      );
    },
    async get(key, o = {}) {
      return call(
        'get',
        o.maxBytes ?? 0,
        async (client, abortSignal, url) => {
          let r: GetObjectCommandOutput;
          try {
            r = await client.send(new GetObjectCommand({ Bucket: opts.bucket, Key: key }), { abortSignal });
          } catch (err) {
            if (isNotFound(err)) return undefined;
            throw err;
          }
          const body = r.Body as Readable | undefined;
          const length = r.ContentLength;
          if (!body || length === undefined) {
            body?.destroy();
            throw new ObjectStoreError('get', url, 'the gateway announced no content length');
          }
          if (o.maxBytes !== undefined && length > o.maxBytes) {
            body.destroy();
            throw new ObjectStoreError('get', url, `the object has ${length} bytes, more than the ${o.maxBytes} expected`);
          }
          return readExactly(body, length, abortSignal);
        },
        o.correlationId,
      );
    },
    async delete(key, correlationId) {
      await call('delete', 0, (client, abortSignal) => client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: key }), { abortSignal }), correlationId);
    },
    healthy() {
      if (!health || Date.now() - health.at >= d.healthCacheMs)
        probing ??= probe()
          .then((up) => {
            health = { at: Date.now(), up };
            return up;
          })
          .finally(() => {
            probing = undefined;
          });
      // A known answer is given at once while the probe refreshes it behind (stale by at most
      // healthCacheMs + healthTimeoutMs): /health never waits on a gateway busy with a large body
      // (a 2 s wait was measured during a 20 MiB upload). Only the very first call waits (bounded).
      return health ? Promise.resolve(health.up) : probing!;
    },
    close() {
      for (const g of gateways) g.client.destroy();
    },
  };
}

/**
 * The object key of a document's content: `documents/<id>`. Derived from the id alone, so a
 * write retried after a crash rewrites the same object; the prefix names what the object is in
 * RADOS listings and leaves room for other kinds of objects in the domain's bucket. The row keeps
 * the key (`content_object`), so a later layout can live next to this one.
 */
export function documentObjectKey(id: string): string {
  return `documents/${id}`;
}
