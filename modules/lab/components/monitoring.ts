/**
 * Supervision in the lab: a postgres_exporter beside each PostgreSQL node, and in DC3 the
 * blackbox exporter (synthetic user probes through each WAF, EXG_DIS_1.5) and Prometheus
 * with the alert rules (service down, replication lag, no synchronous standby, no write for
 * N minutes — EXG_MON_4). Healthy when every target is up and the probes succeed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import type { ProcessSpec } from '../../runtime/process.ts';
import { blackboxProcessSpec, postgresExporterProcessSpec, prometheusProcessSpec } from '../../runtime/processes/monitoring.ts';
import { renderMonitoring } from '../../services/monitoring/render.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { LAB_PORTS, waitFor, writeRendered } from '../context.ts';
import { EDGE_PORTS, edgeSites, monitoringSite, prometheusUrl, refserviceDomain, WAF_SERVER_NAME } from '../edgeEndpoints.ts';
import { haproxyEndpoints, patroniNodes, roleNames } from '../endpoints.ts';

/** Alert when the reference domain has had no insert for this long (EXG_MON_4). */
export const NON_EVENT_MINUTES = 30;
const MONITOR_ROLE = 'monitor';

function confDir(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'monitoring');
}

function passwordFile(ctx: Pick<LabContext, 'paths'>): string {
  return join(confDir(ctx), 'pg-monitor-password');
}

/** The monitoring role (member of pg_monitor), created through the write endpoint as superuser. */
async function ensureMonitorRole(ctx: LabContext, domain: string, password: string): Promise<void> {
  const e = edgeSites(ctx.plan)[0]!;
  const ca = await readFile((await ensureLabCa(ctx.paths.pki)).cert);
  const client = new pg.Client({
    host: e.site.address,
    port: e.pgWritePort,
    user: roleNames(domain).superuser,
    password: await ctx.secret(`pg-${domain}-superuser`),
    database: 'postgres',
    ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const lit = (await client.query<{ q: string }>('select quote_literal($1) as q', [password])).rows[0]!.q;
    const exists = (await client.query('select 1 from pg_roles where rolname = $1', [MONITOR_ROLE])).rowCount;
    await client.query(`${exists ? 'alter' : 'create'} role ${MONITOR_ROLE} login password ${lit}`);
    await client.query(`grant pg_monitor to ${MONITOR_ROLE}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function monitoringComponent(): LabComponent {
  return {
    name: 'monitoring',
    async prepare(ctx) {
      const domains = ctx.plan.postgresDomains.map((d) => d.name);
      await ensureDir(confDir(ctx), 0o700);
      const password = await ctx.secret('pg-monitor');
      await writeFileAtomic(passwordFile(ctx), password, { mode: 0o600 });
      for (const d of domains) await ensureMonitorRole(ctx, d, password);
      await ensureDir(join(ctx.paths.data, 'prometheus'), 0o700);
      const mon = monitoringSite(ctx.plan);
      const edges = edgeSites(ctx.plan);
      const files = renderMonitoring({
        confDir: confDir(ctx),
        caPath: (await ensureLabCa(ctx.paths.pki)).cert,
        externalLabels: { environment: 'lab' },
        patroni: domains.flatMap((d) => patroniNodes(ctx.plan, d).map((n) => ({ target: `${n.site.address}:${n.restPort}`, site: n.site.id, cluster: d }))),
        haproxy: haproxyEndpoints(ctx.plan).map((h) => ({ target: `${h.site.address}:${h.statsPort}`, site: h.site.id })),
        postgresExporters: domains.flatMap((d) =>
          patroniNodes(ctx.plan, d).map((n) => ({ target: `${n.site.address}:${EDGE_PORTS.pgExporter}`, site: n.site.id, cluster: d })),
        ),
        blackboxExporter: `${mon.address}:${EDGE_PORTS.blackbox}`,
        healthProbes: edges.map((e) => ({ name: `${e.waf.process}-health`, url: `${e.waf.url}/health`, site: e.site.id, serverName: WAF_SERVER_NAME })),
        wafBlockingProbes: edges.map((e) => ({
          name: `${e.waf.process}-blocks-sqli`,
          url: `${e.waf.url}/health`,
          site: e.site.id,
          serverName: WAF_SERVER_NAME,
        })),
        nonEvents: [{ database: refserviceDomain(ctx.plan), minutes: NON_EVENT_MINUTES }],
      });
      await writeRendered(confDir(ctx), files);
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
          // Every exporter and Prometheus itself are scraped.
          // Two probes through each WAF (a user's health call, an attack that must be blocked).
          const expectedProbes = 2 * edgeSites(ctx.plan).length;
          return up.length >= monitoringProcesses(ctx).length && probes.length >= expectedProbes ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 2000, logs: ['prometheus', 'blackbox'] },
      );
    },
  };
}

function monitoringProcesses(ctx: LabContext): ProcessSpec[] {
  const mon = monitoringSite(ctx.plan);
  // One exporter per PostgreSQL node, in its namespace (a node may hold several domains).
  const nodes = [...new Map(ctx.plan.postgresDomains.flatMap((d) => patroniNodes(ctx.plan, d.name)).map((n) => [n.site.id, n])).values()];
  const exporters: ProcessSpec[] = nodes.map((n) =>
    postgresExporterProcessSpec({
      name: `pg-exporter-${n.site.id.toLowerCase()}`,
      netns: n.site.netns,
      listen: `${n.site.address}:${EDGE_PORTS.pgExporter}`,
      pg: { host: n.site.address, port: LAB_PORTS.postgres, database: 'postgres', sslmode: 'require' },
      pgUser: MONITOR_ROLE,
      passwordFile: passwordFile(ctx),
    }),
  );
  return [
    ...exporters,
    blackboxProcessSpec({ name: 'blackbox', netns: mon.netns, confDir: confDir(ctx), listen: `${mon.address}:${EDGE_PORTS.blackbox}` }),
    prometheusProcessSpec({
      name: 'prometheus',
      netns: mon.netns,
      confDir: confDir(ctx),
      dataDir: join(ctx.paths.data, 'prometheus'),
      listen: `${mon.address}:${EDGE_PORTS.prometheus}`,
    }),
  ];
}
