// EXG_ENV_15: realistic, deterministic synthetic data (unit tier: generation only, no database).
import { mkdtempSync as mkdtempRaw, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPARTEMENTS } from './demography.ts';
import { Generator, type Value } from './generate.ts';
import { isValidNir, isValidRpps } from './identifiers.ts';
import { hasDiacritic } from './names.ts';
import { resolveProfile } from './profile.ts';
import { generateDataset, type GenerateOptions } from './runner.ts';
import { seedFrom } from './rng.ts';
import { DOMAINS, T, TABLES } from './tables.ts';
import { parseTarget, refuseProduction } from './target.ts';

const profile = resolveProfile(undefined);
const made: string[] = [];
function mkdtempSync(prefix: string): string {
  const d = mkdtempRaw(prefix);
  made.push(d);
  return d;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function collect(users: number, seed = 's'): Value[][][] {
  const g = new Generator({ seed: seedFrom(seed), firstUser: 1, users, professionals: 2000, profile });
  const rows: Value[][][] = TABLES.map(() => []);
  const sink = { row: (t: number, v: Value[]) => rows[t]!.push(v) };
  for (let id = 1; id <= users; id++) g.user(id, sink);
  for (let id = 1; id <= 2000; id++) g.professional(id, sink);
  return rows;
}

const base = (o: Partial<GenerateOptions>): GenerateOptions => ({
  users: 3000,
  seed: 'det',
  profile,
  target: { kind: 'null' },
  format: 'pg',
  shard: { index: 1, of: 1 },
  workers: 1,
  chunkSize: 500,
  check: true,
  append: false,
  domains: [...DOMAINS],
  ...o,
});

describe('generated rows (EXG_ENV_15, EXG_ENV_14)', () => {
  const rows = collect(20_000);

  it('identifiers are valid on every row of the sample', () => {
    for (const r of rows[T.identities]!) expect(isValidNir(String(r[1]))).toBe(true);
    for (const r of rows[T.professionals]!) {
      expect(isValidRpps(String(r[1]))).toBe(true);
      expect(r[2]).toBe(`8${r[1]}`);
    }
    for (const r of rows[T.mailboxes]!) expect(String(r[1])).toMatch(/^[12][0-9AB]{14}@patient\.mssante\.fr$/);
  });

  it('references point at existing entities (referential integrity)', () => {
    const users = new Set(rows[T.users]!.map((r) => r[0]));
    const docs = new Set(rows[T.documents]!.map((r) => r[0]));
    const mailboxes = new Set(rows[T.mailboxes]!.map((r) => r[0]));
    const pro = (v: Value | undefined) => v === null || (Number(v) >= 1 && Number(v) <= 2000);
    for (const r of rows[T.documents]!) expect(users.has(r[1]) && pro(r[2])).toBe(true);
    for (const r of rows[T.messages]!) expect(mailboxes.has(r[1]) && pro(r[2]) && (r[6] === null || docs.has(r[6]))).toBe(true);
    for (const r of rows[T.access_traces]!) expect(users.has(r[1]) && pro(r[3]) && (r[5] === null || docs.has(r[5]))).toBe(true);
    for (const r of rows[T.authorisations]!) expect(users.has(r[1]) && pro(r[2])).toBe(true);
    for (const t of [T.identities, T.contacts, T.consents, T.mailboxes, T.events]) for (const r of rows[t]!) expect(users.has(r[t === T.events ? 1 : 0])).toBe(true);
    expect(new Set(rows[T.documents]!.map((r) => r[0])).size).toBe(rows[T.documents]!.length);
    expect(new Set(rows[T.access_traces]!.map((r) => r[0])).size).toBe(rows[T.access_traces]!.length);
  });

  it('a realistic share of names carry accents, hyphens and apostrophes', () => {
    const ids = rows[T.identities]!;
    const accented = ids.filter((r) => hasDiacritic(String(r[3])) || hasDiacritic(String(r[6]))).length / ids.length;
    expect(accented).toBeGreaterThan(0.15);
    expect(accented).toBeLessThan(0.5);
    expect(ids.some((r) => String(r[3]).includes("'"))).toBe(true);
    expect(ids.some((r) => String(r[3]).includes('-'))).toBe(true);
    expect(ids.some((r) => String(r[6]).includes('-'))).toBe(true);
    const pros = rows[T.professionals]!;
    expect(pros.filter((r) => hasDiacritic(String(r[3])) || hasDiacritic(String(r[4]))).length / pros.length).toBeGreaterThan(0.1);
  });

  it('follows the population: sex ratio, ages, départements, statuses', () => {
    const ids = rows[T.identities]!;
    const women = ids.filter((r) => r[7] === 'F').length / ids.length;
    expect(women).toBeGreaterThan(0.5);
    expect(women).toBeLessThan(0.53); // INSEE 2024: 51.6 % women
    const over65 = ids.filter((r) => Number(String(r[8]).slice(0, 4)) <= 1960).length / ids.length;
    expect(over65).toBeGreaterThan(0.18);
    expect(over65).toBeLessThan(0.26);
    const paris = ids.filter((r) => String(r[9]).startsWith('751')).length / ids.length;
    const expected = (0.88 * DEPARTEMENTS.find((d) => d.code === '75')!.population) / DEPARTEMENTS.reduce((s, d) => s + d.population, 0);
    expect(Math.abs(paris - expected)).toBeLessThan(0.006);
    const st = rows[T.users]!;
    const activated = st.filter((r) => r[2] === 'activated').length / st.length;
    expect(Math.abs(activated - 0.1318)).toBeLessThan(0.01);
    const docsPerUser = rows[T.documents]!.length / st.length;
    expect(docsPerUser).toBeGreaterThan(5.3);
    expect(docsPerUser).toBeLessThan(6.8);
  });

  it('never emits tabs, newlines or backslashes (COPY text needs no escaping)', () => {
    let bad = 0;
    for (const t of rows) for (const r of t) for (const v of r) if (typeof v === 'string' && /[\t\n\r\\]/.test(v)) bad++;
    expect(bad).toBe(0);
  });
});

describe('determinism (EXG_ENV_15)', () => {
  it('same seed, same hashes whatever the chunk size, workers and shards; another seed differs', async () => {
    const a = await generateDataset(base({}));
    const b = await generateDataset(base({ chunkSize: 777, workers: 2 }));
    expect(b.hashes).toEqual(a.hashes);
    const s1 = await generateDataset(base({ shard: { index: 1, of: 2 }, chunkSize: 333 }));
    const s2 = await generateDataset(base({ shard: { index: 2, of: 2 }, chunkSize: 333 }));
    for (const t of Object.keys(a.rows)) expect(s1.rows[t]! + s2.rows[t]!).toBe(a.rows[t]);
    const c = await generateDataset(base({ seed: 'other' }));
    expect(c.hashes!['accounts.identities']!.hash).not.toBe(a.hashes!['accounts.identities']!.hash);
  });

  it('files are byte-identical across workers and shards; concatenated parts identical across chunk sizes', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'ds-a-')), mkdtempSync(join(tmpdir(), 'ds-b-')), mkdtempSync(join(tmpdir(), 'ds-c-'))];
    await generateDataset(base({ users: 1500, check: false, format: 'ndjson', target: { kind: 'dir', path: join(dirs[0]!, 'out') } }));
    await generateDataset(base({ users: 1500, check: false, format: 'ndjson', workers: 2, target: { kind: 'dir', path: join(dirs[1]!, 'out') }, shard: { index: 1, of: 2 } }));
    await generateDataset(base({ users: 1500, check: false, format: 'ndjson', workers: 2, target: { kind: 'dir', path: join(dirs[1]!, 'out') }, shard: { index: 2, of: 2 } }));
    await generateDataset(base({ users: 1500, check: false, format: 'ndjson', chunkSize: 400, target: { kind: 'dir', path: join(dirs[2]!, 'out') } }));
    const read = (d: string, table: string) => {
      const dir = join(d, 'out', table);
      return readdirSync(dir)
        .sort()
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('');
    };
    for (const table of ['accounts/identities', 'documents/documents', 'traces/access_traces']) {
      expect(read(dirs[1]!, table)).toBe(read(dirs[0]!, table));
      expect(read(dirs[2]!, table)).toBe(read(dirs[0]!, table));
    }
    expect(JSON.parse(readFileSync(join(dirs[1]!, 'out', 'manifest.json'), 'utf8')).complete).toBe(true);
  });

  it('writes FHIR R4 bulk NDJSON resources', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'ds-f-')), 'fhir');
    await generateDataset(base({ users: 300, check: false, format: 'fhir', target: { kind: 'dir', path: d } }));
    for (const r of ['Patient', 'Practitioner', 'DocumentReference', 'Consent']) {
      const first = readFileSync(join(d, r, readdirSync(join(d, r)).sort()[0]!), 'utf8').split('\n')[0]!;
      expect(JSON.parse(first).resourceType).toBe(r);
    }
    const patient = JSON.parse(readFileSync(join(d, 'Patient', 'part-u0000000001.ndjson'), 'utf8').split('\n')[0]!);
    expect(patient.identifier[0].system).toBe('urn:oid:1.2.250.1.213.1.4.8');
    expect(isValidNir(patient.identifier[0].value)).toBe(true);
  });

  it('refuses a non-empty directory that holds another dataset', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'ds-n-')), 'x');
    await generateDataset(base({ users: 100, check: false, format: 'csv', target: { kind: 'dir', path: d } }));
    await expect(generateDataset(base({ users: 200, check: false, format: 'csv', target: { kind: 'dir', path: d } }))).rejects.toThrow(/already holds another dataset/);
  });
});

describe('targets (EXG_ENV_6)', () => {
  it('refuses production by environment class and by production address', () => {
    expect(() => refuseProduction({ kind: 'null' }, 'production')).toThrow(/production/);
    expect(() => refuseProduction({ kind: 'pg', url: 'postgres://u@10.38.4.2:5432/x' }, undefined)).toThrow(/production supernet/);
    expect(refuseProduction({ kind: 'pg', url: 'postgres://u@10.39.4.2:5432/x' }, 'formation').envClass).toBe('formation');
  });
  it('says how to start the lab when it is not running', () => {
    expect(() => parseTarget('lab', undefined)).toThrow('the lab is not running; start it with `hdsctl lab up`');
  });
  it('rejects a bad profile with a one-line message', () => {
    expect(() => resolveProfile({ documents: { perUserPerYear: -1 } })).toThrow(/\/documents\/perUserPerYear/);
    expect(() => resolveProfile({ nope: 1 })).toThrow(/nope/);
  });
});
