/**
 * Unit: the pure parts of the reversibility data export (EXG_REV_14, CAIH-3-1): file names of
 * tables, psql's \restrict key made stable, RFC 4180 fields, the comparison's messages, and the
 * refusal of bad descriptions. The PostgreSQL round trips are in data.int.test.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_ENCODING, compareTables, csvField, DataError, importDatabase, readTableDescriptions, stableRestrictKey, tableFileBase } from './data.ts';
import { unsafePathReason } from './manifest.ts';

describe('tableFileBase', () => {
  it('keeps ordinary names and the schema.table form the importer reads', () => {
    expect(tableFileBase('public.patients')).toBe('public.patients');
    expect(tableFileBase('clinic.visit_2026-q1')).toBe('clinic.visit_2026-q1');
    expect(tableFileBase('santé.données')).toBe('santé.données');
  });

  it('writes a dot, slash, quote, space or percent inside a name as %XX: unambiguous and safe in a path', () => {
    expect(tableFileBase('a.b.c')).toBe('a.b%2Ec');
    expect(tableFileBase('a%2Eb.c')).toBe('a%252Eb.c');
    expect(tableFileBase('a.b.c')).not.toBe(tableFileBase('a.b%2Ec'));
    expect(tableFileBase('x.../../etc/passwd')).toBe('x.%2E%2E%2F%2E%2E%2Fetc%2Fpasswd');
    for (const t of ['x.a\\b', 'x.line\nbreak', 'x..', 'x.', '..x', 'x.a"b c']) expect(unsafePathReason(`data/d/${tableFileBase(t)}.csv`), t).toBeUndefined();
  });
});

describe('stableRestrictKey', () => {
  const dump = (key: string, body = 'CREATE TABLE public.t (id integer);') =>
    `--\n-- PostgreSQL database dump\n--\n\n\\restrict ${key}\n\n-- Dumped from database version 15.18\n\n${body}\n\n\\unrestrict ${key}\n\n`;

  it('gives the same bytes for the same schema whatever random key pg_dump chose', () => {
    const a = stableRestrictKey(dump('AbC123randomKEY'));
    const b = stableRestrictKey(dump('zzzOtherRandom9'));
    expect(a).toBe(b);
    const key = /^\\restrict ([0-9a-f]{32})$/m.exec(a)?.[1];
    expect(key).toBeDefined();
    expect(a).toContain(`\\unrestrict ${key}`);
    expect(a).not.toContain('AbC123randomKEY');
  });

  it('gives another key for another schema, and leaves a dump without \\restrict as it is', () => {
    expect(stableRestrictKey(dump('k1'))).not.toBe(stableRestrictKey(dump('k1', 'CREATE TABLE public.u (id integer);')));
    const old = '-- PostgreSQL database dump\nCREATE TABLE t (id int);\n';
    expect(stableRestrictKey(old)).toBe(old);
  });

  it('replaces only the key lines, not the key where the content mentions it', () => {
    const s = stableRestrictKey(dump('K9', "COMMENT ON TABLE t IS '\\restrict K9 is not a line';"));
    expect(s).toContain("'\\restrict K9 is not a line'");
  });
});

describe('csvField', () => {
  it('quotes what RFC 4180 requires, and the empty string (NULL is the unquoted empty field)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('')).toBe('""');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('l1\nl2')).toBe('"l1\nl2"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  it('is described the same way in every column description', () => {
    expect(CSV_ENCODING).toMatchObject({ standard: 'RFC 4180', null: 'unquoted empty field', lineEnding: 'LF', header: true });
  });
});

describe('compareTables', () => {
  const e = { 'public.a': { rows: 2, hash: '10' }, 'public.b': { rows: 1, hash: '7' }, 'public.c': { rows: 0, hash: '0' } };

  it('finds nothing when every table has the same rows and hash (extra fields ignored)', () => {
    expect(compareTables({ ...e, 'public.a': { ...e['public.a'], csv: 'data/d/public.a.csv' } } as typeof e, { ...e })).toEqual([]);
  });

  it('names the table and both values for each kind of difference, sorted by table', () => {
    const d = compareTables(e, { 'public.a': { rows: 3, hash: '10' }, 'public.b': { rows: 1, hash: '-8' }, 'public.z': { rows: 4, hash: '5' } });
    expect(d).toEqual([
      'public.a: rows differ (export 2, copy 3)',
      'public.b: content hash differs (export 7, copy -8; 1 rows each)',
      'public.c: missing from the copy (export: 0 rows, hash 0)',
      'public.z: not in the export (copy: 4 rows, hash 5)',
    ]);
  });
});

describe('readTableDescriptions and import inputs', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-rev-desc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const desc = (table: string, csv = `data/d/${tableFileBase(table)}.csv`) =>
    JSON.stringify({
      domain: 'd',
      table,
      csv,
      columns: [{ name: 'id', type: 'integer', nullable: false, position: 1 }],
      primaryKey: ['id'],
      rows: 0,
      fingerprint: { rows: 0, hash: '0' },
      encoding: CSV_ENCODING,
    });

  it('reads the descriptions, sorted, ignoring temp files', async () => {
    const d = path.join(dir, 'ok');
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, 'public.b.columns.json'), desc('public.b'));
    await writeFile(path.join(d, 'public.a.columns.json'), desc('public.a'));
    await writeFile(path.join(d, '.public.c.columns.json.0123456789ab.tmp'), '{');
    expect((await readTableDescriptions(d)).map((x) => x.table)).toEqual(['public.a', 'public.b']);
  });

  it('refuses a description that is not JSON, names another table, or points elsewhere: one line naming the file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['public.a.columns.json', '{"table":', /public\.a\.columns\.json: not JSON/],
      ['public.a.columns.json', desc('public.b'), /public\.a\.columns\.json: \/table: public\.b does not match the file name/],
      ['public.a.columns.json', desc('public.a', '../../etc/passwd'), /public\.a\.columns\.json: \/csv: expected/],
      ['public.a.columns.json', JSON.stringify({ table: 'nodot' }), /\/table: not a `schema\.table` name/],
    ];
    for (const [i, [name, text, re]] of cases.entries()) {
      const d = path.join(dir, `bad${i}`);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, name), text);
      const err = await readTableDescriptions(d).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('refuses an import before connecting: bad database name, missing DDL or dump, a CSV missing for a description', async () => {
    const adminUrl = 'postgresql://nobody@127.0.0.1:1/postgres';
    const d = path.join(dir, 'imp');
    await mkdir(d, { recursive: true });
    await expect(importDatabase({ adminUrl, domain: 'a;drop', dir: d, mode: 'csv' })).rejects.toThrow(/not a database name/);
    await expect(importDatabase({ adminUrl, domain: 'shop', dir: d, mode: 'csv', owner: 'x"y' })).rejects.toThrow(/--owner .* not a role name/);
    await expect(importDatabase({ adminUrl, domain: 'shop', dir: d, mode: 'csv' })).rejects.toThrow(/schema\.sql: missing/);
    await expect(importDatabase({ adminUrl, domain: 'shop', dir: d, mode: 'native' })).rejects.toThrow(/dump\.pgcustom: missing/);
    await writeFile(path.join(d, 'schema.sql'), '');
    await writeFile(path.join(d, 'public.a.columns.json'), desc('public.a'));
    await expect(importDatabase({ adminUrl, domain: 'shop', dir: d, mode: 'csv' })).rejects.toThrow(
      /public\.a\.csv: missing, but public\.a\.columns\.json describes it/,
    );
  });
});
