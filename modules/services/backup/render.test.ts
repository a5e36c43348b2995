import { describe, expect, it } from 'vitest';
import { type PgBackRestInput, renderPgBackRest } from './render.ts';

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
