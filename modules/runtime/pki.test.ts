import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCert, ensureLabCa, leafExtensions } from './pki.ts';

// Unit-level: only runs the local openssl CLI in a temp dir (no root, no network).
describe('lab PKI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hds-pki-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates an ECDSA P-256 CA with a 0600 key and reuses it', async () => {
    const a = await ensureLabCa(dir);
    expect((await stat(a.key)).mode & 0o777).toBe(0o600);
    const text = (await execa('openssl', ['x509', '-in', a.cert, '-noout', '-text'])).stdout;
    expect(text).toContain('prime256v1');
    expect(text).toContain('CA:TRUE');
    const before = await readFile(a.cert, 'utf8');
    await ensureLabCa(dir);
    expect(await readFile(a.cert, 'utf8')).toBe(before);
  });

  it('issues a leaf with SANs and usage, verifiable by the CA, and is idempotent', async () => {
    const req = { name: 'site-dc1', commonName: 'site-dc1', dnsNames: ['dc1.lab'], ipAddresses: ['10.199.0.10'], usage: 'both' as const };
    const p = await ensureCert(dir, req);
    expect((await stat(p.key)).mode & 0o777).toBe(0o600);
    const text = (await execa('openssl', ['x509', '-in', p.cert, '-noout', '-text'])).stdout;
    expect(text).toContain('DNS:dc1.lab');
    expect(text).toContain('IP Address:10.199.0.10');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    await execa('openssl', ['verify', '-CAfile', p.ca, p.cert]);
    const before = await readFile(p.cert, 'utf8');
    await ensureCert(dir, req);
    expect(await readFile(p.cert, 'utf8')).toBe(before);
    await ensureCert(dir, { ...req, ipAddresses: ['10.199.0.11'] });
    expect(await readFile(p.cert, 'utf8')).not.toBe(before);
  });

  it('client certificates carry clientAuth only and need no SAN', () => {
    const ext = leafExtensions({ name: 'c', commonName: 'c', dnsNames: [], ipAddresses: [], usage: 'client' });
    expect(ext).toContain('extendedKeyUsage = clientAuth');
    expect(ext.some((l) => l.startsWith('subjectAltName'))).toBe(false);
  });

  it('rejects unsafe names', async () => {
    await expect(ensureCert(dir, { name: '../x', commonName: 'x', dnsNames: ['x'], ipAddresses: [], usage: 'server' })).rejects.toThrow(
      /invalid certificate name/,
    );
  });
});
