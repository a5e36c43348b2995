/**
 * `dir:PATH` target: CSV, NDJSON or FHIR bulk NDJSON part files, one per unit and output
 * (`<domain>/<table>/part-u0000000001.csv`, `Patient/part-u0000000001.ndjson`). Each part is
 * written to a temporary name and renamed when complete; a unit is done when its marker
 * `.chunks/<unit>.json` exists (written last, also by rename). A restart rewrites unfinished
 * units only; concatenating the parts in name order gives the same bytes whatever the number of
 * workers or shards (EXG_ENV_15).
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Unit } from '../plan.ts';
import { type Format, outputNames } from '../sink.ts';
import type { FinalizeResult, Prepared, RunInfo, RunRequest, TargetSession, UnitWriter } from './types.ts';

const MANIFEST = 'manifest.json';
const CHUNKS = '.chunks';

function ext(format: Format): string {
  return format === 'csv' ? 'csv' : 'ndjson';
}

function partPath(root: string, format: Format, output: number, unit: Unit): string {
  const name = outputNames(format)[output]!;
  const dir = format === 'fhir' ? name : name.replace('.', '/');
  return join(root, dir, `part-${unit.key}.${ext(format)}`);
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

interface Manifest {
  tool: 'hdsctl dataset';
  run: Omit<RunInfo, 'profile'> & { profile: unknown };
  complete: boolean;
  rows?: Record<string, number>;
}

export class DirSession implements TargetSession {
  constructor(private readonly root: string) {}

  async prepare(req: RunRequest, computeRun: (firstUser: number, professionals: number | null) => RunInfo): Promise<Prepared> {
    const mfile = join(this.root, MANIFEST);
    let existing: Manifest | null = null;
    if (existsSync(this.root)) {
      const entries = readdirSync(this.root);
      if (existsSync(mfile)) existing = JSON.parse(readFileSync(mfile, 'utf8')) as Manifest;
      else if (entries.length > 0) throw new Error(`dir:${this.root} is not empty and holds no dataset manifest; choose an empty or new directory`);
    }
    let run = computeRun(1, null);
    if (existing) {
      if (existing.run.id !== run.id || existing.run.format !== run.format) {
        if (!req.append) {
          throw new Error(
            `dir:${this.root} already holds another dataset (seed ${existing.run.seed}, ${existing.run.users} users, ${existing.run.format}); use a new directory, or --append to add users`,
          );
        }
        if (existing.run.seed !== req.seed || existing.run.profileHash !== req.profileHash || existing.run.format !== req.format) {
          throw new Error(`--append needs the seed, profile and format of the dataset in dir:${this.root} (seed ${existing.run.seed}, ${existing.run.format})`);
        }
        run = computeRun(existing.run.firstUser + existing.run.users, existing.run.professionals);
      }
      if (existing.run.chunkSize !== req.chunkSize) throw new Error(`dir:${this.root} was started with --chunk-size ${existing.run.chunkSize}; resume with the same value`);
    }
    mkdirSync(join(this.root, CHUNKS), { recursive: true });
    writeAtomic(mfile, `${JSON.stringify({ tool: 'hdsctl dataset', run, complete: false } satisfies Manifest, null, 2)}\n`);
    const done = new Map<string, Set<number>>();
    const all = new Set(outputNames(req.format).map((_, i) => i));
    for (const f of readdirSync(join(this.root, CHUNKS))) if (f.endsWith('.json')) done.set(f.slice(0, -5), all);
    return { run, done, resumed: done.size > 0 };
  }

  async finalize(run: RunInfo, units: Unit[]): Promise<FinalizeResult> {
    const rows: Record<string, number> = {};
    let missing = 0;
    for (const u of units) {
      const marker = join(this.root, CHUNKS, `${u.key}.json`);
      if (!existsSync(marker)) {
        missing++;
        continue;
      }
      const r = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, number>;
      for (const [k, v] of Object.entries(r)) rows[k] = (rows[k] ?? 0) + v;
    }
    if (missing === 0) writeAtomic(join(this.root, MANIFEST), `${JSON.stringify({ tool: 'hdsctl dataset', run, complete: true, rows } satisfies Manifest, null, 2)}\n`);
    return { complete: missing === 0, missing, indexSeconds: 0 };
  }

  async close(): Promise<void> {}
}

export class DirWriter implements UnitWriter {
  private streams: Array<WriteStream | null> = [];
  private unit: Unit | null = null;

  constructor(
    private readonly root: string,
    private readonly format: Format,
  ) {}

  async begin(unit: Unit, enabled: boolean[]): Promise<void> {
    this.unit = unit;
    this.streams = enabled.map((on, o) => {
      if (!on) return null;
      const file = partPath(this.root, this.format, o, unit);
      mkdirSync(dirname(file), { recursive: true });
      return createWriteStream(`${file}.tmp`);
    });
  }

  write(o: number, data: string | Uint8Array): undefined | Promise<void> {
    const s = this.streams[o];
    if (!s) return undefined;
    s.write(typeof data === 'string' ? data : Buffer.from(data)); // bytes are the sink's reused buffer
    if (s.writableLength < 2 * 1024 * 1024) return undefined;
    return new Promise((resolve, reject) => {
      s.once('drain', resolve);
      s.once('error', reject);
    });
  }

  async commit(unit: Unit, rows: number[]): Promise<void> {
    await Promise.all(this.streams.map((s) => (s ? new Promise<void>((res, rej) => s.end((e?: Error | null) => (e ? rej(e) : res()))) : undefined)));
    this.streams.forEach((s, o) => {
      if (s) {
        const file = partPath(this.root, this.format, o, unit);
        renameSync(`${file}.tmp`, file);
      }
    });
    const counts: Record<string, number> = {};
    const names = outputNames('pg');
    rows.forEach((n, t) => {
      if (n > 0) counts[names[t]!] = n;
    });
    writeAtomic(join(this.root, CHUNKS, `${unit.key}.json`), JSON.stringify(counts));
    this.streams = [];
    this.unit = null;
  }

  async abort(): Promise<void> {
    const unit = this.unit;
    for (const [o, s] of this.streams.entries()) {
      if (!s || !unit) continue;
      s.destroy();
      rmSync(`${partPath(this.root, this.format, o, unit)}.tmp`, { force: true });
    }
    this.streams = [];
  }

  async close(): Promise<void> {
    await this.abort();
  }
}
