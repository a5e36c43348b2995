/**
 * The `ceph`, `radosgw-admin` and `rados` command-line tools as client.admin, with argv arrays
 * (no shell). Each `ceph` invocation costs about a second (a Python start and a monitor session),
 * so a list of commands runs in ONE `ceph` process fed on stdin (its interactive mode: one
 * command a line, split like a shell) — 30 commands in about 2 s instead of 30.
 * Nothing here logs an argument: a step may carry a secret (an S3 key).
 */
import { execa } from 'execa';

/** How the tools reach the cluster as client.admin. */
export interface CephAdmin {
  /** A ceph.conf with mon_host (a monitor host's). */
  conf: string;
  /** client.admin's keyring. */
  keyring: string;
  /** Seconds to wait for the monitors. @default 15 */
  connectTimeoutSec?: number;
}

export type CephTool = 'ceph' | 'radosgw-admin' | 'rados';

/** argv of `tool` with the connection options first (as the renderers' steps expect: after argv[0]). Pure. */
export function cephToolArgs(admin: CephAdmin, tool: CephTool, args: readonly string[]): string[] {
  const conn = ['-c', admin.conf, '-n', 'client.admin', '-k', admin.keyring];
  if (tool === 'ceph') conn.push('--connect-timeout', String(admin.connectTimeoutSec ?? 15));
  return [...conn, ...args];
}

export class CephCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
  ) {
    super(message);
  }
}

/** The last meaningful line of a tool's stderr (Ceph prints timestamps and noise before it). */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...lines].reverse().find((l) => /^Error |error|failed|denied/i.test(l)) ?? lines.at(-1) ?? '';
}

export interface RunOptions {
  /** @default 60_000 */
  timeoutMs?: number;
  input?: string | Buffer;
  /** Exit codes that count as success besides 0 (e.g. 17 EEXIST for an idempotent create). */
  okExitCodes?: readonly number[];
  /** What the command does, for the error message (never the arguments: they may hold a secret). */
  what?: string;
}

/** Runs a tool as client.admin; returns stdout; throws CephCommandError with the last stderr line. */
export async function runCephTool(admin: CephAdmin, tool: CephTool, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await execa(tool, cephToolArgs(admin, tool, args), {
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    encoding: 'utf8',
  });
  if (r.exitCode === 0 || (r.exitCode !== undefined && opts.okExitCodes?.includes(r.exitCode))) return String(r.stdout);
  const what = opts.what ?? `${tool} ${args.slice(0, 3).join(' ')}`;
  const why = r.timedOut ? 'timed out' : `exit ${r.exitCode}`;
  throw new CephCommandError(`${what} failed (${why}): ${lastErrorLine(String(r.stderr))}`, r.exitCode);
}

/** `ceph <args> -f json`, parsed. */
export async function cephJson<T = unknown>(admin: CephAdmin, args: readonly string[], opts: RunOptions = {}): Promise<T> {
  const out = await runCephTool(admin, 'ceph', [...args, '-f', 'json'], opts);
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new CephCommandError(`ceph ${args.join(' ')}: not JSON: ${out.slice(0, 120)}`, 0);
  }
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument quoted for Python's shlex.split (what `ceph`'s interactive mode applies to a line). Pure. */
export function shlexQuote(arg: string): string {
  if (arg.includes('\n')) throw new Error('a ceph command argument cannot hold a newline');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** The stdin of a batch: one command a line. Pure. */
export function cephBatchInput(commands: ReadonlyArray<readonly string[]>): string {
  return `${commands.map((c) => c.map(shlexQuote).join(' ')).join('\n')}\n`;
}

/** The error lines of a batch's stderr (the interactive mode reports `Error EXXX: …` and goes on). Pure. */
export function batchErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^Error E[A-Z]+/.test(l) || /^Invalid command/.test(l));
}

/**
 * Runs `commands` (each the arguments of one `ceph` command, without `ceph`) in one `ceph`
 * process, in order. Throws on the first error line (the interactive mode does not stop, but a
 * bootstrap must not go on after a failed step: the error names the step).
 */
export async function runCephBatch(
  admin: CephAdmin,
  commands: ReadonlyArray<readonly string[]>,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<void> {
  if (commands.length === 0) return;
  const r = await execa('ceph', cephToolArgs(admin, 'ceph', []), {
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    input: cephBatchInput(commands),
    encoding: 'utf8',
  });
  const errors = batchErrors(String(r.stderr));
  if (r.exitCode !== 0 || errors.length > 0) {
    const why = r.timedOut ? 'timed out' : errors.length > 0 ? errors.join(' | ') : `exit ${r.exitCode}: ${lastErrorLine(String(r.stderr))}`;
    throw new CephCommandError(`${opts.what ?? 'ceph batch'} failed: ${why}`, r.exitCode);
  }
}
