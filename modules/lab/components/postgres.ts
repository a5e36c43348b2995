/**
 * Patroni/PostgreSQL 15, one cluster per business domain: the node of the primary site is
 * started first and must become leader, then the other DC's node must become the
 * synchronous standby (RPO 0, EXG_PCA_2). Runs as user postgres, data under <stateDir>/data.
 */
import { join } from 'node:path';
import { ensureDir, exists } from '../../runtime/fsutil.ts';
import type { ProcessSpec } from '../../runtime/process.ts';
import { pgHostConfigPath } from '../../services/backup/render.ts';
import { type PatroniClusterInput, patroniConfigPath, renderPatroni } from '../../services/postgres/render.ts';
import { installTls, type LabComponent, type LabContext, ownerOf, waitFor, writeRendered } from '../context.ts';
import { etcdMembers, type PatroniNodeEndpoint, patroniNodes, roleNames } from '../endpoints.ts';
import { patroniClusterAny } from '../probes.ts';
import { clientCert, siteCert } from './certs.ts';

const USER = 'postgres';

export function postgresConfRoot(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'postgres');
}

/** Data directory of a Patroni node (pgBackRest's pg1-path too). */
export function pgDataDir(ctx: Pick<LabContext, 'paths'>, node: Pick<PatroniNodeEndpoint, 'name'>): string {
  return join(ctx.paths.data, `pg-${node.name}`);
}

export function pgSocketDir(ctx: Pick<LabContext, 'paths'>, node: Pick<PatroniNodeEndpoint, 'name'>): string {
  return join(ctx.paths.run, `pg-${node.name}`);
}

/** Where the pgBackRest component installs the config of a PostgreSQL host. */
export function pgbackrestConfRoot(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'pgbackrest');
}

async function prepareDomain(ctx: LabContext, domain: string): Promise<void> {
  const owner = ownerOf(ctx.user(USER));
  const root = postgresConfRoot(ctx);
  await ensureDir(root, 0o755);
  const roles = roleNames(domain);
  const cred = async (username: string, secret: string) => ({ username, password: await ctx.secret(secret) });
  const shared = await installTls(join(root, `tls-patroni-${domain}`), 'patroni', await clientCert(ctx, 'patroni'), owner);
  const nodes = patroniNodes(ctx.plan, domain);
  const input: PatroniClusterInput = {
    domain,
    configRoot: root,
    allowedSubnets: [ctx.plan.supernet],
    etcd: {
      hosts: etcdMembers(ctx.plan).map((m) => `${m.site.address}:${m.clientPort}`),
      caFile: shared.caFile,
      certFile: shared.certFile,
      keyFile: shared.keyFile,
    },
    users: {
      superuser: await cred(roles.superuser, `pg-${domain}-superuser`),
      replication: await cred(roles.replication, `pg-${domain}-replication`),
      rewind: await cred(roles.rewind, `pg-${domain}-rewind`),
      app: await cred(roles.app, `pg-${domain}-app`),
      restApi: await cred(roles.restApi, `patroni-${domain}-restapi`),
    },
    nodes: [],
    pgbackrest: { stanza: domain, configPath: '' },
  };
  for (const n of nodes) {
    const nodeDir = join(root, n.name);
    await ensureDir(nodeDir, 0o750, owner);
    const serverTls = await installTls(join(nodeDir, 'tls'), 'server', await siteCert(ctx, n.site), owner);
    await ensureDir(pgDataDir(ctx, n), 0o700, owner);
    await ensureDir(pgSocketDir(ctx, n), 0o755, owner);
    input.nodes.push({
      name: n.name,
      site: n.site.id,
      address: n.site.address,
      pgPort: n.pgPort,
      restPort: n.restPort,
      dataDir: pgDataDir(ctx, n),
      socketDir: pgSocketDir(ctx, n),
      pgpassFile: join(nodeDir, 'pgpass'),
      serverTls,
      clientTls: { certFile: shared.certFile, keyFile: shared.keyFile },
    });
  }
  // All nodes of a site share one pgBackRest host config (one section per stanza); the lab
  // node of a domain is alone on its site, so the cluster-level path is the site's file.
  const files = nodes.flatMap((n) => {
    const perNode = { ...input, pgbackrest: { stanza: domain, configPath: join(pgbackrestConfRoot(ctx), pgHostConfigPath(n.site.id)) } };
    return renderPatroni(perNode).filter((f) => f.path === patroniConfigPath(n) || f.path.endsWith('post-bootstrap.sh'));
  });
  const unique = [...new Map(files.map((f) => [f.path, f])).values()];
  await writeRendered(
    root,
    unique.filter((f) => f.path.includes('/')),
    owner,
  );
  await writeRendered(
    root,
    unique.filter((f) => !f.path.includes('/')),
  ); // post-bootstrap script, root-owned 0755
}

/** True when some node of the domain already has a data directory (a restart, not a bootstrap). */
async function clusterExists(ctx: LabContext, domain: string): Promise<boolean> {
  for (const n of patroniNodes(ctx.plan, domain)) if (await exists(join(pgDataDir(ctx, n), 'PG_VERSION'))) return true;
  return false;
}

function patroniProcess(ctx: LabContext, n: PatroniNodeEndpoint): ProcessSpec {
  return {
    name: n.process,
    netns: n.site.netns,
    user: USER,
    command: '/usr/bin/patroni',
    args: [join(postgresConfRoot(ctx), patroniConfigPath(n))],
    cwd: pgSocketDir(ctx, n),
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
            const c = await patroniClusterAny(
              ctx.plan,
              nodes.map((n) => n.restUrl),
            );
            const leader = c.members.find((m) => m.role === 'leader' && m.state === 'running');
            const sync = c.members.find((m) => m.role === 'sync_standby' && (m.state === 'running' || m.state === 'streaming'));
            if (!leader || !sync) throw new Error(`members: ${c.members.map((m) => `${m.name}=${m.role}/${m.state}`).join(', ') || 'none'}`);
            ctx.log(`${domain}: leader ${leader.name}, sync standby ${sync.name}`);
            return true;
          },
          { timeoutMs: 180_000, logs: nodes.map((n) => n.process) },
        );
      },
    },
  ];
}
