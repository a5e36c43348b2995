/**
 * Processing of units, shared by the main thread (one worker) and worker threads: generate the
 * rows of each entity of a unit, encode them, stream them to the target, commit the unit.
 * Memory is bounded by the flush buffers: no list of users is ever held.
 */
import { type HashState, mergeHash } from './check.ts';
import { type DatasetSpec, Generator } from './generate.ts';
import type { Unit } from './plan.ts';
import type { Profile } from './profile.ts';
import { seedFrom } from './rng.ts';
import { type Format, FormatSink } from './sink.ts';
import { type Domain, TABLES } from './tables.ts';
import type { TargetConfig } from './target.ts';
import { DirWriter } from './writers/files.ts';
import { NullWriter } from './writers/null.ts';
import { PgWriter } from './writers/pg.ts';
import type { UnitWriter } from './writers/types.ts';

/** Everything a worker needs, structured-clonable. */
export interface Job {
  seed: string;
  firstUser: number;
  users: number;
  professionals: number;
  profile: Profile;
  format: Format;
  check: boolean;
  target: TargetConfig;
  runId: string;
  domains: Domain[];
}

export interface UnitTask {
  unit: Unit;
  /** Outputs already committed for this unit (skipped on resume). */
  skip: number[];
}

export interface UnitResult {
  key: string;
  rows: number[];
  hashes: HashState[] | null;
}

function specOf(job: Job): DatasetSpec {
  return { seed: seedFrom(job.seed), firstUser: job.firstUser, users: job.users, professionals: job.professionals, profile: job.profile };
}

function openWriter(job: Job): UnitWriter {
  switch (job.target.kind) {
    case 'pg':
      return new PgWriter(job.target.url, job.runId);
    case 'dir':
      return new DirWriter(job.target.path, job.format);
    case 'null':
      return new NullWriter();
  }
}

/** Which outputs a unit writes: its entity's tables (or FHIR resources), in the selected domains, not yet committed. */
export function enabledOutputs(job: Job, unit: Unit, skip: number[]): boolean[] {
  if (job.format === 'fhir') {
    return [unit.kind === 'user', unit.kind === 'professional', unit.kind === 'user', unit.kind === 'user'].map((on, i) => on && !skip.includes(i));
  }
  return TABLES.map((t, i) => t.entity === unit.kind && job.domains.includes(t.domain) && !skip.includes(i));
}

export class UnitProcessor {
  private readonly gen: Generator;
  private readonly writer: UnitWriter;
  private readonly accountsOnly: boolean;

  constructor(
    private readonly job: Job,
    private readonly onEntities: (n: number, rows: number) => void,
  ) {
    this.gen = new Generator(specOf(job));
    this.writer = openWriter(job);
    this.accountsOnly = job.format !== 'fhir' && job.domains.length === 1 && job.domains[0] === 'accounts' && !job.check;
  }

  async process(task: UnitTask): Promise<UnitResult> {
    const { unit } = task;
    const enabled = enabledOutputs(this.job, unit, task.skip);
    const sink = new FormatSink(this.job.format, this.job.check);
    const anything = enabled.some(Boolean);
    if (anything) await this.writer.begin(unit, enabled);
    sink.startUnit(enabled);
    try {
      const end = unit.first + unit.count;
      let pending = 0;
      let rowsBefore = 0;
      for (let id = unit.first; id < end; id++) {
        if (unit.kind === 'user') this.gen.user(id, sink.out, this.accountsOnly);
        else this.gen.professional(id, sink.out);
        if ((++pending & 31) === 0) {
          if (sink.full()) await sink.flush(this.writer, false);
          const rows = sink.rows.reduce((a, b) => a + b, 0);
          this.onEntities(pending, rows - rowsBefore);
          rowsBefore = rows;
          pending = 0;
        }
      }
      await sink.flush(this.writer, true);
      this.onEntities(pending, sink.rows.reduce((a, b) => a + b, 0) - rowsBefore);
      if (anything) await this.writer.commit(unit, sink.rows);
    } catch (e) {
      await this.writer.abort();
      throw e;
    }
    return { key: unit.key, rows: [...sink.rows], hashes: sink.hashes };
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}

export function addHashes(into: HashState[], from: HashState[] | null): void {
  if (!from) return;
  for (const [i, h] of from.entries()) mergeHash(into[i]!, h);
}
