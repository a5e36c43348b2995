/**
 * Turns generated rows into per-output buffers in the chosen format, keeping the content hashes
 * (--check) and row counts, and hands full buffers to a writer with backpressure: memory stays
 * bounded by (outputs × flush size) whatever the dataset size. The `pg` format (COPY text) is
 * written byte by byte by CopyText, with no intermediate strings; CSV, NDJSON and FHIR are
 * built from value arrays.
 */
import { addRow, emptyHash, type HashState } from './check.ts';
import { CopyText, csvHeader, csvLine, ndjsonLine, pgLine, type RowOut, ValueRows } from './encode.ts';
import { FHIR_RESOURCES, FhirMapper } from './fhir.ts';
import type { RowSink, Value } from './generate.ts';
import { TABLES } from './tables.ts';

export type Format = 'pg' | 'csv' | 'ndjson' | 'fhir';
/** Characters per output before text formats hand a buffer to the writer. */
const FLUSH_BYTES = 32 * 1024;
/**
 * Bytes per table before COPY text is handed to the writer: 64 KiB, PostgreSQL's own COPY read
 * size. Larger buffers (512 KiB, 4 MiB) measured slower: the generator writes into memory that
 * is no longer in cache, and the load was not faster.
 */
const PG_FLUSH_BYTES = 64 * 1024;

/** The outputs (streams) of a format: one per table, or one per FHIR resource type. */
export function outputNames(format: Format): string[] {
  return format === 'fhir' ? [...FHIR_RESOURCES] : TABLES.map((t) => `${t.domain}.${t.name}`);
}

export interface OutputWriter {
  /**
   * Writes a piece of output `o`; a returned promise means "wait before writing more". Bytes
   * are the sink's reused buffer: a writer that keeps them after returning must copy them.
   */
  write(o: number, data: string | Uint8Array): undefined | Promise<void>;
}

export class FormatSink implements RowSink {
  /** Where the generator writes: COPY bytes for `pg`, value arrays (back to row()) otherwise. */
  readonly out: RowOut;
  readonly rows: number[];
  readonly hashes: HashState[] | null;
  /** Text formats: pending lines per output (flat strings, no newline), joined at flush time. */
  readonly buffers: string[][];
  readonly sizes: number[];
  private readonly copy: CopyText | null;
  private readonly fhir: FhirMapper | null;
  /** Outputs that are written for the current unit (others are generated and dropped). */
  enabled: boolean[];

  constructor(
    readonly format: Format,
    check: boolean,
  ) {
    const n = outputNames(format).length;
    this.buffers = Array.from({ length: n }, () => []);
    this.sizes = new Array(n).fill(0);
    this.enabled = new Array(n).fill(true);
    const hashes = check ? TABLES.map(() => emptyHash()) : null;
    if (format === 'pg') {
      this.copy = new CopyText(TABLES.length, PG_FLUSH_BYTES, hashes);
      this.out = this.copy;
      this.rows = this.copy.rows;
    } else {
      this.copy = null;
      this.out = new ValueRows(this);
      this.rows = TABLES.map(() => 0);
    }
    this.hashes = hashes;
    this.fhir = format === 'fhir' ? new FhirMapper((o, line) => this.append(o, line)) : null;
  }

  /** Starts a unit: CSV part files begin with their header. */
  startUnit(enabled: boolean[]): void {
    this.enabled = enabled;
    if (this.copy) this.copy.enabled = enabled;
    if (this.format === 'csv') for (let i = 0; i < TABLES.length; i++) if (enabled[i]) this.push(i, csvHeader(TABLES[i]!));
  }

  private push(o: number, line: string): void {
    this.buffers[o]!.push(line);
    this.sizes[o]! += line.length + 1;
  }

  private append(o: number, text: string): void {
    if (this.enabled[o]) this.push(o, text);
  }

  /** A row as values (text formats; the `pg` format takes its rows through `out`). */
  row(table: number, values: Value[]): void {
    this.rows[table]!++;
    const hashes = this.hashes;
    if (hashes) addRow(hashes[table]!, pgLine(values));
    switch (this.format) {
      case 'pg':
        throw new Error('FormatSink: the pg format takes rows through `out`');
      case 'csv':
        if (this.enabled[table]) this.push(table, csvLine(values));
        return;
      case 'ndjson':
        if (this.enabled[table]) this.push(table, ndjsonLine(TABLES[table]!, values));
        return;
      case 'fhir':
        this.fhir!.row(table, values);
        return;
    }
  }

  /** True when some output has reached its flush size (a cheap test before calling flush). */
  full(): boolean {
    const copy = this.copy;
    if (copy) {
      for (const n of copy.lengths) if (n >= PG_FLUSH_BYTES) return true;
      return false;
    }
    for (const n of this.sizes) if (n >= FLUSH_BYTES) return true;
    return false;
  }

  /** Hands full buffers (all of them when `final`) to the writer; resolves when it can take more. */
  async flush(writer: OutputWriter, final: boolean): Promise<void> {
    const copy = this.copy;
    if (copy) {
      for (let t = 0; t < copy.lengths.length; t++) {
        const size = copy.lengths[t]!;
        if (size === 0 || (!final && size < PG_FLUSH_BYTES)) continue;
        const wait = writer.write(t, copy.take(t));
        if (wait) await wait;
      }
      return;
    }
    for (let o = 0; o < this.buffers.length; o++) {
      const size = this.sizes[o]!;
      if (size === 0 || (!final && size < FLUSH_BYTES)) continue;
      const text = `${this.buffers[o]!.join('\n')}\n`;
      this.buffers[o]!.length = 0;
      this.sizes[o] = 0;
      const wait = writer.write(o, text);
      if (wait) await wait;
    }
  }
}
