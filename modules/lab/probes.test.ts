import { describe, expect, it } from 'vitest';
import { etcdClusterVersionDecided } from './probes.ts';

describe('etcdClusterVersionDecided: Patroni starts only once the etcd cluster version is agreed', () => {
  it('is true when every member reports its own major.minor as the cluster version', () => {
    expect(
      etcdClusterVersionDecided([
        { server: '3.4.23', cluster: '3.4.0' },
        { server: '3.4.23', cluster: '3.4.0' },
      ]),
    ).toBe(true);
  });

  it('is false while a member still reports 3.0.0 or not_decided (Patroni would pick /v3alpha, a 404 on 3.4), or answers nothing', () => {
    expect(etcdClusterVersionDecided([{ server: '3.4.23', cluster: '3.0.0' }])).toBe(false);
    expect(
      etcdClusterVersionDecided([
        { server: '3.4.23', cluster: '3.4.0' },
        { server: '3.4.23', cluster: 'not_decided' },
      ]),
    ).toBe(false);
    expect(etcdClusterVersionDecided([{ server: '', cluster: '' }])).toBe(false);
    expect(etcdClusterVersionDecided([])).toBe(false);
  });
});
