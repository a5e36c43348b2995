/**
 * Service configurations as evidence: the pure renderers of modules/services run on inputs
 * derived from the topology, the way the stacks' `configFor` hook and the lab derive them
 * (addresses from the guests, one Patroni cluster per domain, the etcd DCS, a HAProxy pair per
 * data site, the pgBackRest repository on the first backup server, nginx+ModSecurity per WAF,
 * Prometheus with a health probe per WAF and a non-event rule per domain).
 *
 * What this proves: the configuration the platform renders for this topology has the property
 * (synchronous_mode_strict, TLS floor, cipher type, CRS on, alert rules). What it cannot prove:
 * that a running host uses it — that is the lab's and the drills' job. Secrets are placeholders
 * (`@@secret:…@@`), never values.
 */
import type { Guest, Topology } from '../../modules/model/topology.ts';
import { secretRef } from '../../modules/proxmox/cloudinit/secrets.ts';
import { renderPgBackRest } from '../../modules/services/backup/render.ts';
import { renderEtcd } from '../../modules/services/etcd/render.ts';
import { renderHaproxy } from '../../modules/services/haproxy/render.ts';
import { renderMonitoring } from '../../modules/services/monitoring/render.ts';
import { renderPatroni } from '../../modules/services/postgres/render.ts';
import type { RenderedFile } from '../../modules/services/types.ts';
import { REFERENCE_API_ROUTES, renderWaf } from '../../modules/services/waf/render.ts';
import type { RenderedConfig } from '../types.ts';

/** Default non-event window until Cnam validates thresholds per flow (EXG_MON_4). */
export const DEFAULT_NON_EVENT_MINUTES = 30;

const PKI = '/etc/hds/pki';
const tls = (name: string) => ({ certFile: `${PKI}/${name}.crt`, keyFile: `${PKI}/${name}.key`, caFile: `${PKI}/ca.crt` });
const ip = (g: Guest) => g.nics[0]!.ip;
const lower = (s: string) => s.toLowerCase();

function attempt(service: RenderedConfig['service'], owner: string, render: () => RenderedFile[]): RenderedConfig[] {
  try {
    return render().map((f) => ({ service, owner, path: `${service}/${owner}/${f.path}`, content: f.content }));
  } catch (e) {
    return [{ service, owner, path: `${service}/${owner}`, content: '', error: e instanceof Error ? e.message : String(e) }];
  }
}

function credentials(env: string, domain: string, user: string) {
  return { username: user, password: secretRef(`${env}/pg-${domain}/${user}`, 'password') };
}

function postgres(t: Topology): RenderedConfig[] {
  const env = t.environment.name;
  const pg = t.guests.filter((g) => g.service === 'postgresql');
  const dcs = pg.filter((g) => g.cluster === 'pg-dcs');
  const out: RenderedConfig[] = [];
  if (dcs.length) {
    out.push(
      ...attempt('etcd', 'pg-dcs', () =>
        renderEtcd({
          clusterToken: `${env}-pg-dcs`,
          members: dcs.map((g) => ({
            name: g.name,
            site: g.site,
            address: ip(g),
            clientPort: 2379,
            peerPort: 2380,
            dataDir: '/var/lib/etcd/hds',
            tls: tls(g.name),
          })),
        }),
      ),
    );
  }
  const domains = [...new Set(pg.filter((g) => g.domain).map((g) => g.domain!))];
  for (const domain of domains) {
    const nodes = pg.filter((g) => g.domain === domain && (g.role === 'primary' || g.role === 'standby'));
    out.push(
      ...attempt('postgresql', `pg-${domain}`, () =>
        renderPatroni({
          domain,
          configRoot: '/etc/hds/postgresql',
          allowedSubnets: [t.environment.addressBlock],
          etcd: { hosts: dcs.map((g) => `${ip(g)}:2379`), caFile: `${PKI}/ca.crt`, certFile: `${PKI}/patroni.crt`, keyFile: `${PKI}/patroni.key` },
          users: {
            superuser: credentials(env, domain, 'postgres'),
            replication: credentials(env, domain, 'replicator'),
            rewind: credentials(env, domain, 'rewind'),
            app: credentials(env, domain, `app_${domain}`),
            restApi: credentials(env, domain, 'patroni'),
          },
          pgbackrest: { stanza: domain },
          nodes: nodes.map((g) => ({
            name: g.name,
            site: g.site,
            address: ip(g),
            pgPort: 5432,
            restPort: 8008,
            dataDir: `/var/lib/postgresql/15/${domain}`,
            socketDir: '/run/postgresql',
            pgpassFile: `/var/lib/postgresql/.pgpass-${domain}`,
            serverTls: tls(g.name),
            clientTls: { certFile: `${PKI}/${g.name}-client.crt`, keyFile: `${PKI}/${g.name}-client.key` },
          })),
        }),
      ),
    );
  }
  for (const site of [...new Set(pg.filter((g) => g.role === 'haproxy').map((g) => g.site))]) {
    const lb = pg.find((g) => g.role === 'haproxy' && g.site === site)!;
    out.push(
      ...attempt('haproxy', `pglb-${lower(site)}`, () =>
        renderHaproxy({
          site,
          bindAddress: ip(lb),
          caFile: `${PKI}/ca.crt`,
          statsPort: 8404,
          clusters: domains.map((domain, k) => ({
            name: domain,
            writePort: 5000 + 2 * k,
            readPort: 5001 + 2 * k,
            servers: pg
              .filter((g) => g.domain === domain && (g.role === 'primary' || g.role === 'standby'))
              .map((g) => ({ name: g.name, address: ip(g), pgPort: 5432, restPort: 8008 })),
          })),
        }),
      ),
    );
  }
  return out;
}

function backup(t: Topology): RenderedConfig[] {
  const env = t.environment.name;
  const policy = t.backup;
  const server = policy ? t.guests.find((g) => g.name === policy.servers[0]) : undefined;
  const pg = t.guests.filter((g) => g.service === 'postgresql' && (g.role === 'primary' || g.role === 'standby'));
  if (!policy || !server || pg.length === 0) return [];
  const backupIp = (g: Guest) => (g.nics.find((n) => n.zone === 'backup') ?? g.nics[0]!).ip;
  const sites = [...new Set(pg.map((g) => g.site))].sort();
  const paths = (name: string) => ({ logPath: '/var/log/pgbackrest', lockPath: `/run/pgbackrest-${name}` });
  return attempt('backup', 'pgbackrest', () =>
    renderPgBackRest({
      repository: {
        ...paths('repo'),
        site: server.site,
        address: backupIp(server),
        tlsPort: 8432,
        repoPath: `/srv/pgbackrest/${env}`,
        serverTls: tls(server.name),
        clientTls: { certFile: `${PKI}/${server.name}-client.crt`, keyFile: `${PKI}/${server.name}-client.key`, commonName: `${env}-pgbackrest-repo` },
        cipherPass: secretRef(`${env}/pgbackrest`, 'repo1-cipher-pass'),
        retention: { full: Math.max(1, policy.retention.weekly), diff: Math.max(1, policy.retention.daily) },
      },
      pgHosts: sites.map((site) => {
        const g = pg.find((x) => x.site === site)!;
        return {
          ...paths(lower(site)),
          site,
          address: backupIp(g),
          tlsPort: 8432,
          serverTls: tls(g.name),
          clientTls: {
            certFile: `${PKI}/${lower(site)}-pg-client.crt`,
            keyFile: `${PKI}/${lower(site)}-pg-client.key`,
            commonName: `${env}-pg-${lower(site)}`,
          },
        };
      }),
      stanzas: [...new Set(pg.map((g) => g.domain!))].map((domain) => ({
        name: domain,
        members: pg
          .filter((g) => g.domain === domain)
          .map((g) => ({ site: g.site, pgPath: `/var/lib/postgresql/15/${domain}`, pgPort: 5432, socketPath: '/run/postgresql' })),
      })),
    }),
  );
}

function waf(t: Topology): RenderedConfig[] {
  const ingress = (site: string) => t.guests.filter((g) => g.service === 'openshift' && g.role === 'infra' && g.site === site);
  return t.guests
    .filter((g) => g.service === 'waf')
    .flatMap((g) => {
      // Without OpenShift (the lab), the WAF fronts the reference service on its own host.
      const found = ingress(g.site).map((u) => ({ address: ip(u), port: 443 }));
      const upstreams = found.length ? found : [{ address: '127.0.0.1', port: 8080 }];
      return attempt('waf', g.name, () =>
        renderWaf({
          name: lower(g.name)
            .replace(/[^a-z0-9-]/g, '-')
            .slice(0, 63),
          confDir: '/etc/hds/waf',
          runDir: '/run/hds-waf',
          listen: { address: ip(g), port: 443 },
          tls: { certPath: `${PKI}/${g.name}.crt`, keyPath: `${PKI}/${g.name}.key` },
          upstreams,
          routes: REFERENCE_API_ROUTES,
        }),
      );
    });
}

function monitoring(t: Topology): RenderedConfig[] {
  const mon = t.guests.find((g) => g.service === 'monitoring');
  if (!mon) return [];
  const admin = (g: Guest) => (g.nics.find((n) => n.zone === 'admin') ?? g.nics[0]!).ip;
  const pgNodes = t.guests.filter((g) => g.service === 'postgresql' && (g.role === 'primary' || g.role === 'standby'));
  const wafs = t.guests.filter((g) => g.service === 'waf');
  const domains = [...new Set(pgNodes.map((g) => g.domain!))];
  return attempt('monitoring', mon.name, () =>
    renderMonitoring({
      confDir: '/etc/hds/monitoring',
      caPath: `${PKI}/ca.crt`,
      externalLabels: { environment: t.environment.name },
      patroni: pgNodes.map((g) => ({ target: `${admin(g)}:8008`, site: g.site, cluster: g.domain! })),
      haproxy: t.guests.filter((g) => g.role === 'haproxy').map((g) => ({ target: `${admin(g)}:8404`, site: g.site })),
      postgresExporters: pgNodes.map((g) => ({ target: `${admin(g)}:9187`, site: g.site, cluster: g.domain! })),
      blackboxExporter: '127.0.0.1:9115',
      healthProbes: wafs.map((g) => ({
        name: lower(`${g.name}-health`).slice(0, 63),
        url: `https://${ip(g)}:443/health`,
        site: g.site,
        serverName: `api.${t.environment.name}.hds.internal`,
      })),
      wafBlockingProbes: wafs.map((g) => ({
        name: lower(`${g.name}-blocks`).slice(0, 63),
        url: `https://${ip(g)}:443/health`,
        site: g.site,
        serverName: `api.${t.environment.name}.hds.internal`,
      })),
      nonEvents: domains.map((database) => ({ database, minutes: DEFAULT_NON_EVENT_MINUTES })),
    }),
  );
}

/** Every configuration the renderers produce for this topology (deterministic order). */
export function renderedEvidence(t: Topology): RenderedConfig[] {
  return [...postgres(t), ...backup(t), ...waf(t), ...monitoring(t)];
}
