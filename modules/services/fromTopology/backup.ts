/**
 * pgBackRest from the topology (EXG_PRA_1, EXG_PRA_2): the repository (repo1) on the first
 * backup server of the backup policy (`Topology.backup.servers[0]`, in the backup site), every
 * PostgreSQL data node a client, all over the backup plane (backup NICs, TLS with client
 * certificates whose CN is the guest name; flows pg-to-backup and backup-to-pg). One
 * renderPgBackRest call per (topology, profile); each guest takes its file.
 *
 * The renderer keys PostgreSQL hosts by a name it also uses for the host's file: the guest
 * name (unique). Stanza = domain.
 *
 * Retention mapping (model → pgBackRest): a full backup a week and a differential a day, so
 * `repo1-retention-full` = `retention.weekly` (full backups kept, type count) and
 * `repo1-retention-diff` = `retention.daily`. pgBackRest has no calendar retention: the monthly
 * and yearly copies of the policy are the PBS/offline copy's job (`keep-monthly`/`keep-yearly`
 * of the vzdump jobs), not repo1's.
 */
import { PORTS } from '../../model/ports.ts';
import { isPgData, pgDomains, pgNodes, repositoryGuest } from '../../model/roles.ts';
import type { BackupPolicy, Guest, Topology } from '../../model/topology.ts';
import { type PgBackRestInput, pgHostConfigPath, renderPgBackRest, repositoryConfigPath } from '../backup/render.ts';
import type { GuestFile } from '../types.ts';
import { at, clientTls, envSecret, memo, place, serverTls } from './common.ts';
import { PG_PATHS, PGBACKREST_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** pgBackRest retention from the model's policy (see the header). */
export function pgbackrestRetention(r: BackupPolicy['retention']): { full: number; diff: number } {
  return { full: Math.max(1, r.weekly), diff: Math.max(1, r.daily) };
}

function hostPaths(p: DeploymentProfile, g: Guest) {
  return { configPath: at(p, g, PGBACKREST_PATHS.config), logPath: at(p, g, PGBACKREST_PATHS.logPath), lockPath: at(p, g, PGBACKREST_PATHS.lockPath) };
}

export function pgbackrestInput(t: Topology, p: DeploymentProfile): PgBackRestInput | undefined {
  const repo = repositoryGuest(t);
  if (!repo || !t.backup) return undefined;
  return {
    repository: {
      site: repo.site,
      address: p.address(repo, 'backup'),
      tlsPort: PORTS.pgbackrestTls,
      repoPath: at(p, repo, PGBACKREST_PATHS.repoPath),
      ...hostPaths(p, repo),
      serverTls: serverTls(p, repo),
      clientTls: { ...clientTls(p, repo), commonName: repo.name },
      cipherPass: envSecret(t, repo.cluster, 'pgbackrest-repo1', 'cipher_pass'),
      retention: pgbackrestRetention(t.backup.retention),
    },
    pgHosts: t.guests.filter(isPgData).map((g) => ({
      site: g.name,
      address: p.address(g, 'backup'),
      tlsPort: PORTS.pgbackrestTls,
      ...hostPaths(p, g),
      // Asynchronous archiving: commits and shutdowns never wait on the backup site (ADR 0006).
      spoolPath: at(p, g, PGBACKREST_PATHS.spoolPath),
      serverTls: serverTls(p, g),
      clientTls: { ...clientTls(p, g), commonName: g.name },
    })),
    stanzas: pgDomains(t).map((d) => ({
      name: d,
      members: pgNodes(t, d).map((g) => ({
        site: g.name,
        pgPath: at(p, g, PG_PATHS.dataDir),
        pgPort: PORTS.postgres,
        socketPath: at(p, g, PG_PATHS.socketDir),
      })),
    })),
  };
}

const rendered = memo((t, p) => {
  const input = pgbackrestInput(t, p);
  return input ? renderPgBackRest(input) : [];
});

/** The repository config for the repository guest, the client config for a data node, nothing else. */
export function pgbackrestFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const files = rendered(t, p);
  if (files.length === 0) return [];
  const path = at(p, g, PGBACKREST_PATHS.config);
  if (g.name === repositoryGuest(t)?.name)
    return [
      place(
        files.find((f) => f.path === repositoryConfigPath()),
        path,
        'the repository config',
        'backup',
        'postgres',
      ),
    ];
  if (isPgData(g))
    return [
      place(
        files.find((f) => f.path === pgHostConfigPath(g.name)),
        path,
        `the pgBackRest config of ${g.name}`,
        'backup',
        'postgres',
      ),
    ];
  return [];
}
