/** What a target does: prepare a run (emptiness, resume, append), write units, finalize. */
import type { Unit } from '../plan.ts';
import type { Profile } from '../profile.ts';
import type { Format, OutputWriter } from '../sink.ts';

/** The identity of a run, recorded in the target; a restart with the same identity resumes. */
export interface RunInfo {
  id: string;
  seed: string;
  firstUser: number;
  users: number;
  professionals: number;
  chunkSize: number;
  profileHash: string;
  profile: Profile;
  format: Format;
}

export interface RunRequest {
  seed: string;
  users: number;
  chunkSize: number;
  profile: Profile;
  profileHash: string;
  format: Format;
  append: boolean;
}

export interface Prepared {
  run: RunInfo;
  /** Per unit key, the outputs already committed (a unit absent = nothing written). */
  done: Map<string, Set<number>>;
  resumed: boolean;
}

export interface FinalizeResult {
  complete: boolean;
  /** Units still missing (other shards, or failures). */
  missing: number;
  indexSeconds: number;
}

export interface TargetSession {
  prepare(req: RunRequest, computeRun: (firstUser: number, professionals: number | null) => RunInfo): Promise<Prepared>;
  finalize(run: RunInfo, expectedUnits: Unit[]): Promise<FinalizeResult>;
  close(): Promise<void>;
}

export interface UnitWriter extends OutputWriter {
  begin(unit: Unit, enabled: boolean[]): Promise<void>;
  commit(unit: Unit, rows: number[]): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}
