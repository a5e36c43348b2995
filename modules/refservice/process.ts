/** ProcessSpec builder for a reference-service instance (node + tsx, no build step). */
import path from 'node:path';
import type { ProcessSpec } from '../runtime/process.ts';

export interface RefServiceProcessInput {
  /** e.g. `refservice-dc1`. */
  name: string;
  /** Absolute path of the instance config file (JSON or YAML). */
  configPath: string;
  /** Absolute path of the repository root (cwd, so `--import tsx` resolves from node_modules). */
  repoRoot: string;
  netns?: string;
  /** Unix user, omitted = root (the lab's SoftHSM token dir must be readable by it). */
  user?: string;
  /** node binary, default the running one. */
  nodeBin?: string;
}

export function refServiceProcessSpec(input: RefServiceProcessInput): ProcessSpec {
  if (!path.isAbsolute(input.configPath) || !path.isAbsolute(input.repoRoot)) throw new Error('configPath and repoRoot must be absolute');
  const spec: ProcessSpec = {
    name: input.name,
    command: input.nodeBin ?? process.execPath,
    args: ['--import', 'tsx', path.join(input.repoRoot, 'modules/refservice/main.ts'), '--config', input.configPath],
    cwd: input.repoRoot,
    env: { NODE_ENV: 'production' },
  };
  if (input.netns !== undefined) spec.netns = input.netns;
  if (input.user !== undefined) spec.user = input.user;
  return spec;
}
