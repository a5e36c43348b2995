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
 *
 * The offline copy (`backup.offlineCopy`, EXG_PRA_2; docs/backup.md): repo2 of the repository
 * host, with its own passphrase and a retention in days covering the policy's months and years
 * (pgbackrestOfflineRetention). Production: an S3 bucket with object lock (COMPLIANCE) on the
 * external Ceph cluster of the backup site (`services.ceph.external`), reached on its first
 * node's backup address at the RGW port (offlineCopyBucket: what the external cluster must
 * create); an offline copy without an external cluster is refused. Lab (its profile, or an environment
 * of class lab): a posix path on the repository guest (PGBACKREST_PATHS.offlineRepoPath), which the
 * lab seals file by file (chattr +i) after each offline backup.
 *
 * The schedule (../backup/schedule.ts): systemd timers and services of every stanza's backups,
 * verify, offline copy and restore test, and their recorder script, on the repository guest.
 */
import { PORTS } from '../../model/ports.ts';
import { isPgData, pgDomains, pgNodes, repositoryGuest } from '../../model/roles.ts';
import type { BackupPolicy, Guest, Topology } from '../../model/topology.ts';
import {
  type PgBackRestInput,
  type PgBackRestOfflineRepository,
  type PgBackRestOfflineRetention,
  pgHostConfigPath,
  renderPgBackRest,
  repositoryConfigPath,
} from '../backup/render.ts';
import { type BackupRepo, type BackupUnitsInput, renderBackupUnits, SCHEDULE_FILES } from '../backup/schedule.ts';
import type { BackupAlertInput } from '../monitoring/render.ts';
import type { GuestFile } from '../types.ts';
import { at, clientTls, envSecret, memo, place, serverTls, TLS } from './common.ts';
import { MONITORING_PATHS, PG_PATHS, PGBACKREST_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** pgBackRest retention from the model's policy (see the header). */
export function pgbackrestRetention(r: BackupPolicy['retention']): { full: number; diff: number } {
  return { full: Math.max(1, r.weekly), diff: Math.max(1, r.daily) };
}

/** Days in a month and in a year for the offline copy's retention: a month is at most 31 days, a year 366. */
const DAYS = { week: 7, month: 31, year: 366 } as const;

/**
 * repo2's retention from the model's policy: full backups kept for as many days as the longest of
 * the policy's horizons (yearly, monthly, weekly, daily), differentials and the WAL of point-in-time
 * recovery for the daily horizon. pgBackRest keeps a full until a newer one is that old, so the
 * oldest restore point is at least `fullDays` old.
 */
export function pgbackrestOfflineRetention(r: BackupPolicy['retention']): PgBackRestOfflineRetention {
  const daily = Math.max(1, r.daily);
  return {
    fullDays: Math.max(r.yearly * DAYS.year, r.monthly * DAYS.month, r.weekly * DAYS.week, daily),
    diff: daily,
    archive: daily,
  };
}

/**
 * The offline copy's bucket on the external Ceph cluster, as that cluster must create it (no
 * renderer does yet, index.ts): versioning on, object lock in COMPLIANCE mode with a default
 * retention that outlives every object pgBackRest still needs — the fulls' retention plus the
 * month between two offline fulls (a full is expired only once the next one is `fullDays` old) —
 * so not even the repository host's own key can delete or overwrite a version before then.
 * Undefined without an offline copy.
 */
export function offlineCopyBucket(t: Topology): { name: string; region: string; user: string; objectLock: { mode: 'COMPLIANCE'; days: number } } | undefined {
  if (!t.backup?.offlineCopy) return undefined;
  return {
    name: `${t.environment.name}-pgbackrest-offline`,
    // The external cluster's RGW signs for the platform's zonegroup, named after the environment (ceph.ts).
    region: t.environment.name,
    user: `${t.environment.name}-pgbackrest`,
    objectLock: { mode: 'COMPLIANCE', days: pgbackrestOfflineRetention(t.backup.retention).fullDays + DAYS.month },
  };
}

/** The external Ceph cluster's nodes, those of the backup site first. */
function externalCephNodes(t: Topology): Guest[] {
  const ext = t.guests.filter((g) => g.service === 'ceph' && g.role === 'external');
  return [...ext.filter((g) => g.site === t.backup?.site), ...ext.filter((g) => g.site !== t.backup?.site)];
}

function offlineRepository(t: Topology, p: DeploymentProfile, repo: Guest): PgBackRestOfflineRepository | undefined {
  const b = t.backup;
  if (!b?.offlineCopy) return undefined;
  const common = {
    cipherPass: envSecret(t, repo.cluster, 'pgbackrest-repo2', 'cipher_pass'),
    retention: pgbackrestOfflineRetention(b.retention),
  };
  // The lab (its profile, or an environment of class lab rendered for Proxmox): a posix repository on the repository
  // guest, sealed file by file after each offline backup (modules/lab/backup.ts) — no write-once store there.
  if (p.name === 'lab' || t.environment.class === 'lab')
    return { storage: { type: 'posix', path: at(p, repo, PGBACKREST_PATHS.offlineRepoPath) }, ...common };
  const endpoint = externalCephNodes(t)[0];
  const bucket = offlineCopyBucket(t)!;
  if (!endpoint)
    throw new Error(
      `${t.environment.name}: services.backup.offlineCopy is true but there is no external Ceph cluster for the offline copy's object-lock bucket: declare services.ceph.external on ${b.site}, or set offlineCopy: false`,
    );
  return {
    storage: {
      type: 's3',
      endpoint: p.address(endpoint, 'backup'),
      port: PORTS.cephRgw,
      bucket: bucket.name,
      region: bucket.region,
      path: '/pgbackrest',
      caFile: at(p, repo, TLS.caFile),
      accessKey: envSecret(t, repo.cluster, 'pgbackrest-repo2-s3', 'access_key'),
      secretKey: envSecret(t, repo.cluster, 'pgbackrest-repo2-s3', 'secret_key'),
    },
    ...common,
  };
}

function hostPaths(p: DeploymentProfile, g: Guest) {
  return { configPath: at(p, g, PGBACKREST_PATHS.config), logPath: at(p, g, PGBACKREST_PATHS.logPath), lockPath: at(p, g, PGBACKREST_PATHS.lockPath) };
}

/**
 * The CN of the restore site's client certificate (restore tests and environment refresh,
 * EXG_PRA_3, EXG_DIS_4.2): the repository's TLS server lets it read every stanza.
 */
export function restoreSiteCommonName(t: Topology): string {
  return `${t.environment.name}-restore-site`;
}

export function pgbackrestInput(t: Topology, p: DeploymentProfile): PgBackRestInput | undefined {
  const repo = repositoryGuest(t);
  if (!repo || !t.backup) return undefined;
  const repo2 = offlineRepository(t, p, repo);
  const offline = repo2 ? { offline: repo2 } : {};
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
      ...offline,
      // The restore site (hdsctl restore-test, env refresh) reads every stanza (docs/backup.md).
      restoreClients: [{ commonName: restoreSiteCommonName(t), stanzas: pgDomains(t) }],
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

/** The schedule of the repository guest (../backup/schedule.ts), under profile `p`; undefined without a repository. */
export function backupUnitsInput(t: Topology, p: DeploymentProfile): BackupUnitsInput | undefined {
  const repo = repositoryGuest(t);
  if (!repo || !t.backup) return undefined;
  return {
    environment: t.environment.name,
    stanzas: pgDomains(t),
    offlineCopy: t.backup.offlineCopy,
    configPath: at(p, repo, PGBACKREST_PATHS.config),
    lockDir: at(p, repo, PGBACKREST_PATHS.jobLockDir),
    // repo1 lives on the repository guest's encrypted data volume (modules/proxmox/cloudinit/dataVolume.ts).
    requiresMountsFor: [at(p, repo, PGBACKREST_PATHS.repoPath)],
    recordScript: at(p, repo, PGBACKREST_PATHS.recordScript),
    textfileDir: at(p, repo, MONITORING_PATHS.nodeExporterTextfileDir),
  };
}

const scheduled = memo((t, p) => {
  const input = backupUnitsInput(t, p);
  return input && input.stanzas.length > 0 ? renderBackupUnits(input) : [];
});

/** The schedule's files placed on the repository guest: units in the systemd directory, the recorder script. */
function scheduleFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  return scheduled(t, p).map((f) =>
    place(
      f,
      f.path === SCHEDULE_FILES.recordScript
        ? at(p, g, PGBACKREST_PATHS.recordScript)
        : at(p, g, `${PGBACKREST_PATHS.unitDir}/${f.path.slice(SCHEDULE_FILES.unitDir.length + 1)}`),
      f.path,
      'backup',
    ),
  );
}

/**
 * What the `hds-backup` alerts watch (../monitoring/render.ts): every stanza, in repo1 and, with an
 * offline copy, in repo2. Undefined without a backup policy or without PostgreSQL.
 */
export function backupAlertInput(t: Topology): BackupAlertInput | undefined {
  const stanzas = pgDomains(t);
  if (!t.backup || stanzas.length === 0) return undefined;
  const repos: BackupRepo[] = t.backup.offlineCopy ? ['repo1', 'repo2'] : ['repo1'];
  return { stanzas, repos };
}

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
      ...scheduleFilesFor(t, p, g),
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
