/**
 * How a ProcessSpec becomes an argv: `ip netns exec <ns>` when it has a namespace, then
 * `setpriv` to the unix user (exec, no extra process: the supervised pid IS the service),
 * with a clean minimal environment (nothing of the caller's environment leaks in).
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import type { ProcessSpec } from '../runtime/process.ts';

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Looks a local user up in /etc/passwd (the lab's service users come from Debian packages). */
export function lookupUser(name: string): UserInfo {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`unix user ${name} does not exist (it comes with its Debian package; run the lab package check)`);
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' };
}

export function commandArgv(spec: Pick<ProcessSpec, 'netns' | 'user' | 'command' | 'args'>): { file: string; args: string[] } {
  const argv: string[] = [];
  if (spec.netns) argv.push('ip', 'netns', 'exec', spec.netns);
  if (spec.user && spec.user !== 'root') argv.push('setpriv', `--reuid=${spec.user}`, `--regid=${spec.user}`, '--init-groups', '--no-new-privs', '--');
  argv.push(spec.command, ...spec.args);
  const [file, ...args] = argv;
  return { file: file!, args };
}

export function commandEnv(spec: Pick<ProcessSpec, 'user' | 'env'>): Record<string, string> {
  const u = spec.user ? lookupUser(spec.user) : { name: 'root', home: '/root' };
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: u.home,
    USER: u.name,
    LOGNAME: u.name,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ...spec.env,
  };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command (e.g. `pgbackrest stanza-create`) the way a ProcessSpec would run, bounded in time. */
export async function runCommand(spec: Omit<ProcessSpec, 'name'>, opts: { timeoutMs: number; input?: string }): Promise<RunResult> {
  const { file, args } = commandArgv(spec);
  const r = await execa(file, args, {
    env: commandEnv(spec),
    extendEnv: false,
    cwd: spec.cwd ?? '/',
    reject: false,
    timeout: opts.timeoutMs,
    input: opts.input,
    killSignal: 'SIGKILL',
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** As runCommand, but throws a one-line error with the command and its last output lines. */
export async function runCommandOk(spec: Omit<ProcessSpec, 'name'>, opts: { timeoutMs: number; input?: string }): Promise<RunResult> {
  const r = await runCommand(spec, opts);
  if (r.exitCode !== 0) {
    const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-8).join('\n  ');
    throw new Error(`${spec.command} ${spec.args.join(' ')} failed (exit ${r.exitCode}${spec.netns ? ` in ${spec.netns}` : ''}):\n  ${tail}`);
  }
  return r;
}

/** `execa` re-export point kept small: tests and components use runCommand. */
export { execa };
