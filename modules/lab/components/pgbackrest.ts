/**
 * pgBackRest, as two components:
 * - `pgbackrest-servers` (before PostgreSQL): configs, a TLS server on every PostgreSQL site
 *   and the encrypted repository in the backup site (DC3), served by `pgbackrest server`.
 *   It must run before and stop after PostgreSQL: with the repository unreachable,
 *   archive-push (at shutdown) and archive-get (restore_command, at startup) each hang for
 *   about 2 minutes on connection retries.
 * - `pgbackrest-stanzas` (after HAProxy): `stanza-create` then `pgbackrest check` (WAL
 *   archiving end to end) for every domain, from the repository host.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensureDir } from '../../runtime/fsutil.ts';
import { pgHostConfigPath, renderPgBackRest, repositoryConfigPath } from '../../services/backup/render.ts';
import { runCommandOk } from '../command.ts';
import { installTls, LAB_PORTS, type LabComponent, type LabContext, labPaths, ownerOf, waitFor, writeRendered } from '../context.ts';
import { backupSite, patroniNodes, pgSites } from '../endpoints.ts';
import type { LabPlan, LabSite } from '../types.ts';
import { clientCert, siteCert } from './certs.ts';
import { pgbackrestConfRoot, pgDataDir, pgSocketDir } from './postgres.ts';

const USER = 'postgres';
const REPO_CN = 'pgbackrest-repo';

function hostCn(site: LabSite): string {
  return `pgbackrest-${site.id.toLowerCase()}`;
}

function processName(site: LabSite): string {
  return `pgbackrest-${site.id.toLowerCase()}`;
}

function siteDirs(ctx: Pick<LabContext, 'paths'>, site: LabSite) {
  const n = site.id.toLowerCase();
  return { logPath: join(ctx.paths.logs, 'pgbackrest', n), lockPath: join(ctx.paths.run, 'pgbackrest', n) };
}

export function repositoryConfig(plan: LabPlan): string {
  return join(pgbackrestConfRoot({ paths: labPaths(plan.stateDir) }), repositoryConfigPath());
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
      const root = pgbackrestConfRoot(ctx);
      await ensureDir(root, 0o755);
      await ensureDir(join(ctx.paths.logs, 'pgbackrest'), 0o755);
      await ensureDir(join(ctx.paths.run, 'pgbackrest'), 0o755);
      const repoSite = backupSite(ctx.plan);
      const repoDirs = siteDirs(ctx, repoSite);
      await ensureDir(repoDirs.logPath, 0o750, owner);
      await ensureDir(repoDirs.lockPath, 0o750, owner);
      const repoPath = join(ctx.paths.data, 'pgbackrest-repo');
      await ensureDir(repoPath, 0o750, owner);
      const repoServer = await installTls(join(root, 'tls', 'repo-server'), 'server', await siteCert(ctx, repoSite), owner);
      const repoClient = await installTls(join(root, 'tls', 'repo-client'), 'client', await clientCert(ctx, REPO_CN), owner);
      const pgHosts = [];
      for (const site of pgSites(ctx.plan)) {
        const n = site.id.toLowerCase();
        const dirs = siteDirs(ctx, site);
        await ensureDir(dirs.logPath, 0o750, owner);
        await ensureDir(dirs.lockPath, 0o750, owner);
        const serverTls = await installTls(join(root, 'tls', `${n}-server`), 'server', await siteCert(ctx, site), owner);
        const client = await installTls(join(root, 'tls', `${n}-client`), 'client', await clientCert(ctx, hostCn(site)), owner);
        pgHosts.push({
          site: site.id,
          address: site.address,
          tlsPort: LAB_PORTS.pgbackrestTls,
          configPath: join(root, pgHostConfigPath(site.id)),
          ...dirs,
          serverTls,
          clientTls: { certFile: client.certFile, keyFile: client.keyFile, commonName: hostCn(site) },
        });
      }
      const files = renderPgBackRest({
        repository: {
          site: repoSite.id,
          address: repoSite.address,
          tlsPort: LAB_PORTS.pgbackrestTls,
          repoPath,
          configPath: join(root, repositoryConfigPath()),
          ...repoDirs,
          serverTls: repoServer,
          clientTls: { certFile: repoClient.certFile, keyFile: repoClient.keyFile, commonName: REPO_CN },
          cipherPass: await ctx.secret('pgbackrest-repo1-cipher-pass', 48),
          retention: ctx.plan.backupRetention,
        },
        pgHosts,
        stanzas: ctx.plan.postgresDomains.map((d) => ({
          name: d.name,
          members: patroniNodes(ctx.plan, d.name).map((n) => ({
            site: n.site.id,
            pgPath: pgDataDir(ctx, n),
            pgPort: n.pgPort,
            socketPath: pgSocketDir(ctx, n),
          })),
        })),
        compressType: 'zst',
      });
      await writeRendered(root, files, owner);
    },
    processes(ctx) {
      const root = pgbackrestConfRoot(ctx);
      const repoSite = backupSite(ctx.plan);
      return [
        ...pgSites(ctx.plan).map((site) => ({ site, conf: join(root, pgHostConfigPath(site.id)) })),
        { site: repoSite, conf: join(root, repositoryConfigPath()) },
      ].map(({ site, conf }) => ({
        name: processName(site),
        netns: site.netns,
        user: USER,
        command: '/usr/bin/pgbackrest',
        args: [`--config=${conf}`, 'server'],
      }));
    },
    async waitHealthy(ctx) {
      for (const site of [...pgSites(ctx.plan), backupSite(ctx.plan)]) {
        await waitFor(ctx, `pgBackRest TLS server in ${site.id}`, async () => ((await tcpOpen(site.address, LAB_PORTS.pgbackrestTls)) ? true : undefined), {
          timeoutMs: 30_000,
          intervalMs: 300,
          logs: [processName(site)],
        });
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
        await pgbackrestOnRepo(ctx.plan, [`--stanza=${d.name}`, 'stanza-create'], 180_000);
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
