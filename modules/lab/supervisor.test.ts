import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandArgv } from './command.ts';
import { logTail, processStatus, startProcess, stopProcess } from './supervisor.ts';

describe('commandArgv', () => {
  it('wraps namespace and user', () => {
    expect(commandArgv({ netns: 'ns1', user: 'postgres', command: 'patroni', args: ['/x.yml'] })).toEqual({
      file: 'ip',
      args: ['netns', 'exec', 'ns1', 'setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--no-new-privs', '--', 'patroni', '/x.yml'],
    });
    expect(commandArgv({ command: 'sleep', args: ['1'] })).toEqual({ file: 'sleep', args: ['1'] });
  });
});

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

  it('a failed start throws with the log tail', async () => {
    await expect(startProcess(dir, { name: 'failing', command: 'sh', args: ['-c', 'echo boom-123 >&2; exit 3'] }, { graceMs: 300 })).rejects.toThrow(
      /boom-123/,
    );
  });
});
