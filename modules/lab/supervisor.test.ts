import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { commandArgv } from './command.ts';
import { logTail, parseWrapperStatus, processStatus, startProcess, stopProcess, supervisedArgv } from './supervisor.ts';

describe('commandArgv', () => {
  it('wraps namespace and user', () => {
    expect(commandArgv({ netns: 'ns1', user: 'postgres', command: 'patroni', args: ['/x.yml'] })).toEqual({
      file: 'ip',
      args: ['netns', 'exec', 'ns1', 'setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--no-new-privs', '--', 'patroni', '/x.yml'],
    });
    expect(commandArgv({ command: 'sleep', args: ['1'] })).toEqual({ file: 'sleep', args: ['1'] });
  });
});

describe('supervisedArgv', () => {
  it('runs the wrapper inside the namespace as root, the user switch inside the wrapper', () => {
    const a = supervisedArgv('/st', { name: 'patroni-x', netns: 'ns1', user: 'postgres', command: 'patroni', args: ['/x.yml'] });
    expect(a).toEqual({
      file: 'ip',
      args: [
        'netns',
        'exec',
        'ns1',
        '/bin/sh',
        '/st/run/hds-supervise.sh',
        'patroni-x',
        '/st/run/patroni-x.status',
        'on-failure',
        '1',
        '30',
        '5',
        '60',
        '--',
        'setpriv',
        '--reuid=postgres',
        '--regid=postgres',
        '--init-groups',
        '--no-new-privs',
        '--',
        'patroni',
        '/x.yml',
      ],
    });
    const b = supervisedArgv('/st', { name: 'n', command: 'sleep', args: ['1'], restart: { policy: 'no', delaySec: 2, burst: 1 } });
    expect(b).toEqual({ file: '/bin/sh', args: ['/st/run/hds-supervise.sh', 'n', '/st/run/n.status', 'no', '2', '30', '1', '60', '--', 'sleep', '1'] });
    expect(() => supervisedArgv('/st', { name: 'n', command: 'x', args: [], restart: { policy: 'on-failure', delaySec: 0.5 } })).toThrow(/delaySec/);
  });
});

describe('parseWrapperStatus', () => {
  it('reads the key=value file and ignores another wrapper’s', () => {
    const text = 'state=restarting\nwrapper=42\npid=\nstart=\nrestarts=3\nlast_exit=killed by SIGKILL\nlast_exit_at=2025-01-01T00:00:00Z\n';
    expect(parseWrapperStatus(text, 42)).toEqual({
      state: 'restarting',
      start: '',
      restarts: 3,
      lastExit: 'killed by SIGKILL',
      lastExitAt: '2025-01-01T00:00:00Z',
    });
    expect(parseWrapperStatus(text, 43)).toBeUndefined();
    expect(parseWrapperStatus('state=running\nwrapper=7\npid=8\nstart=123\nrestarts=0\nlast_exit=\nlast_exit_at=\n', 7)).toEqual({
      state: 'running',
      pid: 8,
      start: '123',
      restarts: 0,
    });
  });
});

/** Live (non-zombie) process? */
async function procAlive(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(s.slice(s.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Host-only processes (no namespace, current user): runs without root.
describe('supervisor', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hds-sup-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts detached, reports alive, is idempotent, stops the whole group', async () => {
    const spec = { name: 'sleeper', command: 'sh', args: ['-c', 'sleep 60 & echo started; wait'] };
    const a = await startProcess(dir, spec, { graceMs: 200 });
    expect(a.alreadyRunning).toBe(false);
    expect((await processStatus(dir, 'sleeper')).alive).toBe(true);
    expect((await startProcess(dir, spec)).alreadyRunning).toBe(true);
    expect(await stopProcess(dir, 'sleeper', { timeoutMs: 5000 })).toBe(true);
    expect((await processStatus(dir, 'sleeper')).alive).toBe(false);
    expect(await logTail(dir, 'sleeper')).toContain('started');
    expect(await stopProcess(dir, 'sleeper')).toBe(false);
  });

  it('a failed start throws with the log tail (and leaves nothing running)', async () => {
    await expect(startProcess(dir, { name: 'failing', command: 'sh', args: ['-c', 'echo boom-123 >&2; exit 3'] }, { graceMs: 300 })).rejects.toThrow(
      /boom-123/,
    );
    expect(await processStatus(dir, 'failing')).toEqual({ name: 'failing', alive: false });
  });

  it('restarts a process killed with SIGKILL after ~1 s, with a new pid, counted and logged', async () => {
    const a = await startProcess(dir, { name: 'crashy', command: 'sleep', args: ['60'] }, { graceMs: 200 });
    const st0 = await processStatus(dir, 'crashy');
    expect(st0).toMatchObject({ alive: true, pid: a.pid, state: 'running', restarts: 0 });
    expect(st0.supervisorPid).toBeGreaterThan(0);
    // SIGINT is not left ignored in the child (sh ignores it in background jobs).
    const sigIgn = /SigIgn:\s*([0-9a-f]+)/.exec(await readFile(`/proc/${a.pid}/status`, 'utf8'))![1]!;
    expect(BigInt(`0x${sigIgn}`) & 2n).toBe(0n);

    const killedAt = Date.now();
    process.kill(a.pid, 'SIGKILL');
    const during = await until('back-off', async () => ((await processStatus(dir, 'crashy')).state === 'restarting' ? true : undefined), 2000);
    expect(during).toBe(true);
    const st1 = await until(
      'restart',
      async () => {
        const s = await processStatus(dir, 'crashy');
        return s.alive ? s : undefined;
      },
      5000,
    );
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
    expect(st1.pid).not.toBe(a.pid);
    expect(st1).toMatchObject({ state: 'running', restarts: 1, lastExit: 'killed by SIGKILL', supervisorPid: st0.supervisorPid });
    expect(st1.lastExitAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await logTail(dir, 'crashy')).toContain('supervisor: crashy killed by SIGKILL, restart 1 in 1 s');
    // Already supervised: a second start is a no-op.
    expect(await startProcess(dir, { name: 'crashy', command: 'sleep', args: ['60'] })).toEqual({ pid: st1.pid, alreadyRunning: true });
    expect(await stopProcess(dir, 'crashy', { timeoutMs: 5000 })).toBe(true);
    expect(await procAlive(st1.pid!)).toBe(false);
    expect(await procAlive(st0.supervisorPid!)).toBe(false);
  });

  it('does not restart a clean exit (code 0, or SIGTERM to the service)', async () => {
    await startProcess(dir, { name: 'oneshot', command: 'sh', args: ['-c', 'sleep 0.5; echo done; exit 0'] }, { graceMs: 100 });
    const st = await until(
      'exit',
      async () => {
        const s = await processStatus(dir, 'oneshot');
        return s.supervisorPid === undefined ? s : undefined;
      },
      5000,
    );
    expect(st).toMatchObject({ alive: false, state: 'exited', restarts: 0, lastExit: 'exited with code 0' });
    await sleep(1500);
    expect(await processStatus(dir, 'oneshot')).toMatchObject({ alive: false, state: 'exited', restarts: 0 });
    expect(await logTail(dir, 'oneshot')).toContain('supervisor: oneshot exited with code 0, not restarted (clean exit)');
    await stopProcess(dir, 'oneshot');

    const b = await startProcess(dir, { name: 'termed', command: 'sleep', args: ['60'] }, { graceMs: 100 });
    process.kill(b.pid, 'SIGTERM');
    const st2 = await until(
      'exit',
      async () => {
        const s = await processStatus(dir, 'termed');
        return s.state === 'exited' ? s : undefined;
      },
      5000,
    );
    expect(st2).toMatchObject({ restarts: 0, lastExit: 'killed by SIGTERM' });
    await stopProcess(dir, 'termed');
  });

  it('stops what a crashed service left in its group before restarting it (systemd KillMode=control-group)', async () => {
    const a = await startProcess(dir, { name: 'leaver', command: 'sh', args: ['-c', 'sleep 60 & echo leftover=$!; sleep 0.5; exit 3'] }, { graceMs: 100 });
    const leftover = await until(
      'leftover pid',
      async () => {
        const m = /leftover=(\d+)/.exec(await logTail(dir, 'leaver'));
        return m ? Number(m[1]) : undefined;
      },
      2000,
    );
    expect(await procAlive(leftover)).toBe(true);
    const st = await until(
      'restart',
      async () => {
        const s = await processStatus(dir, 'leaver');
        return s.alive && s.pid !== a.pid ? s : undefined;
      },
      5000,
    );
    expect(st.restarts).toBe(1);
    expect(await procAlive(leftover)).toBe(false);
    expect(await logTail(dir, 'leaver')).toContain(`supervisor: leaver left process(es) ${leftover} behind, stopping them`);
    await stopProcess(dir, 'leaver', { timeoutMs: 5000 });
  });

  it('runs ExecStartPre before every start, restarts included, and ignores its failure', async () => {
    const marks = join(dir, 'pre-marks');
    // The pre-start appends a line then fails: the service starts anyway (systemd `ExecStartPre=-`).
    const spec = {
      name: 'prestart',
      command: 'sh',
      args: ['-c', 'sleep 0.3; exit 4'],
      execStartPre: { command: 'sh', args: ['-c', `echo pre >> ${marks}; exit 9`] },
      restart: { policy: 'on-failure' as const, delaySec: 0, burst: 2, intervalSec: 60 },
    };
    await startProcess(dir, spec, { graceMs: 0 });
    await until('three starts', async () => ((await processStatus(dir, 'prestart')).state === 'failed' ? true : undefined), 8000);
    expect((await readFile(marks, 'utf8')).trim().split('\n')).toEqual(['pre', 'pre', 'pre']);
    expect(await logTail(dir, 'prestart')).toContain('supervisor: prestart ExecStartPre failed (ignored)');
    await stopProcess(dir, 'prestart', { timeoutMs: 5000 });
  });

  it('refuses an ExecStartPre argument it cannot pass to the shell wrapper safely', () => {
    expect(() => supervisedArgv('/st', { name: 'n', command: 'x', args: [], execStartPre: { command: "/a'b", args: [] } })).toThrow(/execStartPre of n/);
  });

  it('gives up after the start limit', async () => {
    await startProcess(
      dir,
      {
        name: 'flappy',
        command: 'sh',
        args: ['-c', 'sleep 0.3; echo flap; exit 2'],
        restart: { policy: 'on-failure', delaySec: 1, burst: 2, intervalSec: 60 },
      },
      { graceMs: 100 },
    );
    // exits at ~0.3 s, restart 1 in 1 s, exits at ~1.6 s, restart 2 in 2 s, exits at ~3.9 s: limit.
    const st = await until(
      'give-up',
      async () => {
        const s = await processStatus(dir, 'flappy');
        // The wrapper writes `failed`, then exits: wait for both (reading in between is a race).
        return s.state === 'failed' && s.supervisorPid === undefined ? s : undefined;
      },
      10_000,
    );
    expect(st).toMatchObject({ alive: false, restarts: 2, lastExit: 'exited with code 2' });
    const tail = await logTail(dir, 'flappy');
    expect(tail).toContain('supervisor: flappy exited with code 2, restart 1 in 1 s');
    expect(tail).toContain('supervisor: flappy exited with code 2, restart 2 in 2 s');
    expect(tail).toContain('supervisor: flappy exited with code 2, start limit hit (2 restarts within 60 s), giving up');
    // A start after giving up begins afresh (as `systemctl start` after a failure).
    const again = await startProcess(dir, { name: 'flappy', command: 'sleep', args: ['60'] }, { graceMs: 100 });
    expect(await processStatus(dir, 'flappy')).toMatchObject({ alive: true, pid: again.pid, state: 'running', restarts: 0 });
    await stopProcess(dir, 'flappy', { timeoutMs: 5000 });
  });

  it('stopProcess leaves no orphan: wrapper, service and its children, also during a back-off', async () => {
    const spec = { name: 'family', command: 'sh', args: ['-c', 'sleep 60 & sleep 61 & wait'], restart: { policy: 'on-failure' as const, delaySec: 30 } };
    const a = await startProcess(dir, spec, { graceMs: 300 });
    const st = await processStatus(dir, 'family');
    const members = async (pgid: number) => {
      const out: number[] = [];
      const { readdir } = await import('node:fs/promises');
      for (const e of await readdir('/proc')) {
        if (!/^\d+$/.test(e)) continue;
        const s = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        if (s && Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(e));
      }
      return out;
    };
    const group = await members(st.supervisorPid!);
    expect(group).toContain(a.pid);
    expect(group.length).toBeGreaterThanOrEqual(4); // wrapper, sh, two sleeps
    const t0 = Date.now();
    expect(await stopProcess(dir, 'family', { timeoutMs: 5000 })).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const p of group) expect(await procAlive(p)).toBe(false);
    expect(await members(st.supervisorPid!)).toEqual([]);

    // In back-off (30 s): the stop cuts the sleep short.
    const b = await startProcess(dir, { ...spec, command: 'sleep', args: ['60'] }, { graceMs: 200 });
    const sup = (await processStatus(dir, 'family')).supervisorPid!;
    process.kill(b.pid, 'SIGKILL');
    await until(
      'back-off',
      async () => ((await logTail(dir, 'family')).includes('supervisor: family killed by SIGKILL, restart 1 in 30 s') ? true : undefined),
      3000,
    );
    expect((await processStatus(dir, 'family')).state).toBe('restarting');
    const t1 = Date.now();
    expect(await stopProcess(dir, 'family', { timeoutMs: 5000 })).toBe(true);
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(await procAlive(sup)).toBe(false);
    expect(await members(sup)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('as root: the wrapper stays root, the service (and its restart) runs as the spec’s user', async () => {
    const uidOf = async (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
    const a = await startProcess(dir, { name: 'as-daemon', user: 'daemon', command: 'sleep', args: ['60'] }, { graceMs: 300 });
    const st = await processStatus(dir, 'as-daemon');
    expect(await uidOf(a.pid)).toBe(1);
    expect(await uidOf(st.supervisorPid!)).toBe(0);
    process.kill(a.pid, 'SIGKILL');
    const st1 = await until(
      'restart',
      async () => {
        const s = await processStatus(dir, 'as-daemon');
        return s.alive ? s : undefined;
      },
      5000,
    );
    expect(await uidOf(st1.pid!)).toBe(1);
    expect(await stopProcess(dir, 'as-daemon', { timeoutMs: 5000 })).toBe(true);
    expect(await procAlive(st1.pid!)).toBe(false);
  });
});
