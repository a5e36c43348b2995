/**
 * Turns generated rows into per-output text buffers in the chosen format, keeping the
 * content hashes (--check) and row counts, and hands full buffers to a writer with
 * backpressure: memory stays bounded by (outputs × FLUSH_BYTES) whatever the dataset size.
 */
import { addRow, emptyHash, type HashState } from './check.ts';
import { csvHeader, csvLine, ndjsonLine, pgLine } from './encode.ts';
import { FHIR_RESOURCES, FhirMapper } from './fhir.ts';
import type { RowSink, Value } from './generate.ts';
import { TABLES } from './tables.ts';

export type Format = 'pg' | 'csv' | 'ndjson' | 'fhir';
export const FLUSH_BYTES = 32 * 1024;

/** The outputs (streams) of a format: one per table, or one per FHIR resource type. */
export function outputNames(format: Format): string[] {
  return format === 'fhir' ? [...FHIR_RESOURCES] : TABLES.map((t) => `${t.domain}.${t.name}`);
}

export interface OutputWriter {
  /** Writes a piece of output `o`; a returned promise means "wait before writing more". */
  write(o: number, text: string): undefined | Promise<void>;
}

export class FormatSink implements RowSink {
  /** Pending lines per output (flat strings, no newline), joined at flush time into one flat string. */
  readonly buffers: string[][];
  readonly sizes: number[];
  readonly rows: number[] = TABLES.map(() => 0);
  readonly hashes: HashState[] | null;
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
    this.hashes = check ? TABLES.map(() => emptyHash()) : null;
    this.fhir = format === 'fhir' ? new FhirMapper((o, line) => this.append(o, line)) : null;
  }

  /** Starts a unit: CSV part files begin with their header. */
  startUnit(enabled: boolean[]): void {
    this.enabled = enabled;
    if (this.format === 'csv') for (let i = 0; i < TABLES.length; i++) if (enabled[i]) this.push(i, csvHeader(TABLES[i]!));
  }

  private push(o: number, line: string): void {
    this.buffers[o]!.push(line);
    this.sizes[o]! += line.length + 1;
  }

  private append(o: number, text: string): void {
    if (this.enabled[o]) this.push(o, text);
  }

  row(table: number, values: Value[]): void {
    this.rows[table]!++;
    const hashes = this.hashes;
    switch (this.format) {
      case 'pg': {
        const line = pgLine(values, true);
        if (hashes) addRow(hashes[table]!, line);
        if (this.enabled[table]) this.push(table, line);
        return;
      }
      case 'csv':
        if (hashes) addRow(hashes[table]!, pgLine(values));
        if (this.enabled[table]) this.push(table, csvLine(values));
        return;
      case 'ndjson':
        if (hashes) addRow(hashes[table]!, pgLine(values));
        if (this.enabled[table]) this.push(table, ndjsonLine(TABLES[table]!, values));
        return;
      case 'fhir':
        if (hashes) addRow(hashes[table]!, pgLine(values));
        this.fhir!.row(table, values);
        return;
    }
  }

  /** Hands buffers of at least `min` characters to the writer; resolves when it can take more. */
  async flush(writer: OutputWriter, min: number): Promise<void> {
    for (let o = 0; o < this.buffers.length; o++) {
      const size = this.sizes[o]!;
      if (size === 0 || size < min) continue;
      const text = `${this.buffers[o]!.join('\n')}\n`;
      this.buffers[o]!.length = 0;
      this.sizes[o] = 0;
      const wait = writer.write(o, text);
      if (wait) await wait;
    }
  }
}
