/**
 * `<stateDir>/lab.json`: what the lab runtime created, recorded BEFORE creating it, so a
 * teardown after a crash deletes exactly what is ours.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../runtime/fsutil.ts';

export interface LabStateFile {
  version: 1;
  network: {
    bridge: string | null;
    netns: string[];
    /** Host-side veth ends. */
    veths: string[];
  };
  /** ISO time of the last successful labUp. */
  upSince?: string;
}

export function labStatePath(stateDir: string): string {
  return join(stateDir, 'lab.json');
}

export function emptyLabState(): LabStateFile {
  return { version: 1, network: { bridge: null, netns: [], veths: [] } };
}

/** Reads lab.json; a missing or unreadable file is an empty state (teardown then works from the plan). */
export async function readLabState(stateDir: string): Promise<LabStateFile> {
  try {
    const s = JSON.parse(await readFile(labStatePath(stateDir), 'utf8')) as Partial<LabStateFile>;
    const e = emptyLabState();
    return {
      version: 1,
      network: {
        bridge: s.network?.bridge ?? e.network.bridge,
        netns: Array.isArray(s.network?.netns) ? s.network.netns : [],
        veths: Array.isArray(s.network?.veths) ? s.network.veths : [],
      },
      ...(typeof s.upSince === 'string' ? { upSince: s.upSince } : {}),
    };
  } catch {
    return emptyLabState();
  }
}

/** Read-modify-write of lab.json (single writer: the lab runtime of this state dir). */
export async function updateLabState(stateDir: string, fn: (s: LabStateFile) => void): Promise<LabStateFile> {
  const s = await readLabState(stateDir);
  fn(s);
  await ensureDir(stateDir, 0o755);
  await writeFileAtomic(labStatePath(stateDir), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o644 });
  return s;
}
