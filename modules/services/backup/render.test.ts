import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgBackRestInput, type PgBackRestOfflineRepository, renderPgBackRest } from './render.ts';

const tls = (s: string) => ({ certFile: `/tls/${s}.crt`, keyFile: `/tls/${s}.key`, caFile: '/tls/ca.crt' });
const pass = 'x'.repeat(48);
const host = (site: string, address: string) => ({
  site,
  address,
  tlsPort: 8432,
  logPath: `/log/${site}`,
  lockPath: `/lock/${site}`,
  serverTls: tls(site),
  clientTls: { certFile: `/tls/pgbr-${site}.crt`, keyFile: `/tls/pgbr-${site}.key`, commonName: `pgbackrest-${site.toLowerCase()}` },
});
const input: PgBackRestInput = {
  repository: {
    site: 'DC3',
    address: '10.199.32.10',
    tlsPort: 8432,
    repoPath: '/repo',
    logPath: '/log/DC3',
    lockPath: '/lock/DC3',
    serverTls: tls('DC3'),
    clientTls: { certFile: '/tls/repo.crt', keyFile: '/tls/repo.key', commonName: 'pgbackrest-repo' },
    cipherPass: pass,
    retention: { full: 2, diff: 6 },
  },
  pgHosts: [host('DC1', '10.199.0.10'), host('DC2', '10.199.16.10')],
  stanzas: [
    {
      name: 'documents',
      members: [
        { site: 'DC1', pgPath: '/data/dc1', pgPort: 5432, socketPath: '/run/dc1' },
        { site: 'DC2', pgPath: '/data/dc2', pgPort: 5432, socketPath: '/run/dc2' },
      ],
    },
  ],
};

describe('renderPgBackRest', () => {
  const files = renderPgBackRest(input);
  const repo = files.find((f) => f.path === 'repository.conf')!;
  const dc1 = files.find((f) => f.path === 'dc1.conf')!;
  const lines = (s: string) => s.split('\n');

  it('renders the repository and one file per PostgreSQL host, all 0600', () => {
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['repository.conf', 0o600],
      ['dc1.conf', 0o600],
      ['dc2.conf', 0o600],
    ]);
  });

  it('EXG_PRA_2: encrypted repository with retention from the input', () => {
    const l = lines(repo.content);
    expect(l).toContain('repo1-cipher-type=aes-256-cbc');
    expect(l).toContain(`repo1-cipher-pass=${pass}`);
    expect(l).toContain('repo1-retention-full=2');
    expect(l).toContain('repo1-retention-diff=6');
    expect(l).toContain('compress-type=zst');
  });

  it('repository host: TLS server with client CN -> stanza mapping', () => {
    const l = lines(repo.content);
    expect(l).toContain('tls-server-address=10.199.32.10');
    expect(l).toContain('tls-server-cert-file=/tls/DC3.crt');
    expect(l).toContain('tls-server-ca-file=/tls/ca.crt');
    expect(l).toContain('tls-server-auth=pgbackrest-dc1=documents');
    expect(l).toContain('tls-server-auth=pgbackrest-dc2=documents');
  });

  it('repository host reaches pg1/pg2 over TLS to back up from DC3', () => {
    const l = lines(repo.content);
    expect(l).toContain('[documents]');
    expect(l).toContain('pg1-host=10.199.0.10');
    expect(l).toContain('pg1-host-type=tls');
    expect(l).toContain('pg2-host=10.199.16.10');
    expect(l).toContain('pg2-host-cert-file=/tls/repo.crt');
    expect(l).toContain('pg2-path=/data/dc2');
  });

  it('PostgreSQL host: repo1-host-type=tls, no cipher pass, serves the repository CN', () => {
    const l = lines(dc1.content);
    expect(l).toContain('repo1-host=10.199.32.10');
    expect(l).toContain('repo1-host-type=tls');
    expect(l).toContain('repo1-host-cert-file=/tls/pgbr-DC1.crt');
    expect(l).toContain('repo1-host-ca-file=/tls/ca.crt');
    expect(l).toContain('tls-server-auth=pgbackrest-repo=documents');
    expect(l).toContain('pg1-path=/data/dc1');
    expect(dc1.content).not.toContain('cipher-pass');
    expect(dc1.content).toContain('lock-path=/lock/DC1');
  });

  it("points each side at the other side's config when not in the default location", () => {
    const f = renderPgBackRest({
      ...input,
      repository: { ...input.repository, configPath: '/etc/x/repository.conf' },
      pgHosts: input.pgHosts.map((h) => ({ ...h, configPath: `/etc/x/${h.site}.conf` })),
    });
    expect(f[0]!.content).toContain('pg2-host-config=/etc/x/DC2.conf');
    expect(f[1]!.content).toContain('repo1-host-config=/etc/x/repository.conf');
    expect(repo.content).not.toContain('host-config');
  });

  it('refuses a short passphrase and a zero retention', () => {
    expect(() => renderPgBackRest({ ...input, repository: { ...input.repository, cipherPass: 'short' } })).toThrow(/at least 32/);
    expect(() => renderPgBackRest({ ...input, repository: { ...input.repository, retention: { full: 0, diff: 1 } } })).toThrow(/retention.full/);
  });
});

const s3: PgBackRestOfflineRepository = {
  storage: {
    type: 's3',
    endpoint: '10.38.38.10',
    port: 7443,
    bucket: 'production-pgbackrest-offline',
    region: 'production',
    path: '/pgbackrest',
    caFile: '/tls/ca.crt',
    accessKey: '@@secret:production/backup-dc3/pgbackrest-repo2-s3#access_key@@',
    secretKey: '@@secret:production/backup-dc3/pgbackrest-repo2-s3#secret_key@@',
  },
  cipherPass: 'y'.repeat(48),
  retention: { fullDays: 372, diff: 14, archive: 14 },
};
const posix: PgBackRestOfflineRepository = { ...s3, storage: { type: 'posix', path: '/repo-offline' } };
const withOffline = (o: PgBackRestOfflineRepository): PgBackRestInput => ({ ...input, repository: { ...input.repository, offline: o } });

describe('renderPgBackRest: the offline copy, repo2 (EXG_PRA_2)', () => {
  const lines = (s: string) => s.split('\n');

  it('production: an S3 bucket in path style, verified TLS, its own passphrase, retention in days and WAL for the daily sets', () => {
    const [repo] = renderPgBackRest(withOffline(s3));
    expect(lines(repo!.content)).toEqual(
      expect.arrayContaining([
        'repo2-type=s3',
        'repo2-path=/pgbackrest',
        'repo2-s3-bucket=production-pgbackrest-offline',
        'repo2-s3-endpoint=10.38.38.10',
        'repo2-storage-port=7443',
        'repo2-s3-region=production',
        'repo2-s3-uri-style=path',
        'repo2-storage-ca-file=/tls/ca.crt',
        'repo2-s3-key=@@secret:production/backup-dc3/pgbackrest-repo2-s3#access_key@@',
        'repo2-s3-key-secret=@@secret:production/backup-dc3/pgbackrest-repo2-s3#secret_key@@',
        'repo2-cipher-type=aes-256-cbc',
        `repo2-cipher-pass=${'y'.repeat(48)}`,
        'repo2-retention-full-type=time',
        'repo2-retention-full=372',
        'repo2-retention-diff=14',
        'repo2-retention-archive-type=diff',
        'repo2-retention-archive=14',
      ]),
    );
    expect(repo!.content).not.toContain('repo2-storage-verify-tls');
    // repo1 is unchanged.
    expect(lines(repo!.content)).toEqual(expect.arrayContaining(['repo1-path=/repo', 'repo1-retention-full-type=count', 'repo1-retention-full=2']));
  });

  it('lab: a posix path; no S3 option', () => {
    const [repo] = renderPgBackRest(withOffline(posix));
    expect(lines(repo!.content)).toEqual(expect.arrayContaining(['repo2-type=posix', 'repo2-path=/repo-offline', 'repo2-retention-full-type=time']));
    expect(repo!.content).not.toMatch(/repo2-s3-|repo2-bundle/);
  });

  it('PostgreSQL hosts push WAL to repo2 through the repository host, like repo1, and never hold its secrets', () => {
    const [, dc1] = renderPgBackRest(withOffline(s3));
    expect(lines(dc1!.content)).toEqual(
      expect.arrayContaining([
        'repo2-host=10.199.32.10',
        'repo2-host-type=tls',
        'repo2-host-port=8432',
        'repo2-host-cert-file=/tls/pgbr-DC1.crt',
        'repo2-host-key-file=/tls/pgbr-DC1.key',
        'repo2-host-ca-file=/tls/ca.crt',
      ]),
    );
    expect(dc1!.content).not.toMatch(/cipher-pass|s3-key|repo2-type|repo2-path/);
    const [, plain] = renderPgBackRest(input);
    expect(plain!.content).not.toContain('repo2');
  });

  it('refuses a short or shared passphrase, a zero retention, repo1 and repo2 on one path, a bad bucket or endpoint', () => {
    expect(() => renderPgBackRest(withOffline({ ...s3, cipherPass: 'short' }))).toThrow(/repo2-cipher-pass must be at least 32/);
    expect(() => renderPgBackRest(withOffline({ ...s3, cipherPass: pass }))).toThrow(/its own cipher passphrase/);
    expect(() => renderPgBackRest(withOffline({ ...s3, retention: { ...s3.retention, fullDays: 0 } }))).toThrow(/retention.fullDays/);
    expect(() => renderPgBackRest(withOffline({ ...posix, storage: { type: 'posix', path: '/repo/' } }))).toThrow(/both at/);
    expect(() => renderPgBackRest(withOffline({ ...s3, storage: { ...s3.storage, bucket: 'Offline_Copy' } as typeof s3.storage }))).toThrow(/bucket name/);
    expect(() => renderPgBackRest(withOffline({ ...s3, storage: { ...s3.storage, endpoint: 'https://rgw:7443' } as typeof s3.storage }))).toThrow(/endpoint/);
  });
});

describe('pgBackRest 2.45 reads every rendered file without a warning (option names and values)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-pgbackrest-conf-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  /** `pgbackrest help <command>` with the file as config: pgBackRest parses it, warns on unknown options, fails on bad values. */
  async function check(name: string, content: string, command: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, content);
    const r = spawnSync('pgbackrest', [`--config=${file}`, '--stanza=documents', 'help', command], { encoding: 'utf8' });
    if (r.error) throw r.error;
    return `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => /^(WARN|ERROR):/.test(l))
      .join('\n');
  }

  it('repository host (repo1 alone, with the S3 offline copy, with the posix one) and PostgreSQL host', async () => {
    for (const [name, i] of [
      ['plain', input],
      ['s3', withOffline(s3)],
      ['posix', withOffline(posix)],
    ] as const) {
      const [repo, dc1] = renderPgBackRest(i);
      expect(await check(`${name}-repository.conf`, repo!.content, 'backup'), name).toBe('');
      expect(await check(`${name}-dc1.conf`, dc1!.content, 'archive-push'), name).toBe('');
    }
    // The check can fail: an unknown option and a bad value are reported.
    const [repo] = renderPgBackRest(withOffline(s3));
    expect(await check('bad.conf', repo!.content.replace('repo2-s3-uri-style=path', 'repo2-s3-url-style=path'), 'backup')).toMatch(
      /invalid option 'repo2-s3-url-style'/,
    );
    expect(await check('bad2.conf', repo!.content.replace('repo2-retention-full-type=time', 'repo2-retention-full-type=days'), 'backup')).toMatch(
      /'days' is not allowed for 'repo2-retention-full-type'/,
    );
  });
});

describe('restore sites (restore tests, environment refresh)', () => {
  it('the repository lets the restore site’s CN read every stanza it names; the site’s config holds no passphrase', async () => {
    const { renderRestoreClient } = await import('./render.ts');
    const input = restoreInput();
    const files = renderPgBackRest(input);
    const repo = files.find((f) => f.path === 'repository.conf')!.content;
    expect(repo).toContain('tls-server-auth=lab-restore-site=documents');
    const site = renderRestoreClient({
      repository: input.repository,
      clientTls: { certFile: '/r/conf/client.crt', keyFile: '/r/conf/client.key', caFile: '/r/conf/ca.crt' },
      stanza: 'documents',
      pgPath: '/r/pgdata',
      pgPort: 5432,
      socketPath: '/r/run',
      logPath: '/r/pgbackrest/log',
      lockPath: '/r/pgbackrest/lock',
    });
    expect(site.mode).toBe(0o600);
    expect(site.content).toContain(`repo1-host=${input.repository.address}`);
    expect(site.content).toContain('repo1-host-type=tls');
    expect(site.content).toContain('repo1-host-cert-file=/r/conf/client.crt');
    expect(site.content).toContain('pg1-path=/r/pgdata');
    expect(site.content).not.toMatch(/cipher-pass|repo1-path=/);
  });

  it('refuses a restore client with a CN another host has, or naming an unknown stanza', () => {
    const input = restoreInput();
    input.repository.restoreClients = [{ commonName: input.repository.clientTls.commonName, stanzas: ['documents'] }];
    expect(() => renderPgBackRest(input)).toThrow(/already another host/);
    input.repository.restoreClients = [{ commonName: 'x-restore', stanzas: ['nope'] }];
    expect(() => renderPgBackRest(input)).toThrow(/stanza nope/);
  });
});

function restoreInput(): PgBackRestInput {
  return { ...input, repository: { ...input.repository, restoreClients: [{ commonName: 'lab-restore-site', stanzas: ['documents'] }] } };
}
