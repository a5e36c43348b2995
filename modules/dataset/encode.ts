/**
 * Row encoders: PostgreSQL COPY text (the canonical form, also hashed by --check), CSV
 * (RFC 4180, header line), NDJSON (one object per row). FHIR lives in fhir.ts.
 */
import { DAY_ASCII_VIEW, dateText, timestampText } from './calendar.ts';
import { addRowBytes, type HashState } from './check.ts';
import type { Value } from './generate.ts';
import type { TableDef } from './tables.ts';

/**
 * COPY text format, one line without its newline: tab-separated, \N for NULL, t/f for
 * booleans. Generated values never hold tabs, newlines or backslashes (checked by the unit
 * tests), so no escaping is needed. Built with a native join so the line is one flat string
 * (concatenation would build rope strings that are slow to flatten later). With `reuse`, the
 * caller's array is rewritten in place (NULL and booleans replaced) instead of copied.
 */
export function pgLine(values: Value[], reuse = false): string {
  let a = values;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === true || v === false) {
      if (a === values && !reuse) a = values.slice();
      a[i] = v === null ? '\\N' : v ? 't' : 'f';
    }
  }
  return a.join('\t');
}

/** COPY text with its newline (for tests and one-off uses). */
export function pgText(values: Value[]): string {
  return `${pgLine(values)}\n`;
}

const CSV_QUOTE = /[",\n\r]/;

export function csvHeader(t: TableDef): string {
  return t.columns.map((c) => c.name).join(',');
}

/** One CSV record without its newline (RFC 4180 quoting; NULL is an empty field). */
export function csvLine(values: Value[]): string {
  const a = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    a[i] = v === null ? '' : typeof v === 'string' ? (CSV_QUOTE.test(v) ? `"${v.replace(/"/g, '""')}"` : v) : String(v);
  }
  return a.join(',');
}

/** One NDJSON object without its newline. */
export function ndjsonLine(t: TableDef, values: Value[]): string {
  const o: Record<string, Value> = {};
  for (let i = 0; i < values.length; i++) o[t.columns[i]!.name] = values[i]!;
  return JSON.stringify(o);
}

/**
 * How the generator emits rows, field by field, without building arrays or strings: `row(t)`
 * starts a row of table t, each of `int`, `str`, `date`, `ts`, `ascii`, `nul`, `bool` adds a
 * field, the `add…` methods append to the last field, `end()` closes the row. Two
 * implementations: `CopyText` writes PostgreSQL COPY text straight into per-table byte buffers
 * (the `pg` format and `--check`), `ValueRows` rebuilds the value arrays for a RowSink (CSV,
 * NDJSON, FHIR, tests). Both give the same rows: ids written with `id` become strings in value
 * arrays, with `int` numbers (NDJSON tells them apart).
 */
export interface RowOut {
  row(t: number): void;
  end(): void;
  /** A non-negative integer (< 2^53). */
  int(n: number): void;
  /** An entity id, text in value arrays (the generator's historical `String(id)`). */
  id(n: number): void;
  str(s: string): void;
  /** Entry i of a pre-encoded vocabulary. */
  word(w: Words, i: number): void;
  /** ASCII bytes [off, off + n) of `b`; `b` holds at least 3 more bytes (copies go by 4). */
  ascii(b: DataView, off: number, n: number): void;
  date(day: number): void;
  /** "YYYY-MM-DD HH:MM:SS+00". */
  ts(day: number, second: number): void;
  nul(): void;
  bool(b: boolean): void;
  addStr(s: string): void;
  addWord(w: Words, i: number): void;
  addInt(n: number): void;
  /** `n` zero-padded to `width` digits. */
  addPad(n: number, width: number): void;
  addDate(day: number): void;
  addAscii(b: DataView, off: number, n: number): void;
}

/**
 * A vocabulary pre-encoded once: UTF-8 bytes of every string at 4-aligned offsets (padded), so
 * CopyText copies a word with a few 32-bit moves instead of encoding it again.
 */
/** Longest vocabulary entry: rows are at most 15 fields, so ROW_ROOM holds any row of words. */
const MAX_WORD = 256;

export class Words {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly off: Int32Array;
  readonly len: Int32Array;

  constructor(readonly strings: readonly string[]) {
    const enc = strings.map((w) => Buffer.from(w, 'utf8'));
    this.off = new Int32Array(strings.length);
    this.len = new Int32Array(strings.length);
    let total = 0;
    enc.forEach((b, i) => {
      this.off[i] = total;
      this.len[i] = b.length;
      total += (b.length + 3) & ~3;
    });
    if (enc.some((b) => b.length > MAX_WORD)) throw new Error(`Words: entries are at most ${MAX_WORD} bytes`);
    this.bytes = new Uint8Array(total + 4);
    for (const [i, b] of enc.entries()) this.bytes.set(b, this.off[i]!);
    this.view = new DataView(this.bytes.buffer);
  }
}

/** Receives rows as value arrays; `table` is an index into TABLES, values follow its columns. */
export interface RowSink {
  row(table: number, values: Value[]): void;
}

/** RowOut that rebuilds value arrays (a fresh array per row) and hands them to a RowSink. */
export class ValueRows implements RowOut {
  private t = 0;
  private v: Value[] = [];
  private lastId = -1;
  private lastIdText = '';

  constructor(readonly sink: RowSink) {}

  row(t: number): void {
    this.t = t;
    this.v = [];
  }
  end(): void {
    this.sink.row(this.t, this.v);
  }
  int(n: number): void {
    this.v.push(n);
  }
  id(n: number): void {
    if (n !== this.lastId) {
      this.lastId = n;
      this.lastIdText = String(n);
    }
    this.v.push(this.lastIdText);
  }
  str(s: string): void {
    this.v.push(s);
  }
  word(w: Words, i: number): void {
    this.v.push(w.strings[i]!);
  }
  ascii(b: DataView, off: number, n: number): void {
    this.v.push(asciiString(b, off, n));
  }
  date(day: number): void {
    this.v.push(dateText(day));
  }
  ts(day: number, second: number): void {
    this.v.push(timestampText(day, second));
  }
  nul(): void {
    this.v.push(null);
  }
  bool(b: boolean): void {
    this.v.push(b);
  }
  private append(s: string): void {
    const i = this.v.length - 1;
    this.v[i] = `${this.v[i]}${s}`;
  }
  addStr(s: string): void {
    this.append(s);
  }
  addWord(w: Words, i: number): void {
    this.append(w.strings[i]!);
  }
  addInt(n: number): void {
    this.append(String(n));
  }
  addPad(n: number, width: number): void {
    this.append(String(n).padStart(width, '0'));
  }
  addDate(day: number): void {
    this.append(dateText(day));
  }
  addAscii(b: DataView, off: number, n: number): void {
    this.append(asciiString(b, off, n));
  }
}

function asciiString(b: DataView, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b.getUint8(off + i));
  return s;
}

const TAB = 9;
const NL = 10;
/** Room kept free at the start of a row: every row is far shorter (strings check for themselves). */
const ROW_ROOM = 8192;
const EMPTY = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i);
const DAYS_VIEW = DAY_ASCII_VIEW;
/** Two ASCII digits of 0..99 as a little-endian 16-bit value. */
const TWO_DIGITS = new Uint16Array(100).map((_, i) => (48 + ((i / 10) | 0)) | ((48 + (i % 10)) << 8));

/**
 * RowOut that writes COPY text (the canonical form) into one growable byte buffer per table:
 * vocabularies come pre-encoded (Words) and are copied 4 bytes at a time, dates from a table,
 * numbers digit by digit, other strings UTF-8 encoded by hand (they are short: a loop beats a
 * native call per field). Copies may write up to 3 bytes past a value; they are overwritten by
 * what follows, and ROW_ROOM keeps them inside the buffer. Rows of a disabled table are hashed
 * (--check) and counted, then dropped. `take(t)` hands the bytes of a table over; the
 * buffer is reused: writers copy what they keep (see OutputWriter).
 */
export class CopyText implements RowOut {
  readonly bufs: Buffer[];
  private readonly views: DataView[];
  readonly lengths: number[];
  readonly rows: number[];
  enabled: boolean[];
  private buf: Buffer = EMPTY;
  private view: DataView = EMPTY_VIEW;
  private pos = 0;
  private t = 0;
  private start = 0;
  /** The last id written, its digits cached (a user's id starts each of its rows). */
  private lastId = -1;
  private readonly idDigits = new DataView(new ArrayBuffer(24));
  private idLength = 0;

  constructor(
    tables: number,
    private readonly capacity: number,
    readonly hashes: HashState[] | null,
  ) {
    this.bufs = Array.from({ length: tables }, () => EMPTY);
    this.views = Array.from({ length: tables }, () => EMPTY_VIEW);
    this.lengths = new Array<number>(tables).fill(0);
    this.rows = new Array<number>(tables).fill(0);
    this.enabled = new Array<boolean>(tables).fill(true);
  }

  /**
   * The bytes written for table t since the last take. They stay valid only until the next row
   * of table t: the buffer is reused (memory that stays in cache and no garbage), so whoever
   * keeps them must copy them.
   */
  take(t: number): Buffer {
    const out = this.bufs[t]!.subarray(0, this.lengths[t]!);
    this.lengths[t] = 0;
    return out;
  }

  private grow(need: number): void {
    const b = Buffer.allocUnsafeSlow(Math.max(this.capacity + ROW_ROOM, 2 * this.buf.length, this.pos + need + ROW_ROOM));
    if (this.pos > 0) b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.length);
    this.bufs[this.t] = b;
    this.views[this.t] = this.view;
  }

  row(t: number): void {
    this.buf = this.bufs[t]!;
    this.view = this.views[t]!;
    this.t = t;
    this.pos = this.start = this.lengths[t]!;
    if (this.pos + ROW_ROOM > this.buf.length) this.grow(ROW_ROOM);
  }

  end(): void {
    const t = this.t;
    this.rows[t]!++;
    // Every field is followed by a tab: the row's last one becomes its newline.
    const last = this.pos - 1;
    if (this.hashes) addRowBytes(this.hashes[t]!, this.buf, this.start, last);
    if (this.enabled[t]) {
      this.buf[last] = NL;
      this.lengths[t] = this.pos;
    }
  }

  // Fields: the value, then a tab. The add… methods write over the last tab and put it back.

  int(n: number): void {
    this.writeInt(n);
    this.buf[this.pos++] = TAB;
  }
  id(n: number): void {
    if (n !== this.lastId) {
      this.lastId = n;
      const p = this.pos;
      this.writeInt(n);
      this.idLength = this.pos - p;
      const view = this.view;
      for (let k = 0; k < this.idLength; k += 4) this.idDigits.setUint32(k, view.getUint32(p + k, true), true);
    } else this.writeAscii(this.idDigits, 0, this.idLength);
    this.buf[this.pos++] = TAB;
  }
  str(s: string): void {
    this.writeStr(s);
    this.buf[this.pos++] = TAB;
  }
  word(w: Words, i: number): void {
    this.writeWord(w, i);
    this.buf[this.pos++] = TAB;
  }
  ascii(b: DataView, off: number, n: number): void {
    this.writeAscii(b, off, n);
    this.buf[this.pos++] = TAB;
  }
  date(day: number): void {
    this.writeDate(day);
    this.buf[this.pos++] = TAB;
  }
  ts(day: number, second: number): void {
    this.writeDate(day);
    const view = this.view;
    const p = this.pos;
    const h = (second / 3600) | 0;
    const r = second - h * 3600;
    const m = (r / 60) | 0;
    const sec = r - m * 60;
    // " HH:MM:SS+00\t"
    this.buf[p] = 32;
    view.setUint16(p + 1, TWO_DIGITS[h]!, true);
    this.buf[p + 3] = 58;
    view.setUint16(p + 4, TWO_DIGITS[m]!, true);
    this.buf[p + 6] = 58;
    view.setUint16(p + 7, TWO_DIGITS[sec]!, true);
    view.setUint32(p + 9, 0x0930302b, true); // "+00\t"
    this.pos = p + 13;
  }
  nul(): void {
    this.view.setUint16(this.pos, 0x4e5c, true); // \N
    this.buf[this.pos + 2] = TAB;
    this.pos += 3;
  }
  bool(b: boolean): void {
    this.view.setUint16(this.pos, b ? 0x0974 : 0x0966, true); // t or f, tab
    this.pos += 2;
  }

  addStr(s: string): void {
    this.pos--;
    this.str(s);
  }
  addWord(w: Words, i: number): void {
    this.pos--;
    this.word(w, i);
  }
  addInt(n: number): void {
    this.pos--;
    this.int(n);
  }
  addPad(n: number, width: number): void {
    this.pos--;
    this.writePad(n, width);
    this.buf[this.pos++] = TAB;
  }

  /** n < 2^31 as exactly `width` digits. */
  private writePad(n: number, width: number): void {
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    let y = n | 0;
    for (let i = 0; i < width; i++) {
      const q = (y / 10) | 0;
      buf[--p] = 48 + (y - q * 10);
      y = q;
    }
  }
  addDate(day: number): void {
    this.pos--;
    this.date(day);
  }
  addAscii(b: DataView, off: number, n: number): void {
    this.pos--;
    this.ascii(b, off, n);
  }

  private writeStr(s: string): void {
    const n = s.length;
    if (this.pos + 3 * n + 8 > this.buf.length) this.grow(3 * n + 8);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) buf[p++] = c;
      else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  private writeWord(w: Words, i: number): void {
    const n = w.len[i]!;
    const src = w.view;
    const dst = this.view;
    const o = w.off[i]!;
    const p = this.pos;
    for (let k = 0; k < n; k += 4) dst.setUint32(p + k, src.getUint32(o + k, true), true);
    this.pos = p + n;
  }

  private writeInt(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    if (n >= 1e9) {
      // Child ids (owner × 10,000 + sequence) pass 2^31: high part, then 9 digits, in integers.
      const hi = Math.floor(n / 1e9);
      this.writeInt(hi);
      this.writePad(n - hi * 1e9, 9);
      return;
    }
    let len = 2;
    while (len < 9 && n >= POW10[len]!) len++;
    let p = this.pos + len;
    this.pos = p;
    let y = n | 0;
    while (y >= 100) {
      const q = (y / 100) | 0;
      p -= 2;
      this.view.setUint16(p, TWO_DIGITS[y - q * 100]!, true);
      y = q;
    }
    if (y >= 10) {
      p -= 2;
      this.view.setUint16(p, TWO_DIGITS[y]!, true);
    } else buf[--p] = 48 + y;
  }

  private writeDate(day: number): void {
    const dst = this.view;
    const p = this.pos;
    const o = day * 12;
    dst.setUint32(p, DAYS_VIEW.getUint32(o, true), true);
    dst.setUint32(p + 4, DAYS_VIEW.getUint32(o + 4, true), true);
    dst.setUint16(p + 8, DAYS_VIEW.getUint16(o + 8, true), true);
    this.pos = p + 10;
  }

  private writeAscii(b: DataView, off: number, n: number): void {
    const dst = this.view;
    const p = this.pos;
    for (let k = 0; k < n; k += 4) dst.setUint32(p + k, b.getUint32(off + k, true), true);
    this.pos = p + n;
  }
}
