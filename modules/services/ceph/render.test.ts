/**
 * ceph.conf renderer on a synthetic stretched cluster (EXG_SEC_4.1 cephx + msgr2 secure, EXG_PCA_2
 * sizes and failover timings). The same properties on the shipped environments, through the
 * adapter and cloud-init: stacks/ceph.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  CEPH_FAILOVER_TIMINGS,
  type CephClusterInput,
  type CephDaemon,
  type CephHost,
  OSD_MEMORY_TARGET_MIN,
  parseCephConf,
  renderCephConf,
  renderCephConfs,
} from './render.ts';
import { requireSseKmsPolicy } from './rgw.ts';

const SITES = { DC1: '10.0.1.', DC2: '10.0.2.', DC3: '10.0.3.' } as const;

function daemon(kind: CephDaemon['kind'], host: string, site: keyof typeof SITES, n: number, id = host): CephDaemon {
  const name = kind === 'rgw' ? `client.rgw.${id}` : `${kind}.${id}`;
  const root = `/r/${host}`;
  return {
    kind,
    id,
    name,
    host,
    site,
    address: `${SITES[site]}${n}`,
    ports: kind === 'mon' ? [3300] : kind === 'rgw' ? [443] : [],
    dataDir: `${root}/var/lib/ceph/${kind}/ceph-${id}`,
    keyring: `${root}/var/lib/ceph/${kind}/ceph-${id}/keyring`,
    adminSocket: `${root}/var/run/ceph/ceph-${name}.asok`,
    logFile: `${root}/var/log/ceph/ceph-${name}.log`,
    confPath: `${root}/etc/ceph/ceph.conf`,
    ...(kind === 'osd'
      ? { osdUuid: `00000000-0000-8000-8000-00000000000${id}`, crushLocation: `root=default datacenter=${site.toLowerCase()} host=${host}` }
      : {}),
    ...(kind === 'rgw'
      ? { tls: { certFile: `${root}/s.crt`, keyFile: `${root}/s.key`, caFile: `${root}/ca.crt`, clientCert: `${root}/c.crt`, clientKey: `${root}/c.key` } }
      : {}),
  };
}

/** Two OSD hosts per data site (a monitor, a manager and a gateway on the first), a tie-breaker. */
function cluster(lab = false): CephClusterInput {
  const hosts: CephHost[] = (['DC1', 'DC2'] as const).flatMap((site, s) =>
    [1, 2].map((k) => {
      const name = `${site.toLowerCase()}-osd-${k}`;
      const first = k === 1;
      return {
        name,
        site,
        confPath: `/r/${name}/etc/ceph/ceph.conf`,
        runDir: `/r/${name}/var/run/ceph`,
        adminKeyring: `/r/${name}/etc/ceph/ceph.client.admin.keyring`,
        daemons: [
          ...(first ? [daemon('mon', name, site, k), daemon('mgr', name, site, k)] : []),
          daemon('osd', name, site, k, String(s * 2 + k - 1)),
          daemon('rgw', name, site, k),
        ],
      };
    }),
  );
  hosts.push({
    name: 'dc3-mon',
    site: 'DC3',
    confPath: '/r/dc3-mon/etc/ceph/ceph.conf',
    runDir: '/r/dc3-mon/var/run/ceph',
    adminKeyring: '/r/dc3-mon/k',
    daemons: [daemon('mon', 'dc3-mon', 'DC3', 1)],
  });
  return {
    fsid: '8eeff1a8-8fef-833b-90ef-f4ce91eff661',
    publicNetworks: ['10.0.0.0/16'],
    hosts,
    pools: { size: 4, minSize: 2 },
    tuning: lab
      ? {
          osdMemoryTarget: OSD_MEMORY_TARGET_MIN,
          fixedCacheBytes: 128 * 1024 ** 2,
          sparseBlockBytes: 4 * 1024 ** 3,
          monDataAvail: { warn: 5, crit: 2 },
          pgAutoscale: 'off',
        }
      : { osdMemoryTarget: 8 * 1024 ** 3, pgAutoscale: 'on' },
    rgw: {
      realm: 'e',
      zonegroup: 'e',
      zone: 'e-stretched',
      port: 443,
      endpoints: [],
      sse: lab
        ? { backend: 'testing', keys: [{ id: 'documents', key: '@@secret:e/ceph/rgw-sse#documents@@' }] }
        : { backend: 'kmip', servers: { DC1: '10.0.1.9:5696', DC2: '10.0.2.9:5696' } },
      users: [{ uid: 'documents', displayName: 'documents', accessKey: '@@secret:e/ceph/u#access_key@@', secretKey: '@@secret:e/ceph/u#secret_key@@' }],
      buckets: [{ name: 'documents', owner: 'documents', domain: 'documents', kmsKeyId: 'documents', policy: requireSseKmsPolicy('documents') }],
      pgNum: 8,
    },
  };
}

const parsed = (i: CephClusterInput) => renderCephConfs(i).map((f) => ({ file: f, conf: parseCephConf(f.content) }));

describe.each([
  ['production-like', cluster(false)],
  ['lab-like', cluster(true)],
] as const)('renderCephConf, %s', (_n, input) => {
  it('every host: the same fsid, every monitor as a msgr2 address, v1 not bound', () => {
    for (const { conf } of parsed(input)) {
      const g = conf.get('global')!;
      expect(g.get('fsid')).toBe(input.fsid);
      expect(g.get('mon_host')).toBe('[v2:10.0.1.1:3300],[v2:10.0.2.1:3300],[v2:10.0.3.1:3300]');
      expect(g.get('mon_initial_members')).toBe('dc1-osd-1,dc2-osd-1,dc3-mon');
      expect(g.get('ms_bind_msgr1')).toBe('false');
    }
  });

  it('cephx required with signatures, no insecure global_id reclaim, every messenger mode secure', () => {
    for (const { conf } of parsed(input)) {
      const g = conf.get('global')!;
      for (const k of ['auth_cluster_required', 'auth_service_required', 'auth_client_required']) expect(g.get(k)).toBe('cephx');
      for (const k of ['cephx_require_signatures', 'cephx_cluster_require_signatures', 'cephx_service_require_signatures']) expect(g.get(k)).toBe('true');
      expect(g.get('auth_allow_insecure_global_id_reclaim')).toBe('false');
      for (const k of ['ms_cluster_mode', 'ms_service_mode', 'ms_client_mode', 'ms_mon_cluster_mode', 'ms_mon_service_mode', 'ms_mon_client_mode'])
        expect(g.get(k)).toBe('secure');
    }
  });

  it('a section per daemon with its own data, keyring, socket and log; the CLI and [global] have no socket', () => {
    for (const h of input.hosts) {
      const conf = parseCephConf(renderCephConf(input, h.name).content);
      expect(conf.get('global')!.has('admin_socket')).toBe(false);
      expect(conf.get('client.admin')!.get('keyring')).toBe(h.adminKeyring);
      expect(conf.get('client.admin')!.has('admin_socket')).toBe(false);
      expect([...conf.keys()].filter((k) => /^(mon|mgr|osd|client\.rgw)\./.test(k))).toEqual(h.daemons.map((d) => d.name));
      for (const d of h.daemons) {
        const s = conf.get(d.name)!;
        expect([s.get('keyring'), s.get('admin_socket'), s.get('log_file'), s.get('public_addr')]).toEqual([d.keyring, d.adminSocket, d.logFile, d.address]);
        expect(s.get(`${d.kind}_data`)).toBe(d.dataDir);
      }
    }
    const osd = parseCephConf(renderCephConf(input, 'dc2-osd-2').content).get('osd.3')!;
    expect(osd.get('crush_location')).toBe('root=default datacenter=dc2 host=dc2-osd-2');
  });

  it('keys only as paths (cloud-init refuses inline secrets: stacks/ceph.test.ts); a file holding a placeholder is 0600', () => {
    for (const { file } of parsed(input)) {
      // A cephx key is 40 base64 characters starting with AQ; none here, and no `key =` line.
      expect(file.content).not.toMatch(/AQ[A-Za-z0-9+/]{36}==/);
      expect(file.content).not.toMatch(/^\s*key\s*=/m);
      expect(file.content).not.toMatch(/[$%]\{/);
      expect(file.mode).toBe(file.content.includes('@@secret:') ? 0o600 : 0o644);
    }
  });

  it('pools 4 / 2 and the failover timings in [global]; budget well under the 30 s bound', () => {
    for (const { conf } of parsed(input)) {
      const g = conf.get('global')!;
      expect([g.get('osd_pool_default_size'), g.get('osd_pool_default_min_size')]).toEqual(['4', '2']);
      for (const [k, v] of Object.entries(CEPH_FAILOVER_TIMINGS)) expect(g.get(k), k).toBe(String(v));
    }
    const t = CEPH_FAILOVER_TIMINGS;
    expect(t.mon_lease * 2 + t.mon_election_timeout).toBeLessThan(15);
    expect(t.osd_heartbeat_grace).toBeLessThanOrEqual(10);
    expect(t.osd_heartbeat_interval * 3).toBeLessThanOrEqual(t.osd_heartbeat_grace);
    // A session on a lost monitor is given up well before the 30 s bound (Ceph's default: 30 s).
    expect(t.mon_client_ping_timeout).toBeLessThanOrEqual(t.osd_heartbeat_grace);
    expect(t.mon_client_ping_interval * 3).toBeLessThanOrEqual(t.mon_client_ping_timeout);
  });
});

describe('tuning lines appear only when asked (the lab profile asks)', () => {
  const osdOf = (i: CephClusterInput) => parseCephConf(renderCephConf(i, 'dc1-osd-1').content);
  it('lab: fixed 128 MiB cache, 4 GiB sparse files, 5 % / 2 % free-space thresholds, no autoscaler', () => {
    const c = osdOf(cluster(true));
    expect(c.get('osd')!.get('bluestore_cache_autotune')).toBe('false');
    expect(c.get('osd')!.get('bluestore_cache_size')).toBe(String(128 * 1024 ** 2));
    expect(c.get('osd')!.get('bluestore_block_create')).toBe('true');
    expect(c.get('osd')!.get('bluestore_block_size')).toBe(String(4 * 1024 ** 3));
    expect([c.get('global')!.get('mon_data_avail_warn'), c.get('global')!.get('mon_data_avail_crit')]).toEqual(['5', '2']);
    expect(c.get('global')!.get('osd_pool_default_pg_autoscale_mode')).toBe('off');
  });
  it('production: autotuned cache within osd_memory_target, Ceph default thresholds, autoscaler on', () => {
    const c = osdOf(cluster(false));
    expect(c.get('osd')!.get('osd_memory_target')).toBe(String(8 * 1024 ** 3));
    for (const k of ['bluestore_cache_autotune', 'bluestore_cache_size', 'bluestore_block_create', 'bluestore_block_size'])
      expect(c.get('osd')!.has(k), k).toBe(false);
    expect(c.get('global')!.has('mon_data_avail_warn')).toBe(false);
    expect(c.get('global')!.get('osd_pool_default_pg_autoscale_mode')).toBe('on');
  });
  it('no [osd] section on a host without OSD', () => {
    expect(parseCephConf(renderCephConf(cluster(true), 'dc3-mon').content).has('osd')).toBe(false);
  });
});

describe('renderCephConf refuses', () => {
  it('an even number of monitors', () => {
    const i = cluster();
    i.hosts.at(-1)!.daemons = [];
    expect(() => renderCephConf(i, 'dc1-osd-1')).toThrow(/odd number of monitors/);
  });
  it('two daemons sharing an admin socket', () => {
    const i = cluster();
    const [a, b] = i.hosts[0]!.daemons;
    b!.adminSocket = a!.adminSocket;
    expect(() => renderCephConf(i, 'dc1-osd-1')).toThrow(/share the admin socket/);
  });
  it('pools below 3 / 2, an OSD memory target below the floor, a host not in the cluster, a bad fsid', () => {
    const small = cluster();
    small.pools = { size: 2, minSize: 1 };
    expect(() => renderCephConf(small, 'dc1-osd-1')).toThrow(/at least 3 \/ 2/);
    const mem = cluster();
    mem.tuning.osdMemoryTarget = 512 * 1024 ** 2;
    expect(() => renderCephConf(mem, 'dc1-osd-1')).toThrow(/below Ceph's floor/);
    expect(() => renderCephConf(cluster(), 'nope')).toThrow(/not a host/);
    expect(() => renderCephConf({ ...cluster(), fsid: 'x' }, 'dc1-osd-1')).toThrow(/invalid Ceph fsid/);
  });
  it('a gateway in a cluster without RGW', () => {
    const { rgw: _, ...noRgw } = cluster();
    expect(() => renderCephConf(noRgw, 'dc1-osd-1')).toThrow(/declares no RGW/);
  });
});

describe('parseCephConf', () => {
  it('reads sections and keys (spaces in keys as underscores), refuses a line outside any section', () => {
    const c = parseCephConf('# c\n[global]\nfsid = a\nmon host = b\n\n[osd.0]\n; x\nosd_data = /d\n');
    expect(c.get('global')!.get('mon_host')).toBe('b');
    expect(c.get('osd.0')!.get('osd_data')).toBe('/d');
    expect(() => parseCephConf('fsid = a\n')).toThrow(/not a ceph.conf line/);
  });
});
