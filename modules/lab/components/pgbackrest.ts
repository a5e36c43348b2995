/**
 * pgBackRest, as two components:
 * - `pgbackrest-servers` (before PostgreSQL): every PostgreSQL node's client config and the
 *   repository's config (from the adapter, guests.ts), a TLS server on every PostgreSQL node
 *   and on the repository host in the backup site (DC3), served by `pgbackrest server`.
 *   It must run before and stop after PostgreSQL: with the repository unreachable,
 *   archive-push (at shutdown) and archive-get (restore_command, at startup) each hang for
 *   about 2 minutes on connection retries.
 * - `pgbackrest-stanzas` (after HAProxy): `stanza-create` then `pgbackrest check` (WAL
 *   archiving end to end) for every domain, from the repository host.
 */
import { connect } from 'node:net';
import { PORTS } from '../../model/ports.ts';
import type { Guest } from '../../model/topology.ts';
import { ensureDir } from '../../runtime/fsutil.ts';
import { PGBACKREST_PATHS } from '../../services/fromTopology/paths.ts';
import { runCommandOk } from '../command.ts';
import { type LabComponent, ownerOf, waitFor } from '../context.ts';
import { backupSite } from '../endpoints.ts';
import { guestAddress, guestPath, labGuests, labSiteOf, materialiseGuest } from '../guests.ts';
import type { LabPlan } from '../types.ts';

const USER = 'postgres';

function repository(plan: LabPlan): Guest {
  const repo = labGuests(plan).repository;
  if (!repo) throw new Error('the lab environment declares no backup server');
  return repo;
}

/** The guests running `pgbackrest server`: every PostgreSQL node, then the repository. */
function serverGuests(plan: LabPlan): Guest[] {
  return [...labGuests(plan).pgData, repository(plan)];
}

function processName(g: Guest): string {
  return `pgbackrest-${g.name}`;
}

export function repositoryConfig(plan: LabPlan): string {
  return guestPath(plan, repository(plan), PGBACKREST_PATHS.config);
}

function tcpOpen(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

/** Runs `pgbackrest <args>` on the repository host (backup site netns, user postgres). */
export function pgbackrestOnRepo(plan: LabPlan, args: string[], timeoutMs: number) {
  return runCommandOk(
    { netns: backupSite(plan).netns, user: USER, command: 'pgbackrest', args: [`--config=${repositoryConfig(plan)}`, ...args] },
    { timeoutMs },
  );
}

export function pgbackrestServersComponent(): LabComponent {
  return {
    name: 'pgbackrest-servers',
    async prepare(ctx) {
      const owner = ownerOf(ctx.user(USER));
      for (const g of serverGuests(ctx.plan)) {
        await materialiseGuest(ctx, g);
        // The Debian package creates these for user postgres; the lab does it under the guest's root.
        for (const dir of [PGBACKREST_PATHS.logPath, PGBACKREST_PATHS.lockPath, PGBACKREST_PATHS.spoolPath]) {
          await ensureDir(guestPath(ctx.plan, g, dir.slice(0, dir.lastIndexOf('/'))), 0o755);
          await ensureDir(guestPath(ctx.plan, g, dir), 0o750, owner);
        }
      }
      await ensureDir(guestPath(ctx.plan, repository(ctx.plan), PGBACKREST_PATHS.repoPath), 0o750, owner);
      // The offline copy (repo2, a posix path in the lab; modules/lab/backup.ts seals what it holds).
      if (ctx.plan.topology.backup?.offlineCopy) await ensureDir(guestPath(ctx.plan, repository(ctx.plan), PGBACKREST_PATHS.offlineRepoPath), 0o750, owner);
    },
    processes(ctx) {
      return serverGuests(ctx.plan).map((g) => ({
        name: processName(g),
        netns: labSiteOf(ctx.plan, g.site).netns,
        user: USER,
        command: '/usr/bin/pgbackrest',
        args: [`--config=${guestPath(ctx.plan, g, PGBACKREST_PATHS.config)}`, 'server'],
      }));
    },
    async waitHealthy(ctx) {
      for (const g of serverGuests(ctx.plan)) {
        await waitFor(
          ctx,
          `pgBackRest TLS server of ${g.name}`,
          async () => ((await tcpOpen(guestAddress(ctx.plan, g), PORTS.pgbackrestTls)) ? true : undefined),
          { timeoutMs: 30_000, intervalMs: 300, logs: [processName(g)] },
        );
      }
    },
  };
}

export function pgbackrestStanzasComponent(): LabComponent {
  return {
    name: 'pgbackrest-stanzas',
    prepare: async () => {},
    processes: () => [],
    async waitHealthy(ctx) {
      for (const d of ctx.plan.postgresDomains) {
        // The primary archives its first WAL meanwhile: pgBackRest's archive lock on the repository
        // host can be held for a moment (error [050]); like a cron job, try again a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await pgbackrestOnRepo(ctx.plan, [`--stanza=${d.name}`, 'stanza-create'], 180_000);
            break;
          } catch (e) {
            if (attempt >= 5 || !/\[050\]|unable to acquire lock/.test((e as Error).message)) throw e;
            ctx.log(`pgbackrest: stanza ${d.name}: repository lock busy (archiving), retry ${attempt} in ${attempt} s`);
            await new Promise((r) => setTimeout(r, attempt * 1000));
          }
        }
        ctx.log(`pgbackrest: stanza ${d.name} created`);
        await pgbackrestOnRepo(ctx.plan, [`--stanza=${d.name}`, 'check'], 180_000);
        ctx.log(`pgbackrest: check ${d.name} ok (WAL archived to ${backupSite(ctx.plan).id})`);
      }
    },
  };
}

export type BackupType = 'full' | 'diff' | 'incr';

/** Runs a backup of `domain` from the repository host (DC3). */
export async function labBackup(plan: LabPlan, domain: string, type: BackupType = 'full', timeoutMs = 600_000): Promise<void> {
  await pgbackrestOnRepo(plan, [`--stanza=${domain}`, `--type=${type}`, 'backup'], timeoutMs);
}

/** `pgbackrest info --output=json` for `domain`, parsed. */
export async function labBackupInfo(plan: LabPlan, domain: string): Promise<Array<Record<string, unknown>>> {
  const r = await pgbackrestOnRepo(plan, [`--stanza=${domain}`, 'info', '--output=json'], 60_000);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}
