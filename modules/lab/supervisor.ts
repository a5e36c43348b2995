/**
 * The lab supervisor: runs ProcessSpecs detached (own session and process group), logs to
 * `<stateDir>/logs/<name>.log`, pid in `<stateDir>/run/<name>.pid`. A pid is trusted only if
 * its /proc start time matches the one recorded at start (no signal to a recycled pid).
 * Crash-safe cleanup kills whatever is still inside our namespaces (`ip netns pids`).
 *
 * Restarts (systemd `Restart=on-failure`, ProcessSpec.restart): each process runs under a
 * small POSIX sh wrapper (`run/hds-supervise.sh`, no Node daemon per process) — see
 * WRAPPER_SH. The wrapper runs inside the namespace (`ip netns exec` execs it) and as root;
 * it starts the command through the user switch (`setpriv` execs it), so its direct child IS
 * the service, in the wrapper's process group (stopProcess's group signals reach both), and
 * the wrapper can write its status file under the root-owned state dir. Inside the namespace
 * also means `killNamespaceProcesses` finds the wrapper, which then stops instead of
 * restarting. The pid file holds the wrapper's pid (the group leader); the service's pid and
 * /proc start time are in `run/<name>.status`, written by the wrapper.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ensureDir, writeFileAtomic } from '../runtime/fsutil.ts';
import type { ProcessSpec, RestartPolicy } from '../runtime/process.ts';
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
export function statusPath(stateDir: string, name: string): string {
  return join(stateDir, 'run', `${name}.status`);
}
function wrapperPath(stateDir: string): string {
  return join(stateDir, 'run', 'hds-supervise.sh');
}

/** Lab default: systemd's Restart=on-failure, RestartSec 1 s doubling to 30 s, StartLimitBurst=5 / StartLimitIntervalSec=60. */
export const DEFAULT_RESTART: Required<RestartPolicy> = { policy: 'on-failure', delaySec: 1, maxDelaySec: 30, burst: 5, intervalSec: 60 };

/**
 * The wrapper (dash/POSIX sh). Arguments: NAME STATUS_FILE POLICY DELAY MAX_DELAY BURST INTERVAL
 * [--pre N ARG1…ARGN] -- COMMAND…
 * - `--pre`: a command run before every start (restarts included), its failure logged and
 *   ignored (systemd's `ExecStartPre=-`); its arguments hold no single quote (checked in Node);
 * - runs COMMAND in the background (same process group), with SIGINT/SIGQUIT back to their
 *   default (`env --default-signal`: a non-interactive sh makes background jobs ignore them);
 * - on its exit: what it left in the group is stopped (TERM, 5 s, KILL: systemd's
 *   KillMode=control-group); then clean (code 0, or killed by HUP/INT/TERM/PIPE, as systemd)
 *   → exit 0, no restart; a failure → one log line, back-off (DELAY s doubling to MAX_DELAY, reset after
 *   a run of INTERVAL s), restart; BURST restarts already within INTERVAL s → give up, exit 1;
 * - SIGTERM/SIGINT: forwarded to the child (also when in back-off: the sleep is cut short),
 *   waited for, exit 0 without restart; SIGHUP is forwarded only (reload);
 * - STATUS_FILE (key=value, replaced atomically): state (running|restarting|exited|failed|
 *   stopped), wrapper pid, pid + start (the child's pid and /proc start time), restarts,
 *   last_exit, last_exit_at.
 * `wait` cut short by a trapped signal returns >128 with the child still running: it is
 * called again (dash returns a finished child's status again, so no exit is lost).
 * An exit code above 128 cannot be told from a death by signal (sh reports both the same).
 */
export const WRAPPER_SH = `# hds lab supervisor wrapper, written by modules/lab/supervisor.ts at each start (do not edit).
name=$1 status=$2 policy=$3 delay0=$4 maxdelay=$5 burst=$6 interval=$7
shift 7
pre=
if [ "$1" = --pre ]; then
  n=$2
  shift 2
  while [ "$n" -gt 0 ]; do
    pre="$pre '$1'"
    shift
    n=$((n - 1))
  done
fi
[ "$1" = -- ] && shift
child= childstart= stopping= got= sleeper= restarts=0 recent= last= lastat= delay=$delay0

put_status() {
  printf 'state=%s\\nwrapper=%s\\npid=%s\\nstart=%s\\nrestarts=%s\\nlast_exit=%s\\nlast_exit_at=%s\\n' \\
    "$1" "$$" "$child" "$childstart" "$restarts" "$last" "$lastat" >"$status.tmp" && mv -f "$status.tmp" "$status"
}
start_time() {
  st=
  read -r st 2>/dev/null <"/proc/$1/stat" || return 0
  st=\${st##*") "}
  set -f
  set -- $st
  set +f
  [ $# -ge 20 ] && shift 19 && printf %s "$1"
}
on_signal() {
  got=1
  [ "$1" = HUP ] || stopping=$1
  [ -n "$child" ] && kill -s "$1" "$child" 2>/dev/null
  [ -n "$stopping" ] && [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  return 0
}
# What the service left behind in the group (not the wrapper, not zombies), in $left.
list_leftovers() {
  left=
  for f in /proc/[0-9]*/stat; do
    read -r st 2>/dev/null <"$f" || continue
    p=\${st%% *}
    [ "$p" = "$$" ] && continue
    st=\${st##*") "}
    set -f
    set -- $st
    set +f
    [ "$3" = "$$" ] && [ "$1" != Z ] && left="$left $p"
  done
}
# As systemd's KillMode=control-group once the main process is gone: TERM, 5 s, KILL.
stop_leftovers() {
  list_leftovers
  [ -z "$left" ] && return 0
  echo "supervisor: $name left process(es)$left behind, stopping them"
  kill -s TERM $left 2>/dev/null
  i=0
  while [ $i -lt 50 ]; do
    sleep 0.1
    list_leftovers
    [ -z "$left" ] && return 0
    i=$((i + 1))
  done
  kill -s KILL $left 2>/dev/null
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'on_signal HUP' HUP

while :; do
  if [ -n "$pre" ]; then
    eval "env --default-signal=INT,QUIT $pre" || echo "supervisor: $name ExecStartPre failed (ignored)"
  fi
  env --default-signal=INT,QUIT "$@" &
  child=$!
  [ -n "$stopping" ] && kill -s "$stopping" "$child" 2>/dev/null
  began=$(date +%s)
  : "\${began:=0}"
  childstart=$(start_time "$child")
  put_status running
  while :; do
    got=
    wait "$child"
    rc=$?
    [ -z "$got" ] && break
  done
  child= childstart=
  sig=
  [ "$rc" -gt 128 ] && sig=$(kill -l "$rc" 2>/dev/null)
  if [ -n "$sig" ]; then last="killed by SIG$sig"; else last="exited with code $rc"; fi
  lastat=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  if [ -n "$stopping" ]; then put_status stopped; exit 0; fi
  stop_leftovers
  if [ -n "$stopping" ]; then put_status stopped; exit 0; fi
  case "$rc:$sig" in
    0: | *:HUP | *:INT | *:TERM | *:PIPE)
      echo "supervisor: $name $last, not restarted (clean exit)"
      put_status exited
      exit 0 ;;
  esac
  if [ "$policy" != on-failure ]; then
    echo "supervisor: $name $last, not restarted (restart policy $policy)"
    put_status exited
    exit 1
  fi
  now=$(date +%s)
  : "\${now:=$began}"
  [ $((now - began)) -ge "$interval" ] && delay=$delay0
  kept= n=0
  for t in $recent; do
    if [ $((now - t)) -lt "$interval" ]; then kept="$kept $t"; n=$((n + 1)); fi
  done
  recent=$kept
  if [ "$n" -ge "$burst" ]; then
    echo "supervisor: $name $last, start limit hit ($n restarts within $interval s), giving up"
    put_status failed
    exit 1
  fi
  restarts=$((restarts + 1))
  recent="$recent $now"
  echo "supervisor: $name $last, restart $restarts in $delay s"
  put_status restarting
  sleep "$delay" &
  sleeper=$!
  while [ -z "$stopping" ] && kill -0 "$sleeper" 2>/dev/null; do wait "$sleeper"; done
  kill "$sleeper" 2>/dev/null
  sleeper=
  if [ -n "$stopping" ]; then put_status stopped; exit 0; fi
  delay=$((delay * 2))
  [ "$delay" -gt "$maxdelay" ] && delay=$maxdelay
done
`;

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
  if (!startTime) return false;
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
  /** The group leader: the wrapper (`supervised`), else the service itself (a lab started before the wrapper existed). */
  pid: number;
  startTime: string;
  netns?: string;
  command: string;
  supervised?: boolean;
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

/** What the wrapper wrote last (only if it was written by the wrapper of `meta`). */
interface WrapperStatus {
  state: string;
  pid?: number;
  start: string;
  restarts: number;
  lastExit?: string;
  lastExitAt?: string;
}

export function parseWrapperStatus(text: string, wrapperPid: number): WrapperStatus | undefined {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  if (Number(kv.get('wrapper')) !== wrapperPid || !kv.get('state')) return undefined;
  const pid = Number(kv.get('pid'));
  return {
    state: kv.get('state')!,
    ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    start: kv.get('start') ?? '',
    restarts: Number(kv.get('restarts')) || 0,
    ...(kv.get('last_exit') ? { lastExit: kv.get('last_exit')! } : {}),
    ...(kv.get('last_exit_at') ? { lastExitAt: kv.get('last_exit_at')! } : {}),
  };
}

async function readWrapperStatus(stateDir: string, name: string, wrapperPid: number): Promise<WrapperStatus | undefined> {
  try {
    return parseWrapperStatus(await readFile(statusPath(stateDir, name), 'utf8'), wrapperPid);
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

export type SupervisedState = 'starting' | 'running' | 'restarting' | 'exited' | 'failed' | 'stopped' | 'dead';

export interface ProcessStatus {
  name: string;
  /** The service process runs (its pid checked against its /proc start time). */
  alive: boolean;
  /** The service's pid (while it runs; the recorded pid for a process started without the wrapper). */
  pid?: number;
  /** The wrapper's pid (the process group), while it runs. */
  supervisorPid?: number;
  /**
   * running; restarting (in back-off); starting (wrapper up, child not recorded yet); exited
   * (clean exit or policy `no`); failed (start limit hit); stopped; dead (wrapper gone
   * without saying why, e.g. SIGKILL). Absent for a process started without the wrapper.
   */
  state?: SupervisedState;
  /** Restarts since the last start by the supervisor. */
  restarts?: number;
  /** e.g. `killed by SIGKILL`, `exited with code 1`. */
  lastExit?: string;
  /** ISO time of that exit. */
  lastExitAt?: string;
}

interface Resolved {
  status: ProcessStatus;
  meta?: Meta;
  wrapperAlive: boolean;
  /** The service's pid when it runs (start time checked). */
  childAlive?: number;
}

async function resolve(stateDir: string, name: string): Promise<Resolved> {
  const m = await readMeta(stateDir, name);
  if (!m) return { status: { name, alive: false }, wrapperAlive: false };
  const leaderAlive = await aliveWithStart(m.pid, m.startTime);
  if (!m.supervised) return { status: { name, alive: leaderAlive, pid: m.pid }, meta: m, wrapperAlive: leaderAlive };
  const ws = await readWrapperStatus(stateDir, name, m.pid);
  const childAlive = ws?.pid !== undefined && (await aliveWithStart(ws.pid, ws.start)) ? ws.pid : undefined;
  let state: SupervisedState;
  if (!ws) state = leaderAlive ? 'starting' : 'dead';
  else if (ws.state === 'running') state = childAlive !== undefined ? 'running' : leaderAlive ? 'restarting' : 'dead';
  else if (ws.state === 'restarting') state = leaderAlive ? 'restarting' : 'dead';
  else state = ws.state === 'failed' || ws.state === 'exited' || ws.state === 'stopped' ? ws.state : 'dead';
  const status: ProcessStatus = {
    name,
    alive: childAlive !== undefined,
    ...(childAlive !== undefined ? { pid: childAlive } : {}),
    ...(leaderAlive ? { supervisorPid: m.pid } : {}),
    state,
    restarts: ws?.restarts ?? 0,
    ...(ws?.lastExit ? { lastExit: ws.lastExit } : {}),
    ...(ws?.lastExitAt ? { lastExitAt: ws.lastExitAt } : {}),
  };
  return { status, meta: m, wrapperAlive: leaderAlive, ...(childAlive !== undefined ? { childAlive } : {}) };
}

export async function processStatus(stateDir: string, name: string): Promise<ProcessStatus> {
  return (await resolve(stateDir, name)).status;
}

function restartArgs(r: RestartPolicy | undefined): string[] {
  const p = { ...DEFAULT_RESTART, ...r };
  const ints: Array<[string, number, number]> = [
    ['delaySec', p.delaySec, 0],
    ['maxDelaySec', p.maxDelaySec, 0],
    ['burst', p.burst, 0],
    ['intervalSec', p.intervalSec, 1],
  ];
  for (const [k, v, min] of ints) if (!Number.isInteger(v) || v < min || v > 86_400) throw new Error(`restart.${k} must be an integer in [${min}, 86400]`);
  if (p.policy !== 'on-failure' && p.policy !== 'no') throw new Error(`restart.policy must be on-failure or no`);
  return [p.policy, String(p.delaySec), String(Math.max(p.maxDelaySec, p.delaySec)), String(p.burst), String(p.intervalSec)];
}

/** The wrapper's argv: netns outside it, user switch inside it (see the header). */
export function supervisedArgv(stateDir: string, spec: ProcessSpec): { file: string; args: string[] } {
  const user = spec.user !== undefined ? { user: spec.user } : {};
  const inner = commandArgv({ ...user, command: spec.command, args: spec.args });
  const pre: string[] = [];
  if (spec.execStartPre) {
    const p = commandArgv({ ...user, ...spec.execStartPre });
    const argv = [p.file, ...p.args];
    const bad = argv.find((a) => /['\n]/.test(a));
    if (bad !== undefined) throw new Error(`execStartPre of ${spec.name}: an argument holds a quote or a newline: ${JSON.stringify(bad)}`);
    pre.push('--pre', String(argv.length), ...argv);
  }
  return commandArgv({
    ...(spec.netns !== undefined ? { netns: spec.netns } : {}),
    command: '/bin/sh',
    args: [wrapperPath(stateDir), spec.name, statusPath(stateDir, spec.name), ...restartArgs(spec.restart), ...pre, '--', inner.file, ...inner.args],
  });
}

async function ensureWrapperScript(stateDir: string): Promise<void> {
  const p = wrapperPath(stateDir);
  const current = await readFile(p, 'utf8').catch(() => undefined);
  // Replaced by rename, so a running wrapper keeps reading its own (old) copy.
  if (current !== WRAPPER_SH) await writeFileAtomic(p, WRAPPER_SH, { mode: 0o644 });
}

/**
 * Starts `spec` under the restart wrapper unless it is already supervised (wrapper alive,
 * whatever the child's state). Waits `graceMs` and throws (with the last 20 log lines, after
 * stopping the wrapper) if the process exited meanwhile.
 */
export async function startProcess(stateDir: string, spec: ProcessSpec, opts: { graceMs?: number } = {}): Promise<{ pid: number; alreadyRunning: boolean }> {
  if (!NAME_RE.test(spec.name)) throw new Error(`invalid process name ${JSON.stringify(spec.name)}`);
  const before = await resolve(stateDir, spec.name);
  if (before.wrapperAlive) return { pid: before.status.pid ?? before.meta!.pid, alreadyRunning: true };
  // Wrapper gone (SIGKILLed) but its child still running: stop that one first.
  if (before.childAlive !== undefined) await stopProcess(stateDir, spec.name, { timeoutMs: 10_000 });
  const argv = supervisedArgv(stateDir, spec);
  await ensureDir(join(stateDir, 'logs'), 0o755);
  await ensureDir(join(stateDir, 'run'), 0o755);
  await ensureWrapperScript(stateDir);
  await rm(statusPath(stateDir, spec.name), { force: true });
  const log = logPath(stateDir, spec.name);
  const fd = openSync(log, 'a', 0o640);
  let pid: number;
  try {
    writeSync(fd, `${START_MARK}${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(argv.file, argv.args, { detached: true, stdio: ['ignore', fd, fd], env: commandEnv(spec), cwd: spec.cwd ?? '/' });
    pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${spec.name} (${spec.command}): ${e.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
  } finally {
    closeSync(fd);
  }
  const stat = await procStat(pid);
  const meta: Meta = {
    pid,
    startTime: stat?.startTime ?? '',
    command: [spec.command, ...spec.args].join(' '),
    ...(spec.netns ? { netns: spec.netns } : {}),
    supervised: true,
  };
  await writeFileAtomic(metaPath(stateDir, spec.name), `${JSON.stringify(meta)}\n`);
  await writeFileAtomic(pidPath(stateDir, spec.name), `${pid}\n`);
  await sleep(opts.graceMs ?? 500);
  // The wrapper records its child within milliseconds; allow a slow machine 2 s more.
  let st = await resolve(stateDir, spec.name);
  for (let i = 0; i < 20 && st.status.state === 'starting'; i++) {
    await sleep(100);
    st = await resolve(stateDir, spec.name);
  }
  if (st.status.state !== 'running' || (st.status.restarts ?? 0) > 0) {
    await stopProcess(stateDir, spec.name, { timeoutMs: 5000 });
    throw new Error(`${spec.name} exited right after start; last lines of ${log}:\n${await logTail(stateDir, spec.name)}`);
  }
  return { pid: st.status.pid!, alreadyRunning: false };
}

/**
 * SIGTERM the process group (the wrapper stops without restarting and forwards it to the
 * service), wait up to `timeoutMs`, then SIGKILL. Returns whether it was running.
 */
export async function stopProcess(stateDir: string, name: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const r = await resolve(stateDir, name);
  const m = r.meta;
  let wasRunning = false;
  // The group is the leader's pid; signalled only while a trusted member (leader or service) lives.
  if (m && (r.wrapperAlive || r.childAlive !== undefined)) {
    wasRunning = true;
    const direct = [...(r.wrapperAlive ? [m.pid] : []), ...(r.childAlive !== undefined ? [r.childAlive] : [])];
    signal(-m.pid, 'SIGTERM');
    for (const p of direct) signal(p, 'SIGTERM');
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
  await rm(statusPath(stateDir, name), { force: true });
  await rm(`${statusPath(stateDir, name)}.tmp`, { force: true });
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

export interface MemoryUse {
  processes: number;
  /** Sum of the resident set sizes (shared pages counted once per process, as `ps` adds them up). */
  rssBytes: number;
  /** Per command name (`/proc/<pid>/comm`), largest first. */
  byCommand: Array<{ command: string; processes: number; rssBytes: number }>;
}

/** Sum of the RSS of every process inside `namespaces` (the lab's: everything it started runs there). */
export async function namespaceMemory(namespaces: readonly string[]): Promise<MemoryUse> {
  const pids = [...new Set((await Promise.all(namespaces.map(netnsPids))).flat())];
  const by = new Map<string, { processes: number; rssBytes: number }>();
  let total = 0;
  let count = 0;
  for (const pid of pids) {
    const [status, comm] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')]);
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kb === undefined) continue; // gone, or a zombie / kernel thread without memory
    const bytes = Number(kb) * 1024;
    const c = comm.trim() || '?';
    const e = by.get(c) ?? { processes: 0, rssBytes: 0 };
    e.processes++;
    e.rssBytes += bytes;
    by.set(c, e);
    total += bytes;
    count++;
  }
  const byCommand = [...by].map(([command, v]) => ({ command, ...v })).sort((a, b) => b.rssBytes - a.rssBytes);
  return { processes: count, rssBytes: total, byCommand };
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
