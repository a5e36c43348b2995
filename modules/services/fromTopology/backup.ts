/**
 * pgBackRest from the topology (EXG_PRA_1, EXG_PRA_2): the repository (repo1) on the first
 * backup server of the backup policy (`Topology.backup.servers[0]`, in the backup site), every
 * PostgreSQL data node a client, all over the backup plane (backup NICs, port 8432, TLS with
 * client certificates; flows pg-to-backup and backup-to-pg). One renderPgBackRest call per
 * environment; each guest takes its file.
 *
 * The renderer keys PostgreSQL hosts by `site` because the lab runs one PostgreSQL host per
 * site holding every domain; production runs one host per (domain, site), so the key passed as
 * `site` is the guest name (unique), which also names the host's file. Stanza = domain.
 *
 * Retention mapping (model → pgBackRest), the lab's (modules/lab/fromTopology.ts): a full
 * backup a week and a differential a day, so `repo1-retention-full` = `retention.weekly`
 * (full backups kept, type count) and `repo1-retention-diff` = `retention.daily`. pgBackRest
 * has no calendar retention: the monthly and yearly copies of the policy are the PBS/offline
 * copy's job (`keep-monthly`/`keep-yearly` of the vzdump jobs), not repo1's.
 */
import type { BackupPolicy, Guest, Topology } from '../../model/topology.ts';
import { type PgBackRestInput, pgHostConfigPath, renderPgBackRest, repositoryConfigPath } from '../backup/render.ts';
import type { RenderedFile } from '../types.ts';
import { clientTls, envSecret, isPgData, memo, nicOf, PORTS, pgDomains, pgNodes, place, serverTls } from './common.ts';
import { PG_PATHS } from './postgres.ts';

export const PGBACKREST_PATHS = {
  config: '/etc/pgbackrest/pgbackrest.conf',
  repoPath: '/var/lib/pgbackrest',
  logPath: '/var/log/pgbackrest',
  lockPath: '/tmp/pgbackrest',
} as const;

/** pgBackRest retention from the model's policy (see the header). */
export function pgbackrestRetention(r: BackupPolicy['retention']): { full: number; diff: number } {
  return { full: Math.max(1, r.weekly), diff: Math.max(1, r.daily) };
}

export function repositoryGuest(t: Topology): Guest | undefined {
  const name = t.backup?.servers[0];
  return name ? t.guests.find((g) => g.name === name) : undefined;
}

export function pgbackrestInput(t: Topology): PgBackRestInput | undefined {
  const repo = repositoryGuest(t);
  if (!repo || !t.backup) return undefined;
  const pgGuests = t.guests.filter(isPgData);
  const dirs = { logPath: PGBACKREST_PATHS.logPath, lockPath: PGBACKREST_PATHS.lockPath };
  return {
    repository: {
      site: repo.site,
      address: nicOf(repo, 'backup').ip,
      tlsPort: PORTS.pgbackrestTls,
      repoPath: PGBACKREST_PATHS.repoPath,
      ...dirs,
      serverTls,
      clientTls: { ...clientTls, commonName: repo.name },
      cipherPass: envSecret(t, repo.cluster, 'pgbackrest-repo1', 'cipher_pass'),
      retention: pgbackrestRetention(t.backup.retention),
    },
    pgHosts: pgGuests.map((g) => ({
      site: g.name,
      address: nicOf(g, 'backup').ip,
      tlsPort: PORTS.pgbackrestTls,
      ...dirs,
      serverTls,
      clientTls: { ...clientTls, commonName: g.name },
    })),
    stanzas: pgDomains(t).map((d) => ({
      name: d,
      members: pgNodes(t, d).map((g) => ({ site: g.name, pgPath: PG_PATHS.dataDir, pgPort: PORTS.postgres, socketPath: PG_PATHS.socketDir })),
    })),
  };
}

const rendered = memo((t) => {
  const input = pgbackrestInput(t);
  return input ? renderPgBackRest(input) : [];
});

/** The repository config for the repository guest, the client config for a data node, nothing else. */
export function pgbackrestFilesFor(t: Topology, g: Guest): RenderedFile[] {
  const files = rendered(t);
  if (files.length === 0) return [];
  if (g.name === repositoryGuest(t)?.name)
    return [
      place(
        files.find((f) => f.path === repositoryConfigPath()),
        PGBACKREST_PATHS.config,
        'the repository config',
      ),
    ];
  if (isPgData(g))
    return [
      place(
        files.find((f) => f.path === pgHostConfigPath(g.name)),
        PGBACKREST_PATHS.config,
        `the pgBackRest config of ${g.name}`,
      ),
    ];
  return [];
}
