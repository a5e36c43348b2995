/** HAProxy in each DC running PostgreSQL; healthy when its write port reaches the leader. */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import { haproxyConfigPath, renderHaproxy } from '../../services/haproxy/render.ts';
import { type LabComponent, type LabContext, ownerOf, waitFor, writeRendered } from '../context.ts';
import { haproxyEndpoints, patroniNodes } from '../endpoints.ts';
import { inRecoveryVia } from '../probes.ts';

const USER = 'haproxy';

function confDir(ctx: LabContext): string {
  return join(ctx.paths.etc, 'haproxy');
}

export function haproxyComponent(): LabComponent {
  return {
    name: 'haproxy',
    async prepare(ctx) {
      const owner = ownerOf(ctx.user(USER));
      await ensureDir(confDir(ctx), 0o755);
      const caFile = join(confDir(ctx), 'ca.crt');
      const ca = await ensureLabCa(ctx.paths.pki);
      await writeFileAtomic(caFile, await readFile(ca.cert), { mode: 0o644, owner });
      for (const h of haproxyEndpoints(ctx.plan)) {
        const files = renderHaproxy({
          site: h.site.id,
          bindAddress: h.site.address,
          caFile,
          statsPort: h.statsPort,
          clusters: h.clusters.map((c) => ({
            name: c.domain,
            writePort: c.writePort,
            readPort: c.readPort,
            servers: patroniNodes(ctx.plan, c.domain).map((n) => ({ name: n.name, address: n.site.address, pgPort: n.pgPort, restPort: n.restPort })),
          })),
        });
        const [path] = await writeRendered(confDir(ctx), files, owner);
        const check = await execa('haproxy', ['-c', '-q', '-f', path!], { reject: false, timeout: 30_000 });
        if (check.exitCode !== 0) throw new Error(`haproxy rejects ${path}: ${String(check.stderr).trim()}`);
      }
    },
    processes(ctx) {
      return haproxyEndpoints(ctx.plan).map((h) => ({
        name: h.process,
        netns: h.site.netns,
        user: USER,
        command: '/usr/sbin/haproxy',
        args: ['-db', '-f', join(confDir(ctx), haproxyConfigPath(h.site.id))],
      }));
    },
    async waitHealthy(ctx) {
      for (const h of haproxyEndpoints(ctx.plan)) {
        for (const c of h.clusters) {
          await waitFor(
            ctx,
            `HAProxy ${h.site.id} write port ${c.writePort} to reach the ${c.domain} leader`,
            async () => ((await inRecoveryVia(ctx.plan, c.domain, h.site.address, c.writePort)) === false ? true : undefined),
            { timeoutMs: 60_000, logs: [h.process] },
          );
        }
      }
    },
  };
}
