/**
 * ProcessSpec builder for the WAF log relay (modules/runtime/wafLogRelay, issue 11): node + tsx,
 * in the WAF's network namespace (it listens on the namespace's loopback for nginx and
 * ModSecurity, and on the admin address for Prometheus).
 */
import path from 'node:path';
import { WAF_LOG_FILES } from '../../services/waf/logging.ts';
import type { ProcessSpec } from '../process.ts';

export interface WafLogRelayProcessInput {
  /** e.g. `waf-log-relay-dc1`. */
  name: string;
  /** Directory the WAF's files were written to (holds WAF_LOG_FILES.relayConfig). */
  confDir: string;
  /** Absolute path of the repository root (cwd, so `--import tsx` resolves). */
  repoRoot: string;
  netns?: string;
  /** Unix user, omitted = root; it must be able to append to the WAF's logs directory. */
  user?: string;
  /** node binary, default the running one. */
  nodeBin?: string;
}

export function wafLogRelayProcessSpec(input: WafLogRelayProcessInput): ProcessSpec {
  if (!path.isAbsolute(input.confDir) || !path.isAbsolute(input.repoRoot)) throw new Error('confDir and repoRoot must be absolute');
  const spec: ProcessSpec = {
    name: input.name,
    command: input.nodeBin ?? process.execPath,
    args: [
      '--import',
      'tsx',
      path.join(input.repoRoot, 'modules/runtime/wafLogRelay/main.ts'),
      '--config',
      path.join(input.confDir, WAF_LOG_FILES.relayConfig),
    ],
    cwd: input.repoRoot,
    env: { NODE_ENV: 'production' },
  };
  if (input.netns !== undefined) spec.netns = input.netns;
  if (input.user !== undefined) spec.user = input.user;
  return spec;
}
