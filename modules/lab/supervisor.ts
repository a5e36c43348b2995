/**
 * The lab supervisor: runs ProcessSpecs detached (own session and process group), logs to
 * `<stateDir>/logs/<name>.log`, pid in `<stateDir>/run/<name>.pid`. A pid is trusted only if
 * its /proc start time matches the one recorded at start (no signal to a recycled pid).
 * Crash-safe cleanup kills whatever is still inside our namespaces (`ip netns pids`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ensureDir, writeFileAtomic } from '../runtime/fsutil.ts';
import type { ProcessSpec } from '../runtime/process.ts';
import { commandArgv, commandEnv } from './command.ts';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function logPath(stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name}.log`);
}
export function pidPath(stateDir: string, name: string): string {
  return join(stateDir, 'run', `${name}.pid`);
}
function metaPath(stateDir: string, name: string): string {
  return join(stateDir, 'run', `${name}.meta.json`);
}

interface ProcStat {
  state: string;
  pgid: number;
  startTime: string;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields restart after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, pgid: Number(f[2]), startTime: f[19]! };
  } catch {
    return undefined;
  }
}

async function aliveWithStart(pid: number, startTime: string): Promise<boolean> {
  const st = await procStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === startTime;
}

/** Live (non-zombie) members of a process group. */
async function groupMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = await procStat(Number(e));
    if (st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X') out.push(Number(e));
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

interface Meta {
  pid: number;
  startTime: string;
  netns?: string;
  command: string;
}

async function readMeta(stateDir: string, name: string): Promise<Meta | undefined> {
  try {
    const m = JSON.parse(await readFile(metaPath(stateDir, name), 'utf8')) as Meta;
    const pid = Number((await readFile(pidPath(stateDir, name), 'utf8')).trim());
    return pid === m.pid ? m : undefined;
  } catch {
    return undefined;
  }
}

const START_MARK = '--- hdsctl lab: start ';

/** Last `lines` lines of a process log, from its latest start only. */
export async function logTail(stateDir: string, name: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(logPath(stateDir, name), 'utf8');
    const since = text.lastIndexOf(START_MARK);
    return (since >= 0 ? text.slice(since) : text).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface ProcessStatus {
  name: string;
  alive: boolean;
  pid?: number;
}

export async function processStatus(stateDir: string, name: string): Promise<ProcessStatus> {
  const m = await readMeta(stateDir, name);
  if (!m) return { name, alive: false };
  return { name, alive: await aliveWithStart(m.pid, m.startTime), pid: m.pid };
}

/**
 * Starts `spec` unless it is already running. Waits `graceMs` and throws (with the last 20
 * log lines) if the process died meanwhile.
 */
export async function startProcess(stateDir: string, spec: ProcessSpec, opts: { graceMs?: number } = {}): Promise<{ pid: number; alreadyRunning: boolean }> {
  if (!NAME_RE.test(spec.name)) throw new Error(`invalid process name ${JSON.stringify(spec.name)}`);
  const st = await processStatus(stateDir, spec.name);
  if (st.alive && st.pid) return { pid: st.pid, alreadyRunning: true };
  await ensureDir(join(stateDir, 'logs'), 0o755);
  await ensureDir(join(stateDir, 'run'), 0o755);
  const log = logPath(stateDir, spec.name);
  const fd = openSync(log, 'a', 0o640);
  let pid: number;
  try {
    writeSync(fd, `${START_MARK}${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    const { file, args } = commandArgv(spec);
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: commandEnv(spec), cwd: spec.cwd ?? '/' });
    pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${spec.name} (${spec.command}): ${e.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
  } finally {
    closeSync(fd);
  }
  const stat = await procStat(pid);
  const meta: Meta = { pid, startTime: stat?.startTime ?? '', command: [spec.command, ...spec.args].join(' '), ...(spec.netns ? { netns: spec.netns } : {}) };
  await writeFileAtomic(metaPath(stateDir, spec.name), `${JSON.stringify(meta)}\n`);
  await writeFileAtomic(pidPath(stateDir, spec.name), `${pid}\n`);
  await sleep(opts.graceMs ?? 500);
  if (!(await aliveWithStart(pid, meta.startTime))) {
    throw new Error(`${spec.name} exited right after start; last lines of ${log}:\n${await logTail(stateDir, spec.name)}`);
  }
  return { pid, alreadyRunning: false };
}

/** SIGTERM the process group, wait up to `timeoutMs`, then SIGKILL. Returns whether it was running. */
export async function stopProcess(stateDir: string, name: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const m = await readMeta(stateDir, name);
  let wasRunning = false;
  if (m && (await aliveWithStart(m.pid, m.startTime))) {
    wasRunning = true;
    signal(-m.pid, 'SIGTERM');
    signal(m.pid, 'SIGTERM');
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    while (Date.now() < deadline && (await groupMembers(m.pid)).length > 0) await sleep(200);
    const left = await groupMembers(m.pid);
    if (left.length > 0) {
      signal(-m.pid, 'SIGKILL');
      for (const p of left) signal(p, 'SIGKILL');
      for (let i = 0; i < 50 && (await groupMembers(m.pid)).length > 0; i++) await sleep(100);
    }
  }
  await rm(pidPath(stateDir, name), { force: true });
  await rm(metaPath(stateDir, name), { force: true });
  return wasRunning;
}

export async function netnsPids(netns: string): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', netns], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) return [];
  return String(r.stdout)
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

/** Kills every process still inside `netns` (SIGTERM, wait, SIGKILL). Returns the pids it found. */
export async function killNamespaceProcesses(netns: string, opts: { timeoutMs?: number } = {}): Promise<number[]> {
  const pids = await netnsPids(netns);
  if (pids.length === 0) return [];
  for (const p of pids) signal(p, 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (Date.now() < deadline && (await netnsPids(netns)).length > 0) await sleep(200);
  for (const p of await netnsPids(netns)) signal(p, 'SIGKILL');
  for (let i = 0; i < 50 && (await netnsPids(netns)).length > 0; i++) await sleep(100);
  const left = await netnsPids(netns);
  if (left.length > 0) throw new Error(`processes still alive in netns ${netns} after SIGKILL: ${left.join(' ')}`);
  return pids;
}

/** Names of the processes that have a pid file in this state dir. */
export async function knownProcesses(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(join(stateDir, 'run'))).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4));
  } catch {
    return [];
  }
}
