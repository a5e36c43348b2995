import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../output.ts';
import { checkRefresh } from './refresh.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'environments');
const ok = { env: 'recette', from: 'lab', target: 'postgres://hds@127.0.0.1:5432/recette_documents', at: '2026-11-30T02:00:00Z' };

describe('hdsctl env refresh: refused before anything runs', () => {
  it('accepts a non-production target from a non-production source; the password is never shown', () => {
    const r = checkRefresh({ ...ok, target: 'postgres://hds:s3cret@127.0.0.1:5432/recette_documents' }, DIR);
    expect(r.at.toISOString()).toBe('2026-11-30T02:00:00.000Z');
    expect(r.target.shown).not.toContain('s3cret');
  });

  it('refuses a production source (pseudonymisation is not built), a production target, and a target that is the source', () => {
    expect(() => checkRefresh({ ...ok, from: 'production' }, DIR)).toThrow(/--from: "production" is refused: it holds production data/);
    expect(() => checkRefresh({ ...ok, env: 'production' }, DIR)).toThrow(/--env: "production" is refused/);
    expect(() => checkRefresh({ ...ok, env: 'lab' }, DIR)).toThrow(/a refresh restores into another environment/);
  });

  it('each missing or malformed flag: one line naming it', () => {
    for (const [flags, re] of [
      [{ ...ok, env: undefined }, /^--env: /],
      [{ ...ok, from: undefined }, /^--from: /],
      [{ ...ok, target: undefined }, /^--target: /],
      [{ ...ok, at: undefined }, /^--at: /],
      [{ ...ok, at: 'tomorrow' }, /--at "tomorrow"/],
      [{ ...ok, target: 'mysql://x' }, /--target .*not a PostgreSQL URL/],
      [{ ...ok, from: 'nope' }, /--from: "nope" is not an environment/],
    ] as const) {
      expect(() => checkRefresh(flags, DIR)).toThrow(CliError);
      expect(() => checkRefresh(flags, DIR)).toThrow(re);
      try {
        checkRefresh(flags, DIR);
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });
});
