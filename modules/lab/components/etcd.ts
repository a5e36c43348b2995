/** etcd ×3 (the DCS members of DC1, DC2 and the witness in DC3), run as user etcd, healthy when all 3 answer and agree on the cluster version. */

import { ensureDir } from '../../runtime/fsutil.ts';
import { ETCD_PATHS } from '../../services/fromTopology/paths.ts';
import { type LabComponent, type LabContext, ownerOf, waitFor } from '../context.ts';
import { etcdMembers } from '../endpoints.ts';
import { guestPath, materialiseGuest } from '../guests.ts';
import { etcdClusterVersionDecided, etcdHealth, etcdMemberCount, etcdVersions } from '../probes.ts';

const USER = 'etcd';

export function etcdComponent(): LabComponent {
  return {
    name: 'etcd',
    async prepare(ctx: LabContext) {
      const owner = ownerOf(ctx.user(USER));
      for (const m of etcdMembers(ctx.plan)) {
        await materialiseGuest(ctx, m.guest);
        await ensureDir(guestPath(ctx.plan, m.guest, ETCD_PATHS.dataDir), 0o700, owner);
      }
    },
    processes(ctx) {
      return etcdMembers(ctx.plan).map((m) => ({
        name: m.name,
        netns: m.site.netns,
        user: USER,
        command: '/usr/bin/etcd',
        args: ['--config-file', guestPath(ctx.plan, m.guest, ETCD_PATHS.config)],
      }));
    },
    async waitHealthy(ctx) {
      const names = etcdMembers(ctx.plan).map((m) => m.name);
      await waitFor(
        ctx,
        `etcd quorum (${names.length} healthy members)`,
        async () => {
          const h = await etcdHealth(ctx.plan);
          const bad = h.filter((x) => !x.health);
          if (h.length !== names.length || bad.length > 0)
            throw new Error(`unhealthy: ${bad.map((b) => `${b.endpoint} ${b.error ?? ''}`).join('; ') || `${h.length} answers`}`);
          const n = await etcdMemberCount(ctx.plan);
          if (n !== names.length) throw new Error(`member list has ${n} members`);
          // Patroni must not start before the cluster version is decided (probes.ts etcdVersions).
          const v = await etcdVersions(ctx.plan);
          if (!etcdClusterVersionDecided(v))
            throw new Error(`cluster version not decided yet: ${v.map((x) => `${x.endpoint} server ${x.server} cluster ${x.cluster}`).join('; ')}`);
          return true;
        },
        { timeoutMs: 60_000, logs: names },
      );
    },
  };
}
