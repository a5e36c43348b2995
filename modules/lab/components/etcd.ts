/** etcd ×3 (DC1, DC2, witness DC3), run as user etcd, healthy when all 3 members answer. */
import { join } from 'node:path';
import { ensureDir } from '../../runtime/fsutil.ts';
import { renderEtcd } from '../../services/etcd/render.ts';
import { installTls, type LabComponent, type LabContext, ownerOf, waitFor, writeRendered } from '../context.ts';
import { etcdMembers } from '../endpoints.ts';
import { etcdHealth, etcdMemberCount } from '../probes.ts';
import { siteCert } from './certs.ts';

const USER = 'etcd';

function confDir(ctx: LabContext): string {
  return join(ctx.paths.etc, 'etcd');
}

export function etcdComponent(): LabComponent {
  return {
    name: 'etcd',
    async prepare(ctx) {
      const owner = ownerOf(ctx.user(USER));
      await ensureDir(confDir(ctx), 0o755);
      const members = [];
      for (const m of etcdMembers(ctx.plan)) {
        const tls = await installTls(join(confDir(ctx), 'tls', m.name), 'server', await siteCert(ctx, m.site), owner);
        const dataDir = join(ctx.paths.data, m.name);
        await ensureDir(dataDir, 0o700, owner);
        members.push({ name: m.name, site: m.site.id, address: m.site.address, clientPort: m.clientPort, peerPort: m.peerPort, dataDir, tls });
      }
      await writeRendered(confDir(ctx), renderEtcd({ clusterToken: 'hds-lab-etcd', members }), owner);
    },
    processes(ctx) {
      return etcdMembers(ctx.plan).map((m) => ({
        name: m.name,
        netns: m.site.netns,
        user: USER,
        command: '/usr/bin/etcd',
        args: ['--config-file', join(confDir(ctx), `${m.name}.yml`)],
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
          return true;
        },
        { timeoutMs: 60_000, logs: names },
      );
    },
  };
}
