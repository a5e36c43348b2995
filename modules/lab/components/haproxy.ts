/** HAProxy in each DC running PostgreSQL (the first of the model's pair); healthy when its write port reaches the leader. */
import { execa } from 'execa';
import { HAPROXY_PATHS } from '../../services/fromTopology/paths.ts';
import { type LabComponent, waitFor } from '../context.ts';
import { haproxyEndpoints } from '../endpoints.ts';
import { guestPath, materialiseGuest } from '../guests.ts';
import { inRecoveryVia } from '../probes.ts';

const USER = 'haproxy';

export function haproxyComponent(): LabComponent {
  return {
    name: 'haproxy',
    async prepare(ctx) {
      for (const h of haproxyEndpoints(ctx.plan)) {
        await materialiseGuest(ctx, h.guest);
        const path = guestPath(ctx.plan, h.guest, HAPROXY_PATHS.config);
        const check = await execa('haproxy', ['-c', '-q', '-f', path], { reject: false, timeout: 30_000 });
        if (check.exitCode !== 0) throw new Error(`haproxy rejects ${path}: ${String(check.stderr).trim()}`);
      }
    },
    processes(ctx) {
      return haproxyEndpoints(ctx.plan).map((h) => ({
        name: h.process,
        netns: h.site.netns,
        user: USER,
        command: '/usr/sbin/haproxy',
        args: ['-db', '-f', guestPath(ctx.plan, h.guest, HAPROXY_PATHS.config)],
      }));
    },
    async waitHealthy(ctx) {
      for (const h of haproxyEndpoints(ctx.plan)) {
        for (const c of h.clusters) {
          await waitFor(
            ctx,
            `HAProxy ${h.site.id} write port ${c.writePort} to reach the ${c.domain} leader`,
            async () => ((await inRecoveryVia(ctx.plan, c.domain, h.address, c.writePort)) === false ? true : undefined),
            { timeoutMs: 60_000, logs: [h.process] },
          );
        }
      }
    },
  };
}
