/**
 * Runs a ProcessSpec in the foreground of a test, with its output captured, and stops it
 * (SIGTERM, then SIGKILL after a grace period). Used by integration tests only; the lab
 * supervisor (modules/lab) runs the same specs in production of the lab.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ProcessSpec } from '../runtime/process.ts';

export interface RunningProcess {
  spec: ProcessSpec;
  child: ChildProcess;
  /** Combined stdout+stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the process group (default SIGTERM), then SIGKILL after `graceMs`. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

export function startProcess(spec: ProcessSpec): RunningProcess {
  if (spec.netns !== undefined) throw new Error('startProcess (testkit) does not enter network namespaces');
  let command = spec.command;
  let args = spec.args;
  if (spec.user !== undefined && spec.user !== 'root') {
    args = ['-u', spec.user, '--', command, ...args];
    command = 'runuser';
  }
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...(spec.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so stop() reaches its children too
  });
  const chunks: string[] = [];
  let size = 0;
  const keep = (b: Buffer) => {
    const s = b.toString('utf8');
    chunks.push(s);
    size += s.length;
    while (size > 1_000_000 && chunks.length > 1) size -= chunks.shift()?.length ?? 0;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      chunks.push(String(err));
      resolve({ code: -1, signal: null });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    spec,
    child,
    output: () => chunks.join(''),
    exited,
    async stop(graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM') {
      if (done || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs));
      if ((await Promise.race([exited, timer])) === 'timeout') {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await exited;
      }
    },
  };
}
