import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secretEncoding } from '../services/secrets.ts';
import { labSecret } from './guests.ts';
import { getOrCreateSecret } from './secrets.ts';
import type { LabPlan } from './types.ts';

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

  it('a field ending in .base64 is standard base64 with padding (RGW decodes strictly), every other base64url', async () => {
    expect([secretEncoding('documents.base64'), secretEncoding('password'), secretEncoding('base64')]).toEqual(['base64', 'base64url', 'base64url']);
    const plan = { stateDir: dir } as LabPlan;
    // 32 bytes: base64 is 44 characters ending in '='; base64url 43 without padding.
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => labSecret(plan, `lab/ceph/k${i}`, 'documents.base64')));
    for (const v of values) {
      expect(v).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(v, 'base64')).toHaveLength(32);
    }
    // 20 random 32-byte keys without one '+' or '/' would be a 1-in-10^9 event: the alphabet really is standard base64.
    expect(values.join('')).toMatch(/[+/]/);
    expect(await labSecret(plan, 'lab/pg/app', 'password')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('rejects path-like names', async () => {
    await expect(getOrCreateSecret(dir, '../x')).rejects.toThrow(/invalid secret name/);
  });
});
