import { describe, expect, it } from 'vitest';
import { batchErrors, cephBatchInput, cephToolArgs, lastErrorLine, shlexQuote } from './cli.ts';

const admin = { conf: '/g/etc/ceph/ceph.conf', keyring: '/g/etc/ceph/ceph.client.admin.keyring' };

describe('ceph tools argv', () => {
  it('puts the connection options first, a connect timeout for ceph only', () => {
    expect(cephToolArgs(admin, 'ceph', ['status'])).toEqual(['-c', admin.conf, '-n', 'client.admin', '-k', admin.keyring, '--connect-timeout', '15', 'status']);
    expect(cephToolArgs({ ...admin, connectTimeoutSec: 5 }, 'ceph', [])).toContain('5');
    expect(cephToolArgs(admin, 'radosgw-admin', ['realm', 'list'])).toEqual(['-c', admin.conf, '-n', 'client.admin', '-k', admin.keyring, 'realm', 'list']);
  });
});

describe('batch input (one ceph process, commands on stdin split like Python shlex)', () => {
  it('leaves plain arguments alone and quotes the others', () => {
    expect(shlexQuote('datacenter=dc1')).toBe('datacenter=dc1');
    expect(shlexQuote('mgr/prometheus/x/server_addr')).toBe('mgr/prometheus/x/server_addr');
    expect(shlexQuote('a b')).toBe("'a b'");
    expect(shlexQuote('')).toBe("''");
    expect(shlexQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shlexQuote('$HOME;rm')).toBe("'$HOME;rm'");
  });
  it('refuses a newline (it would start another command)', () => {
    expect(() => shlexQuote('a\nosd pool delete x')).toThrow(/newline/);
  });
  it('one command a line', () => {
    expect(
      cephBatchInput([
        ['osd', 'pool', 'create', '.rgw.root', '8'],
        ['config', 'set', 'mgr', 'k', 'two words'],
      ]),
    ).toBe("osd pool create .rgw.root 8\nconfig set mgr k 'two words'\n");
  });
});

describe('batch errors (the interactive mode reports and goes on)', () => {
  it('finds the error lines among the progress lines', () => {
    const stderr = "pool 't1' created\nenabled application 'rgw' on pool 't1'\nError ENOENT: specified rule nosuchrule doesn't exist\nset pool 7 size to 4\n";
    expect(batchErrors(stderr)).toEqual(["Error ENOENT: specified rule nosuchrule doesn't exist"]);
    expect(batchErrors("pool 't1' created\n")).toEqual([]);
    expect(batchErrors('Invalid command: unused arguments\n')).toEqual(['Invalid command: unused arguments']);
  });
  it('the last meaningful line of a tool error', () => {
    expect(lastErrorLine('2026 noise\n2026 -1 ceph-mon: error reading /x/monmap: (13) Permission denied\n\n')).toBe(
      '2026 -1 ceph-mon: error reading /x/monmap: (13) Permission denied',
    );
    expect(lastErrorLine('just this\n')).toBe('just this');
    expect(lastErrorLine('')).toBe('');
  });
});
