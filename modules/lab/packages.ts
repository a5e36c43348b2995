/**
 * Debian packages the local lab needs (data plane, object store, WAF, HSM, monitoring), as data, with
 * a check (dpkg-query) and an installer (apt-get, root only).
 *
 * Installing must not leave distribution services running on the host: Debian's
 * postgresql-15 creates and starts a `15/main` cluster on the default port and nginx/haproxy/
 * prometheus ship init scripts. The installer blocks service starts with a temporary
 * policy-rc.d (exit 101) when none exists, and drops any PostgreSQL cluster the install
 * itself created.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { exists } from '../runtime/fsutil.ts';

export const LAB_PACKAGES: readonly string[] = [
  'etcd-server',
  'etcd-client',
  'patroni',
  'haproxy',
  'pgbackrest',
  'softhsm2',
  'opensc',
  'libnginx-mod-http-modsecurity',
  'modsecurity-crs',
  'nginx-light',
  'prometheus',
  'prometheus-blackbox-exporter',
  'prometheus-postgres-exporter',
  'prometheus-node-exporter',
  'postgresql-15',
  'python3-psycopg2',
  'python3-etcd',
  // Only "Suggested" by python3-urllib3, but Patroni's etcd3 client fails without it
  // (ModuleNotFoundError: idna) when the DCS is reached over https.
  'python3-idna',
  // Ceph 16 (Pacific) from Debian: the stretched cluster with its object gateways (issue 13,
  // modules/runtime/ceph). ceph-mgr depends on ceph-mgr-modules-core (the prometheus exporter);
  // ceph-common brings the CLI tools (ceph, ceph-authtool, monmaptool, crushtool, rados,
  // radosgw-admin) and the `ceph` user the daemons drop to.
  'ceph-mon',
  'ceph-osd',
  'ceph-mgr',
  'ceph-common',
  'radosgw',
  'iproute2',
  // Drills cut sites and links with packet filters inside the lab's namespaces.
  'iptables',
  'openssl',
  // Restore tests (issue 14, modules/restore/site.ts): the isolated restore site's only ways out
  // are socat relays, and its data directory is on a gocryptfs (FUSE) encrypted store (fuse: fusermount).
  'socat',
  'gocryptfs',
  'fuse',
];

const APT_FLAGS = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends'];

/** The exact command a person runs to install what is missing. */
export function aptInstallCommand(packages: readonly string[]): string {
  return `apt-get ${APT_FLAGS.join(' ')} ${packages.join(' ')}`;
}

/** Packages of `packages` that dpkg does not report as installed. */
export async function missingPackages(packages: readonly string[] = LAB_PACKAGES): Promise<string[]> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
  const format = '${Package}\\t${db:Status-Status}\\n';
  const r = await execa('dpkg-query', ['-W', '-f', format, ...packages], { reject: false, timeout: 60_000 });
  const installed = new Set(
    String(r.stdout)
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name),
  );
  return packages.filter((p) => !installed.has(p));
}

async function pgClusters(): Promise<Set<string>> {
  const r = await execa('pg_lsclusters', ['-h'], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) return new Set();
  return new Set(
    String(r.stdout)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
  );
}

/**
 * Installs the missing lab packages when running as root; otherwise throws a one-line error
 * naming them and the exact apt-get command. Returns the packages it installed.
 */
export async function ensureLabPackages(packages: readonly string[] = LAB_PACKAGES, log: (line: string) => void = () => {}): Promise<string[]> {
  const missing = await missingPackages(packages);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')}; install them as root with: ${aptInstallCommand(missing)}`);
  }
  log(`installing ${missing.join(' ')}`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !(await exists(policy));
  const clustersBefore = await pgClusters();
  if (ownPolicy) await writeFile(policy, '#!/bin/sh\n# written by hdsctl lab while installing packages\nexit 101\n', { mode: 0o755 });
  try {
    const install = () => execa('apt-get', [...APT_FLAGS, ...missing], { reject: false, timeout: 1_800_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    let r = await install();
    if (r.exitCode !== 0) {
      // Typically stale or absent package lists: refresh once and retry.
      await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { reject: false, timeout: 600_000 });
      r = await install();
    }
    if (r.exitCode !== 0) {
      const tail = String(r.stderr || r.stdout)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new Error(`apt-get failed installing ${missing.join(' ')}: ${tail}; run: ${aptInstallCommand(missing)}`);
    }
  } finally {
    if (ownPolicy && (await readFile(policy, 'utf8').catch(() => '')).includes('hdsctl')) await rm(policy, { force: true });
  }
  for (const c of await pgClusters()) {
    if (clustersBefore.has(c)) continue;
    const [version, name] = c.split(' ');
    if (version && name) await execa('pg_dropcluster', ['--stop', version, name], { reject: false, timeout: 120_000 });
  }
  const still = await missingPackages(packages);
  if (still.length > 0) throw new Error(`packages still missing after install: ${still.join(' ')}; run: ${aptInstallCommand(still)}`);
  return missing;
}
