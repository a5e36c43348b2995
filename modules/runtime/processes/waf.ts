/** ProcessSpec builders for a WAF instance (nginx in the foreground, supervised by the lab). */

import { WAF_FILES } from '../../services/waf/render.ts';
import type { ProcessSpec } from '../process.ts';

export interface WafProcessInput {
  /** Process name, e.g. `waf-dc1`. */
  name: string;
  /** Directory the rendered WAF files were written to. */
  confDir: string;
  /** Runtime directory given to renderWaf (nginx prefix). */
  runDir: string;
  netns?: string;
  /** nginx binary, default `/usr/sbin/nginx`. */
  nginxBin?: string;
}

function baseArgs(input: WafProcessInput): string[] {
  return ['-c', `${input.confDir.replace(/\/+$/, '')}/${WAF_FILES.nginxConf}`, '-p', `${input.runDir.replace(/\/+$/, '')}/`];
}

/** nginx in the foreground (`daemon off`), so the supervisor owns the master process. */
export function wafProcessSpec(input: WafProcessInput): ProcessSpec {
  const spec: ProcessSpec = {
    name: input.name,
    command: input.nginxBin ?? '/usr/sbin/nginx',
    args: [...baseArgs(input), '-g', 'daemon off;'],
  };
  if (input.netns !== undefined) spec.netns = input.netns;
  return spec;
}

/** `nginx -t` on the rendered configuration (run once before starting or reloading). */
export function wafConfigTestCommand(input: WafProcessInput): { command: string; args: string[] } {
  return { command: input.nginxBin ?? '/usr/sbin/nginx', args: [...baseArgs(input), '-t', '-q'] };
}
