/**
 * Supervision in the lab: the monitoring guest's files from the adapter (prometheus.yml, the
 * alert rules — service down, replication lag, no synchronous standby, no write for N minutes,
 * EXG_MON_4 — and blackbox.yml: synthetic user probes through each WAF, EXG_DIS_1.5), run by
 * Prometheus and the blackbox exporter in the monitoring guest's namespace; beside each
 * PostgreSQL node its postgres_exporter, and a node exporter per site namespace (it stands for
 * the node exporter of every guest of that site). Healthy when every target is up and the
 * probes succeed. The backup site's node exporter also reads the repository guest's textfile
 * directory (../backup.ts labBackupTextfileDir): the last-success series of backups, verify and
 * restore tests the hds-backup alerts watch (EXG_PRA_2, EXG_PRA_3).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { PORTS } from '../../model/ports.ts';
import { pgRoleNames } from '../../model/roles.ts';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import type { ProcessSpec } from '../../runtime/process.ts';
import { blackboxProcessSpec, nodeExporterProcessSpec, postgresExporterProcessSpec, prometheusProcessSpec } from '../../runtime/processes/monitoring.ts';
import { MONITORING_PATHS } from '../../services/fromTopology/paths.ts';
import { pgCredentialRef } from '../../services/fromTopology/postgres.ts';
import { labBackupTextfileDir } from '../backup.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { labHasCeph } from './ceph.ts';
import { waitFor } from '../context.ts';
import { edgeSites, monitoringGuest, monitoringSite, prometheusUrl } from '../edgeEndpoints.ts';
import { patroniNodes } from '../endpoints.ts';
import { guestPath, labGuests, labProfileOf, labSecretOf, materialiseGuest } from '../guests.ts';

function passwordFile(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'monitoring', 'pg-monitor-password');
}

/** The monitoring role (member of pg_monitor), created through the write endpoint as superuser. */
async function ensureMonitorRole(ctx: LabContext, domain: string, password: string): Promise<void> {
  const e = edgeSites(ctx.plan)[0]!;
  const ca = await readFile((await ensureLabCa(ctx.paths.pki)).cert);
  const roles = pgRoleNames(domain);
  const client = new pg.Client({
    host: e.pgWriteHost,
    port: e.pgWritePort,
    user: roles.superuser,
    password: await labSecretOf(ctx.plan, pgCredentialRef(ctx.plan.topology, domain, 'superuser')),
    database: 'postgres',
    ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const lit = (await client.query<{ q: string }>('select quote_literal($1) as q', [password])).rows[0]!.q;
    const exists = (await client.query('select 1 from pg_roles where rolname = $1', [roles.monitor])).rowCount;
    await client.query(`${exists ? 'alter' : 'create'} role ${roles.monitor} login password ${lit}`);
    await client.query(`grant pg_monitor to ${roles.monitor}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function monitoringComponent(): LabComponent {
  return {
    name: 'monitoring',
    async prepare(ctx) {
      await ensureDir(join(ctx.paths.etc, 'monitoring'), 0o700);
      const password = await ctx.secret('pg-monitor');
      await writeFileAtomic(passwordFile(ctx), password, { mode: 0o600 });
      for (const d of ctx.plan.postgresDomains) await ensureMonitorRole(ctx, d.name, password);
      const mon = monitoringGuest(ctx.plan);
      await materialiseGuest(ctx, mon);
      await ensureDir(guestPath(ctx.plan, mon, MONITORING_PATHS.dataDir), 0o700);
      const textfiles = backupTextfiles(ctx);
      if (textfiles) await ensureDir(textfiles.dir, 0o755);
    },
    processes: monitoringProcesses,
    async waitHealthy(ctx) {
      const url = prometheusUrl(ctx.plan);
      const query = async (q: string) => {
        const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(3000) });
        const body = (await r.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        return body.data?.result ?? [];
      };
      await waitFor(
        ctx,
        'Prometheus to see every target up and the synthetic probes succeed',
        async () => {
          const up = await query('up');
          const probes = await query('probe_success');
          const down = [...up, ...probes].filter((s) => s.value[1] !== '1').map((s) => `${s.metric.job}/${s.metric.instance}`);
          if (down.length) throw new Error(`not up yet: ${down.join(', ')}`);
          const jobs = new Set(up.map((s) => s.metric.job));
          const missing = ['patroni', 'haproxy', 'postgres', 'node', ...(labHasCeph(ctx.plan) ? ['ceph'] : [])].filter((j) => !jobs.has(j));
          if (missing.length) throw new Error(`no target scraped yet for ${missing.join(', ')}`);
          // Two probes through each WAF (a user's health call, an attack that must be blocked).
          return probes.length >= 2 * edgeSites(ctx.plan).length ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 2000, logs: ['prometheus', 'blackbox'] },
      );
    },
  };
}

/** The repository guest's textfile directory and its site; undefined when the lab has no backup server. */
function backupTextfiles(ctx: Pick<LabContext, 'plan'>): { site: string; dir: string } | undefined {
  const repo = labGuests(ctx.plan).repository;
  return repo ? { site: repo.site, dir: labBackupTextfileDir(ctx.plan) } : undefined;
}

function monitoringProcesses(ctx: LabContext): ProcessSpec[] {
  const plan = ctx.plan;
  const mon = monitoringGuest(plan);
  const monSite = monitoringSite(plan);
  const confDir = guestPath(plan, mon, MONITORING_PATHS.confDir);
  const profile = labProfileOf(plan);
  const exporters: ProcessSpec[] = plan.postgresDomains
    .flatMap((d) => patroniNodes(plan, d.name))
    .map((n) =>
      postgresExporterProcessSpec({
        name: `pg-exporter-${n.name}`,
        netns: n.site.netns,
        listen: `${profile.address(n.guest, 'admin')}:${PORTS.pgExporter}`,
        pg: { host: n.address, port: n.pgPort, database: 'postgres', sslmode: 'require' },
        pgUser: pgRoleNames(n.domain).monitor,
        passwordFile: passwordFile(ctx),
        queriesFile: guestPath(plan, n.guest, MONITORING_PATHS.pgExporterQueries),
      }),
    );
  const textfiles = backupTextfiles(ctx);
  const nodeExporters = plan.sites.map((s) =>
    nodeExporterProcessSpec({
      name: `node-exporter-${s.id.toLowerCase()}`,
      netns: s.netns,
      listen: `${s.address}:${PORTS.nodeExporter}`,
      ...(textfiles && textfiles.site === s.id ? { textfileDir: textfiles.dir } : {}),
    }),
  );
  return [
    ...exporters,
    ...nodeExporters,
    blackboxProcessSpec({ name: 'blackbox', netns: monSite.netns, confDir, listen: `${profile.address(mon, 'admin')}:${PORTS.blackbox}` }),
    prometheusProcessSpec({
      name: 'prometheus',
      netns: monSite.netns,
      confDir,
      dataDir: guestPath(plan, mon, MONITORING_PATHS.dataDir),
      listen: `${profile.address(mon, 'admin')}:${PORTS.prometheusWeb}`,
    }),
  ];
}
