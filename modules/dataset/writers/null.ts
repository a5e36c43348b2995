/** A target that drops everything: `--check` alone and the generation benchmark. */
import type { Unit } from '../plan.ts';
import type { FinalizeResult, Prepared, RunInfo, RunRequest, TargetSession, UnitWriter } from './types.ts';

export class NullSession implements TargetSession {
  async prepare(_req: RunRequest, computeRun: (firstUser: number, professionals: number | null) => RunInfo): Promise<Prepared> {
    return { run: computeRun(1, null), done: new Map(), resumed: false };
  }
  async finalize(_run: RunInfo, _units: Unit[]): Promise<FinalizeResult> {
    return { complete: true, missing: 0, indexSeconds: 0 };
  }
  async close(): Promise<void> {}
}

export class NullWriter implements UnitWriter {
  async begin(): Promise<void> {}
  write(): undefined {
    return undefined;
  }
  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
  async close(): Promise<void> {}
}
