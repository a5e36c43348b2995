/** Test helpers: run the CLI in-process and work on a scratch copy of environments/. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { parseDocument } from 'yaml';
import { main } from './main.ts';

export const REPO_ENVIRONMENTS = join(import.meta.dirname, '..', '..', 'environments');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const saved = { ...process.env };
  Object.assign(process.env, { NO_COLOR: '1' }, env);
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
}

/** A scratch copy of the shipped environments directory. */
export function scratchEnvironments(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hds-envs-'));
  cpSync(REPO_ENVIRONMENTS, dir, { recursive: true });
  return dir;
}

/** Change one value of a YAML file in place, keeping the rest of the text. */
export function editYaml(file: string, path: Array<string | number>, value: unknown): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(path, value);
  writeFileSync(file, doc.toString());
}

export { treeSnapshot } from '../../modules/loader/testing.ts';

/** A scratch project: environments/, policies/waivers.yaml and a user's own file, as a new user has. */
export function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hds-project-'));
  cpSync(REPO_ENVIRONMENTS, join(dir, 'environments'), { recursive: true });
  cpSync(join(REPO_ENVIRONMENTS, '..', 'policies', 'waivers.yaml'), join(dir, 'policies', 'waivers.yaml'));
  writeFileSync(join(dir, 'notes.txt'), 'my own notes\n');
  return dir;
}

/** Runs the CLI with `dir` as the current directory. */
export async function runCliIn(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = process.cwd();
  process.chdir(dir);
  try {
    return await runCli(args, env);
  } finally {
    process.chdir(saved);
  }
}
