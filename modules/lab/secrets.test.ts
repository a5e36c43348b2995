import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getOrCreateSecret } from './secrets.ts';

describe('lab secrets', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hds-secrets-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates once with 0600 in a 0700 dir, then returns the same value', async () => {
    const a = await getOrCreateSecret(dir, 'pg-superuser');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await getOrCreateSecret(dir, 'pg-superuser')).toBe(a);
    expect((await stat(join(dir, 'secrets', 'pg-superuser'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
  });

  it('is race-free', async () => {
    const values = await Promise.all(Array.from({ length: 8 }, () => getOrCreateSecret(dir, 'raced')));
    expect(new Set(values).size).toBe(1);
  });

  it('rejects path-like names', async () => {
    await expect(getOrCreateSecret(dir, '../x')).rejects.toThrow(/invalid secret name/);
  });
});
