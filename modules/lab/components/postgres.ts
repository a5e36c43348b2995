/**
 * Patroni/PostgreSQL 15, one cluster per business domain: the node of the primary site is
 * started first and must become leader, then the other DC's node must become the
 * synchronous standby (RPO 0, EXG_PCA_2). Runs as user postgres; each node's files, data
 * and sockets are those of its guest (guests.ts), under the guest's root.
 */
import { join } from 'node:path';
import { ensureDir, exists } from '../../runtime/fsutil.ts';
import type { ProcessSpec } from '../../runtime/process.ts';
import { PG_PATHS } from '../../services/fromTopology/paths.ts';
import { type LabComponent, type LabContext, ownerOf, waitFor } from '../context.ts';
import { type PatroniNodeEndpoint, patroniNodes } from '../endpoints.ts';
import { guestPath, materialiseGuest } from '../guests.ts';
import { applyDynamicConfig } from '../patroniApi.ts';
import { patroniClusterAny, replicationState } from '../probes.ts';
import type { LabPlan } from '../types.ts';

const USER = 'postgres';

/** Data directory of a Patroni node (pgBackRest's pg1-path too). */
export function pgDataDir(plan: LabPlan, node: Pick<PatroniNodeEndpoint, 'guest'>): string {
  return guestPath(plan, node.guest, PG_PATHS.dataDir);
}

export function pgSocketDir(plan: LabPlan, node: Pick<PatroniNodeEndpoint, 'guest'>): string {
  return guestPath(plan, node.guest, PG_PATHS.socketDir);
}

async function prepareDomain(ctx: LabContext, domain: string): Promise<void> {
  const owner = ownerOf(ctx.user(USER));
  for (const n of patroniNodes(ctx.plan, domain)) {
    await materialiseGuest(ctx, n.guest);
    await ensureDir(join(pgDataDir(ctx.plan, n), '..'), 0o755, owner);
    await ensureDir(pgDataDir(ctx.plan, n), 0o700, owner);
    await ensureDir(pgSocketDir(ctx.plan, n), 0o755, owner);
    // Patroni writes its pgpass next to the data directory's parent, as the postgres user.
    await ensureDir(guestPath(ctx.plan, n.guest, '/var/lib/postgresql'), 0o755, owner);
  }
}

/** True when some node of the domain already has a data directory (a restart, not a bootstrap). */
async function clusterExists(ctx: LabContext, domain: string): Promise<boolean> {
  for (const n of patroniNodes(ctx.plan, domain)) if (await exists(join(pgDataDir(ctx.plan, n), 'PG_VERSION'))) return true;
  return false;
}

function patroniProcess(ctx: LabContext, n: PatroniNodeEndpoint): ProcessSpec {
  return {
    name: n.process,
    netns: n.site.netns,
    user: USER,
    command: '/usr/bin/patroni',
    args: [guestPath(ctx.plan, n.guest, PG_PATHS.config)],
    cwd: pgSocketDir(ctx.plan, n),
    // As production's systemd drop-in (ADR 0006): fence a postmaster a crashed Patroni left running.
    execStartPre: { command: guestPath(ctx.plan, n.guest, PG_PATHS.fenceScript), args: [] },
  };
}

/** Two components per domain: the primary site's node, then the standby site's node. */
export function postgresComponents(domain: string): LabComponent[] {
  // Decided in prepare, before any node runs (a fresh node creates PG_VERSION within a second).
  let restart = false;
  return [
    {
      name: `postgres-${domain}-primary`,
      stopTimeoutMs: 40_000,
      async prepare(ctx) {
        restart = await clusterExists(ctx, domain);
        await prepareDomain(ctx, domain);
      },
      processes: (ctx) =>
        patroniNodes(ctx.plan, domain)
          .filter((n) => n.role === 'primary')
          .map((n) => patroniProcess(ctx, n)),
      async waitHealthy(ctx) {
        const nodes = patroniNodes(ctx.plan, domain);
        // Existing cluster (restart): the DCS decides who may lead (in synchronous mode only
        // the last leader or its sync standby), so both nodes must run before a leader can
        // be expected; the standby component waits for leader + sync standby.
        if (restart) {
          ctx.log(`${domain}: existing cluster, leader election once both nodes run`);
          return;
        }
        await waitFor(
          ctx,
          `a Patroni leader for ${domain}`,
          async () => {
            const c = await patroniClusterAny(
              ctx.plan,
              nodes.map((n) => n.restUrl),
            );
            const leader = c.members.find((m) => m.role === 'leader' && m.state === 'running');
            if (leader) ctx.log(`${domain}: leader ${leader.name}`);
            return leader ? true : undefined;
          },
          { timeoutMs: 120_000, logs: nodes.filter((n) => n.role === 'primary').map((n) => n.process) },
        );
      },
    },
    {
      name: `postgres-${domain}-standby`,
      stopTimeoutMs: 40_000,
      prepare: async () => {},
      processes: (ctx) =>
        patroniNodes(ctx.plan, domain)
          .filter((n) => n.role === 'standby')
          .map((n) => patroniProcess(ctx, n)),
      async waitHealthy(ctx) {
        const nodes = patroniNodes(ctx.plan, domain);
        await waitFor(
          ctx,
          `a leader and a synchronous standby for ${domain}`,
          async () => {
            // The leader's own pg_stat_replication, not the DCS roles: they can disagree (ADR 0006).
            const r = await replicationState(ctx.plan, domain);
            if (!r.leader || !r.syncStandby)
              throw new Error(
                `primaries: ${r.primaries.join(', ') || 'none'}; streaming synchronous standby: ${r.syncStandby ?? 'none'}; answering: ${r.answered.join(', ') || 'none'}`,
              );
            ctx.log(`${domain}: leader ${r.leader}, sync standby ${r.syncStandby}`);
            return true;
          },
          { timeoutMs: 180_000, logs: nodes.map((n) => n.process) },
        );
        // bootstrap.dcs applies only at bootstrap: bring an older cluster to the rendered design.
        const changed = await applyDynamicConfig(ctx.plan, domain);
        if (changed.length) ctx.log(`${domain}: dynamic configuration updated in the DCS (${changed.join(', ')})`);
      },
    },
  ];
}
