/**
 * Bodies of the documents API for documents of every allowed size (issue 11): up to
 * MAX_DOCUMENT_BYTES of content, i.e. about 27 MB of base64 inside a JSON request.
 *
 * - The request body is read into one buffer sized from Content-Length (no chunk list plus a
 *   concatenated copy), refused with 413 once it passes the limit.
 * - `POST /documents` is parsed by a linear scanner of the flat JSON object the contract allows
 *   (string fields only): the base64 content is validated and decoded in place, inside the body
 *   buffer, by a table-driven loop. No regular expression ever runs on the content (a
 *   backtracking regex on a 5 MB string overflows V8's regex stack: "Maximum call stack size
 *   exceeded"), no `String.fromCharCode(...bytes)`-style spread, no extra string or buffer copy
 *   of the content. Any other shape goes to `JSON.parse` only to explain the 400.
 * - `GET /documents/:id` streams its JSON out: the base64 content is encoded slice by slice with
 *   back-pressure, never as one 27 MB string.
 */
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { base64Length, DOCUMENT_METADATA_BYTES, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';

/** An answer to the client: status, message and extra JSON fields. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, unknown> = {},
    /** Close the connection after the answer (the rest of the request is not read). */
    readonly close = false,
  ) {
    super(message);
  }
}

/** The client went away before its request was complete: there is no one to answer. */
export class ClientGoneError extends Error {}

/** Size limits applied by the service (defaults: the model's, modules/model/documents.ts). */
export interface DocumentLimits {
  /** Largest request body, default MAX_DOCUMENT_REQUEST_BYTES. */
  maxRequestBytes: number;
  /** Largest decoded document, default MAX_DOCUMENT_BYTES. */
  maxDocumentBytes: number;
}

export const DEFAULT_LIMITS: DocumentLimits = { maxRequestBytes: MAX_DOCUMENT_REQUEST_BYTES, maxDocumentBytes: MAX_DOCUMENT_BYTES };

/** The largest document always accepted under `limits` (the body limit may be lowered by configuration). */
export function guaranteedDocumentBytes(limits: DocumentLimits): number {
  const fits = Math.floor(Math.max(0, limits.maxRequestBytes - DOCUMENT_METADATA_BYTES) / 4) * 3;
  return Math.min(limits.maxDocumentBytes, fits);
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

/** 413 with the limits in the JSON body, so that a client can tell what it may send. */
export function documentTooLarge(limits: DocumentLimits, detail: string, close = false): HttpError {
  const max = guaranteedDocumentBytes(limits);
  return new HttpError(
    413,
    `document too large: ${detail}; documents up to ${max} bytes (${mib(max)}) are accepted, sent as base64 in a JSON body of at most ${limits.maxRequestBytes} bytes`,
    { maxDocumentBytes: max, maxRequestBytes: limits.maxRequestBytes },
    close,
  );
}

/** The declared Content-Length, undefined when absent (chunked). */
export function declaredLength(req: http.IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads the whole request body, at most `limit` bytes: one buffer allocated from Content-Length
 * (chunks copied in as they arrive), or chunks concatenated once for a chunked body. Rejects
 * with `tooLarge()` as soon as the body passes the limit (then stops keeping what arrives; the
 * caller answers and drains, see drainRequest) and with ClientGoneError if the client leaves.
 */
export function readBody(req: http.IncomingMessage, limit: number, tooLarge: () => HttpError): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge());
  if (req.complete && declared === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const buf = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
    };
    const onData = (c: Buffer) => {
      if (size + c.length > limit || (buf !== undefined && size + c.length > buf.length)) {
        cleanup();
        reject(tooLarge());
        return;
      }
      if (buf !== undefined) c.copy(buf, size);
      else chunks.push(c);
      size += c.length;
    };
    const onEnd = () => {
      cleanup();
      resolve(buf !== undefined ? buf.subarray(0, size) : Buffer.concat(chunks, size));
    };
    const onClose = () => {
      cleanup();
      reject(new ClientGoneError('the client closed the connection before the end of its request body'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ClientGoneError(`request body: ${err.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
}

/**
 * After an early answer (413, 415, … before the body was read): reads and discards the rest of
 * the request, so that a proxy sending the whole body before it reads the answer (nginx with a
 * spooled body, sendfile) is never cut off with a broken pipe, and the connection stays usable.
 * Bounded: past `maxBytes` or `maxMs` the connection is closed.
 */
export function drainRequest(req: http.IncomingMessage, maxBytes: number, maxMs: number): void {
  if (req.complete || req.destroyed) return;
  let seen = 0;
  const stop = () => {
    clearTimeout(timer);
    req.off('data', onData);
  };
  const timer = setTimeout(() => {
    stop();
    req.socket.destroy();
  }, maxMs);
  timer.unref();
  const onData = (c: Buffer) => {
    seen += c.length;
    if (seen > maxBytes) {
      stop();
      req.socket.destroy();
    }
  };
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}

// ---------------------------------------------------------------------------------------------
// POST /documents

export interface NewDocument {
  title: string;
  patientId: string;
  category: string;
  /** Decoded content; may be a view into the request body buffer (decoded in place). */
  content: Buffer;
}

const FIELDS = ['title', 'patientId', 'category', 'contentBase64'] as const;
type Field = (typeof FIELDS)[number];
const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MSG = {
  title: 'title must be a string of 1..200 characters',
  patientId: 'patientId must match [A-Za-z0-9._-]{1,64}',
  category: 'category must match [A-Za-z0-9._-]{1,64}',
  contentBase64: 'contentBase64 must be non-empty standard base64',
} as const;
/** 200 UTF-16 units take at most 6 bytes each in JSON (`\uXXXX`): a longer raw title is refused unread. */
const MAX_RAW_TITLE = 200 * 6;
const MAX_RAW_CODE = 64 * 6;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipWs(buf: Buffer, i: number): number {
  while (i < buf.length && isWs(buf[i])) i++;
  return i;
}

/** Index of the quote closing the JSON string that opens at `open`, -1 if none. Linear overall. */
function stringEnd(buf: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let k = q - 1;
    while (k > open && buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}

/** A string member of the body: value bytes [start, end) between the quotes. */
interface RawMember {
  start: number;
  end: number;
}

/**
 * Scans a flat JSON object whose values are all strings (the only shape the contract allows).
 * Returns its members, or undefined for anything else (JSON.parse then explains the 400).
 * Keys are decoded with JSON.parse (they are short); values are left as byte ranges.
 */
function scanFlatObject(buf: Buffer): { members: Map<string, RawMember>; duplicate?: string } | undefined {
  const members = new Map<string, RawMember>();
  let duplicate: string | undefined;
  let i = skipWs(buf, 0);
  if (buf[i] !== 0x7b) return undefined; // {
  i = skipWs(buf, i + 1);
  if (buf[i] === 0x7d) return skipWs(buf, i + 1) === buf.length ? { members } : undefined; // {}
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(buf, i);
    if (keyEnd < 0 || keyEnd - i > 1024) return undefined;
    let key: unknown;
    try {
      key = JSON.parse(buf.toString('utf8', i, keyEnd + 1));
    } catch {
      return undefined;
    }
    i = skipWs(buf, keyEnd + 1);
    if (buf[i] !== 0x3a) return undefined; // :
    i = skipWs(buf, i + 1);
    if (buf[i] !== QUOTE) return undefined;
    const end = stringEnd(buf, i);
    if (end < 0) return undefined;
    if (members.has(key as string)) duplicate ??= key as string;
    members.set(key as string, { start: i + 1, end });
    i = skipWs(buf, end + 1);
    if (buf[i] === 0x2c) {
      i = skipWs(buf, i + 1);
      continue;
    }
    if (buf[i] === 0x7d) break;
    return undefined;
  }
  if (skipWs(buf, i + 1) !== buf.length) return undefined;
  return duplicate === undefined ? { members } : { members, duplicate };
}

/** A short JSON string value, decoded (JSON.parse validates escapes and control characters). */
function jsonString(buf: Buffer, m: RawMember): string | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8', m.start - 1, m.end + 1));
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Standard base64 alphabet: value of each byte, -1 outside it. */
const B64 = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) B64[c.charCodeAt(0)] = i;
const PAD = 0x3d; // =

/**
 * Decoded size of standard padded base64 of `n` characters whose last two are `c2`, `c1`
 * (char codes), or -1 when the length or the padding is wrong. The alphabet is checked while decoding.
 */
export function base64DecodedLength(n: number, c2: number, c1: number): number {
  if (n === 0 || n % 4 !== 0) return -1;
  const pad = c1 === PAD ? (c2 === PAD ? 2 : 1) : 0;
  return (n / 4) * 3 - pad;
}

/** Input bytes decoded between two yields to the event loop (a few ms each: /health stays responsive). */
const DECODE_SLICE = 4 * 1024 * 1024;

/**
 * Validates and decodes standard padded base64 held in `buf[start, end)` into the same buffer,
 * from `start` (the output is shorter than the input, so it never overtakes the read position).
 * Returns the decoded view, or undefined when a character is outside the alphabet or misplaced.
 * Linear, no recursion, no regex; yields to the event loop between slices.
 */
export async function decodeBase64InPlace(buf: Buffer, start: number, end: number): Promise<Buffer | undefined> {
  const decoded = base64DecodedLength(end - start, buf[end - 2] ?? 0, buf[end - 1] ?? 0);
  if (decoded < 0) return undefined;
  const pad = ((end - start) / 4) * 3 - decoded;
  const fullEnd = pad > 0 ? end - 4 : end;
  let w = start;
  for (let sliceStart = start; sliceStart < fullEnd; sliceStart += DECODE_SLICE) {
    if (sliceStart > start) await yieldToEventLoop();
    const sliceEnd = Math.min(fullEnd, sliceStart + DECODE_SLICE);
    for (let r = sliceStart; r < sliceEnd; r += 4) {
      const a = B64[buf[r]!]!;
      const b = B64[buf[r + 1]!]!;
      const c = B64[buf[r + 2]!]!;
      const d = B64[buf[r + 3]!]!;
      if ((a | b | c | d) < 0) return undefined;
      const v = (a << 18) | (b << 12) | (c << 6) | d;
      buf[w++] = v >>> 16;
      buf[w++] = (v >>> 8) & 0xff;
      buf[w++] = v & 0xff;
    }
  }
  if (pad > 0) {
    const a = B64[buf[fullEnd]!]!;
    const b = B64[buf[fullEnd + 1]!]!;
    const c = pad === 1 ? B64[buf[fullEnd + 2]!]! : 0;
    if ((a | b | c) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6);
    buf[w++] = v >>> 16;
    if (pad === 1) buf[w++] = (v >>> 8) & 0xff;
  }
  return buf.subarray(start, w);
}

/** Same check for a JS string (the rare body whose content string holds JSON escapes). */
export function isStandardBase64(s: string): boolean {
  const decoded = base64DecodedLength(s.length, s.charCodeAt(s.length - 2), s.charCodeAt(s.length - 1));
  if (decoded < 0) return false;
  const pad = (s.length / 4) * 3 - decoded;
  const chars = s.length - pad;
  for (let i = 0; i < chars; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || B64[c]! < 0) return false;
  }
  return true;
}

/** The 400 for a body that is not a flat object of string fields, with the message JSON.parse allows us to give. */
function explainInvalid(body: Buffer): never {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(FIELDS as readonly string[]).includes(k)) throw new HttpError(400, `unknown field ${k.slice(0, 64)}`);
  for (const f of FIELDS) if (typeof o[f] !== 'string') throw new HttpError(400, MSG[f]);
  // Every field is a string: only reachable if the scanner refused a valid object (a bug) — still a clear answer.
  throw new HttpError(400, 'body must be a flat JSON object of string fields');
}

/**
 * Validates the POST /documents payload: exactly the fields title, patientId, category,
 * contentBase64 (strings; no other field, no duplicate), the content standard base64 of at
 * most `limits.maxDocumentBytes` decoded bytes (else 413). Decodes the content in place: `body`
 * is consumed (its bytes are overwritten).
 */
export async function parseNewDocument(body: Buffer, limits: DocumentLimits = DEFAULT_LIMITS): Promise<NewDocument> {
  const scanned = scanFlatObject(body);
  if (scanned === undefined) explainInvalid(body);
  const { members, duplicate } = scanned;
  for (const k of members.keys()) if (!(FIELDS as readonly string[]).includes(k)) throw new HttpError(400, `unknown field ${k.slice(0, 64)}`);
  if (duplicate !== undefined) throw new HttpError(400, `duplicate field ${duplicate}`);
  const get = (f: Field, maxRaw: number): string | undefined => {
    const m = members.get(f);
    return m === undefined || m.end - m.start > maxRaw ? undefined : jsonString(body, m);
  };
  const title = get('title', MAX_RAW_TITLE);
  if (title === undefined || title.length < 1 || title.length > 200) throw new HttpError(400, MSG.title);
  const patientId = get('patientId', MAX_RAW_CODE);
  if (patientId === undefined || !CODE_RE.test(patientId)) throw new HttpError(400, MSG.patientId);
  const category = get('category', MAX_RAW_CODE);
  if (category === undefined || !CODE_RE.test(category)) throw new HttpError(400, MSG.category);

  const c = members.get('contentBase64');
  if (c === undefined) throw new HttpError(400, MSG.contentBase64);
  const backslash = body.indexOf(BACKSLASH, c.start);
  const escaped = backslash >= 0 && backslash < c.end;
  let content: Buffer | undefined;
  if (!escaped) {
    // The common case: the JSON string's bytes are the base64 characters themselves.
    const size = base64DecodedLength(c.end - c.start, body[c.end - 2] ?? 0, body[c.end - 1] ?? 0);
    if (size > limits.maxDocumentBytes) throw documentTooLarge(limits, `the content decodes to ${size} bytes`);
    content = size < 0 ? undefined : await decodeBase64InPlace(body, c.start, c.end);
  } else {
    // JSON escapes inside the content (e.g. `\/` from some encoders): decode the string first.
    const s = jsonString(body, c);
    if (s !== undefined && isStandardBase64(s)) {
      const size = base64DecodedLength(s.length, s.charCodeAt(s.length - 2), s.charCodeAt(s.length - 1));
      if (size > limits.maxDocumentBytes) throw documentTooLarge(limits, `the content decodes to ${size} bytes`);
      content = Buffer.from(s, 'base64');
    }
  }
  if (content === undefined) throw new HttpError(400, MSG.contentBase64);
  return { title, patientId, category, content };
}

// ---------------------------------------------------------------------------------------------
// GET /documents/:id

/** Plaintext bytes per base64 slice written out (a multiple of 3: slices concatenate into valid base64). */
const ENCODE_SLICE = 3 * 16 * 1024;

/**
 * Writes `{...fields, "contentBase64": "<base64 of content>"}` with an exact Content-Length,
 * encoding the content slice by slice with back-pressure. Resolves when the response is
 * written; rejects if the client goes away (the response is then destroyed).
 */
export async function sendDocumentJson(res: http.ServerResponse, fields: Record<string, unknown>, content: Buffer): Promise<void> {
  const meta = JSON.stringify(fields);
  const head = `${meta.slice(0, -1)}${meta === '{}' ? '' : ','}"contentBase64":"`;
  const tail = '"}';
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(head) + base64Length(content.length) + tail.length,
    'cache-control': 'no-store',
  });
  function* parts(): Generator<string> {
    yield head;
    for (let i = 0; i < content.length; i += ENCODE_SLICE) yield content.toString('base64', i, Math.min(content.length, i + ENCODE_SLICE));
    yield tail;
  }
  await pipeline(Readable.from(parts()), res);
}
