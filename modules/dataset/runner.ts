/**
 * `hdsctl dataset generate` without the command line: prepare the target (emptiness, resume,
 * append), split the id space into units, keep this shard's units, run them on W workers
 * (worker_threads; in the main thread when W = 1), finalize (indexes, keys) when every unit
 * of every shard is in, and summarise.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { MAX_USER_ID } from './births.ts';
import { digest, emptyHash } from './check.ts';
import { professionalsFor } from './generate.ts';
import { allUnits, type Shard, shardUnits } from './plan.ts';
import type { Profile } from './profile.ts';
import { profileHash } from './profile.ts';
import type { Format } from './sink.ts';
import { DOMAINS, type Domain, TABLES } from './tables.ts';
import type { TargetConfig } from './target.ts';
import { addHashes, enabledOutputs, type Job, type UnitResult, type UnitTask, UnitProcessor } from './work.ts';
import { DirSession } from './writers/files.ts';
import { NullSession } from './writers/null.ts';
import { PgSession } from './writers/pg.ts';
import type { FinalizeResult, RunInfo, TargetSession } from './writers/types.ts';

export const MAX_USERS = 70_000_000;

export interface GenerateOptions {
  users: number;
  seed: string;
  profile: Profile;
  target: TargetConfig;
  format: Format;
  shard: Shard;
  workers: number;
  chunkSize: number;
  check: boolean;
  append: boolean;
  domains: Domain[];
  /** Create keys and indexes when the load is complete (default true). */
  finalize?: boolean;
  /** Called about every 200 ms with the entities and rows processed since the start. */
  onProgress?: (p: { entities: number; rows: number; totalEntities: number }) => void;
  /** Stop after this many units (tests of resume); the run is left unfinished. */
  stopAfterUnits?: number;
}

export interface Summary {
  run: Omit<RunInfo, 'profile'>;
  resumed: boolean;
  shard: string;
  units: { total: number; inShard: number; processed: number; skipped: number };
  rows: Record<string, number>;
  totalRows: number;
  users: number;
  seconds: number;
  rowsPerSecond: number;
  usersPerSecond: number;
  peakRssMiB: number;
  finalize: FinalizeResult | null;
  hashes?: Record<string, { rows: number; hash: string }>;
}

function runId(seed: string, firstUser: number, users: number, professionals: number, pHash: string, format: Format): string {
  return createHash('sha256').update([seed, firstUser, users, professionals, pHash, format === 'pg' ? 'pg' : format].join('|')).digest('hex').slice(0, 16);
}

function session(target: TargetConfig, domains: Domain[]): TargetSession {
  switch (target.kind) {
    case 'pg':
      return new PgSession(target.url, domains);
    case 'dir':
      return new DirSession(target.path);
    case 'null':
      return new NullSession();
  }
}

export async function generateDataset(o: GenerateOptions): Promise<Summary> {
  const t0 = performance.now();
  const pHash = profileHash(o.profile);
  const s = session(o.target, o.domains);
  try {
    const prepared = await s.prepare({ seed: o.seed, users: o.users, chunkSize: o.chunkSize, profile: o.profile, profileHash: pHash, format: o.format, append: o.append }, (firstUser, pros) => {
      const professionals = pros ?? professionalsFor(o.users, o.profile);
      return {
        id: runId(o.seed, firstUser, o.users, professionals, pHash, o.format),
        seed: o.seed,
        firstUser,
        users: o.users,
        professionals,
        chunkSize: o.chunkSize,
        profileHash: pHash,
        profile: o.profile,
        format: o.format,
      };
    });
    const run = prepared.run;
    if (run.firstUser + run.users - 1 > MAX_USER_ID) {
      throw new Error(`users ${run.firstUser}..${run.firstUser + run.users - 1} exceed the ${MAX_USER_ID.toLocaleString('en')} user ids a dataset can hold`);
    }
    const job: Job = {
      seed: run.seed,
      firstUser: run.firstUser,
      users: run.users,
      professionals: run.professionals,
      profile: o.profile,
      format: o.format,
      check: o.check,
      target: o.target,
      runId: run.id,
      domains: o.domains,
    };
    const units = allUnits({ ...job, seed: { lo: 0, hi: 0, text: run.seed } }, o.chunkSize, run.firstUser === 1);
    const mine = shardUnits(units, o.shard);
    const tasks: UnitTask[] = [];
    let skipped = 0;
    for (const unit of mine) {
      const skip = [...(prepared.done.get(unit.key) ?? [])];
      if (!o.check && !enabledOutputs(job, unit, skip).some(Boolean) && skip.length > 0) {
        skipped++;
        continue;
      }
      tasks.push({ unit, skip });
    }
    const limited = o.stopAfterUnits !== undefined ? tasks.slice(0, o.stopAfterUnits) : tasks;
    const totalEntities = limited.reduce((a, t) => a + t.unit.count, 0);
    const results = await runTasks(job, limited, Math.max(1, Math.min(o.workers, limited.length || 1)), totalEntities, o.onProgress);

    const rows: Record<string, number> = {};
    const hashes = TABLES.map(() => emptyHash());
    let users = 0;
    for (const r of results) {
      r.rows.forEach((n, t) => {
        const name = `${TABLES[t]!.domain}.${TABLES[t]!.name}`;
        rows[name] = (rows[name] ?? 0) + n;
      });
      addHashes(hashes, r.hashes);
    }
    for (const t of limited) if (t.unit.kind === 'user') users += t.unit.count;
    const loadSeconds = (performance.now() - t0) / 1000;
    const fin = o.finalize !== false && o.stopAfterUnits === undefined ? await s.finalize(run, units) : null;
    const seconds = (performance.now() - t0) / 1000;
    const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);
    const { profile: _p, ...runNoProfile } = run;
    const summary: Summary = {
      run: runNoProfile,
      resumed: prepared.resumed,
      shard: `${o.shard.index}/${o.shard.of}`,
      units: { total: units.length, inShard: mine.length, processed: limited.length, skipped },
      rows,
      totalRows,
      users,
      seconds,
      rowsPerSecond: totalRows / loadSeconds,
      usersPerSecond: users / loadSeconds,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      finalize: fin,
    };
    if (o.check) summary.hashes = Object.fromEntries(TABLES.map((t, i) => [`${t.domain}.${t.name}`, { rows: hashes[i]!.rows, hash: digest(hashes[i]!) }]));
    return summary;
  } finally {
    await s.close();
  }
}

async function runTasks(job: Job, tasks: UnitTask[], workers: number, totalEntities: number, onProgress: GenerateOptions['onProgress']): Promise<UnitResult[]> {
  let entities = 0;
  let rows = 0;
  let lastReport = 0;
  const report = (n: number, r: number, force = false) => {
    entities += n;
    rows += r;
    const now = performance.now();
    if (onProgress && (force || now - lastReport > 200)) {
      lastReport = now;
      onProgress({ entities, rows, totalEntities });
    }
  };
  const results: UnitResult[] = [];
  if (tasks.length === 0) return results;
  if (workers <= 1) {
    const p = new UnitProcessor(job, report);
    try {
      for (const t of tasks) results.push(await p.process(t));
    } finally {
      await p.close();
    }
    report(0, 0, true);
    return results;
  }
  const queue = [...tasks];
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const next = (w: Worker) => {
        const task = queue.shift();
        if (!task) {
          w.postMessage({ type: 'stop' });
          return;
        }
        w.postMessage({ type: 'unit', task });
      };
      let closed = 0;
      for (let i = 0; i < workers; i++) {
        const w = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: job });
        pool.push(w);
        w.on('message', (m: { type: string; entities?: number; rows?: number; result?: UnitResult; message?: string }) => {
          if (failed) return;
          if (m.type === 'ready') next(w);
          else if (m.type === 'progress') report(m.entities ?? 0, m.rows ?? 0);
          else if (m.type === 'done') {
            results.push(m.result!);
            next(w);
          } else if (m.type === 'closed') {
            if (++closed === workers) resolve();
          } else if (m.type === 'error') {
            failed = true;
            reject(new Error(m.message));
          }
        });
        w.on('error', (e) => {
          failed = true;
          reject(e);
        });
        w.on('exit', (code) => {
          if (code !== 0 && !failed) {
            failed = true;
            reject(new Error(`dataset worker exited with code ${code}`));
          }
        });
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  report(0, 0, true);
  return results;
}

export const ALL_DOMAINS: Domain[] = [...DOMAINS];
