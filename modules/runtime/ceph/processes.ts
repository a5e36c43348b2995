/**
 * ProcessSpecs of Ceph daemons: each in the foreground (`-f`), reading its host's ceph.conf,
 * starting as root and dropping to the `ceph` user itself (`--setuser/--setgroup`, exactly as
 * the Debian packages' systemd units `ceph-mon@.service` etc. run them). Pure.
 */
import type { CephDaemon } from '../../services/ceph/render.ts';
import type { ProcessSpec } from '../process.ts';

export const CEPH_BINARIES = {
  mon: '/usr/bin/ceph-mon',
  mgr: '/usr/bin/ceph-mgr',
  osd: '/usr/bin/ceph-osd',
  rgw: '/usr/bin/radosgw',
} as const satisfies Record<CephDaemon['kind'], string>;

/** The supervisor's name of a daemon: `ceph-mon.dc1-ceph-1`, `ceph-osd.3`, `ceph-rgw.dc2-ceph-1`. */
export function cephProcessName(d: Pick<CephDaemon, 'kind' | 'id'>): string {
  return `ceph-${d.kind}.${d.id}`;
}

/** `-i <id>` for mon, mgr, osd; `-n client.rgw.<id>` for a gateway (its entity is a client). */
export function cephIdentityArgs(d: Pick<CephDaemon, 'kind' | 'id' | 'name'>): string[] {
  return d.kind === 'rgw' ? ['-n', d.name] : ['-i', d.id];
}

export interface CephProcessOptions {
  /** Unix user the daemon drops to. @default 'ceph' */
  user?: string;
  /** Network namespace (the lab: the daemon's site). */
  netns?: string;
}

export function cephProcessSpec(d: CephDaemon, opts: CephProcessOptions = {}): ProcessSpec {
  const user = opts.user ?? 'ceph';
  const spec: ProcessSpec = {
    name: cephProcessName(d),
    command: CEPH_BINARIES[d.kind],
    args: ['-f', '-c', d.confPath, ...cephIdentityArgs(d), '--setuser', user, '--setgroup', user],
  };
  if (opts.netns !== undefined) spec.netns = opts.netns;
  return spec;
}
