/**
 * The tests every PV passes (the drill PV, the restore-test PV), run from each PV's own pv.test.ts
 * with its renderer and fixture: the same bytes whatever the key order of the run, pv.json is the
 * whole run and its SHA-256 is printed, a self-contained HTML page, the files written all or
 * nothing. For tests only (it registers vitest tests).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lang } from '../../../policies/types.ts';
import { OutputError } from '../../loader/safeOutput.ts';
import { jsonSha256 } from './json.ts';
import { ABSOLUTE_PATH, reversedKeys } from './testing.ts';
import { PV_FILES, type RenderedPv } from './write.ts';

export interface PvUnderTest<R extends { rex: string }> {
  /** A fresh fixture run each call. */
  fixture: () => R;
  render: (run: R, lang?: Lang) => RenderedPv;
  write: (dir: string, run: R, lang?: Lang) => string[];
}

const LANGS = ['fr', 'en'] as const;
const read = (dir: string, k: keyof RenderedPv) => readFileSync(join(dir, PV_FILES[k]), 'utf8');

export function pvContract<R extends { rex: string }>(pv: PvUnderTest<R>): void {
  describe('every PV’s contract (modules/reports/pv/contract.ts)', () => {
    it('renders the same bytes for the same run, whatever the key order', () => {
      const a = pv.render(pv.fixture());
      expect(pv.render(pv.fixture())).toEqual(a);
      const shuffled = reversedKeys(pv.fixture());
      expect(Object.keys(shuffled)[0]).toBe('rex');
      expect(pv.render(shuffled)).toEqual(a);
    });

    it('pv.json is the whole run, keys sorted, with a final newline; its SHA-256 is printed in the Markdown and the HTML', () => {
      const run = pv.fixture();
      const out = pv.render(run);
      expect(JSON.parse(out.json)).toEqual(run);
      expect(out.json.endsWith('}\n')).toBe(true);
      const top = Object.keys(JSON.parse(out.json));
      expect(top).toEqual([...top].sort());
      const sha = jsonSha256(run);
      expect(sha).toMatch(/^[0-9a-f]{64}$/);
      expect(out.md).toContain(sha);
      expect(out.html).toContain(sha);
      expect(jsonSha256({ ...run, rex: `${run.rex} changed` })).not.toBe(sha);
    });

    it('is a self-contained HTML page in both languages: a CSP that forbids any load, no script, link, image, font or external URL', () => {
      for (const lang of LANGS) {
        const out = pv.render(pv.fixture(), lang);
        expect(out.html).toContain(`<html lang="${lang}">`);
        expect(out.html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
        expect(out.html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|@font-face|url\(|\ssrc=|\shref=/i);
        expect(out.html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
        for (const doc of [out.json, out.md, out.html]) {
          expect(doc).not.toMatch(ABSOLUTE_PATH);
          expect(doc).not.toMatch(/NaN|undefined|\[object Object\]/);
        }
      }
    });

    it('writes pv.json, pv.md and pv.html, again over a previous PV', () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'hds-pv-')), 'run');
      const run = pv.fixture();
      expect(pv.write(dir, run, 'en')).toEqual(['pv.json', 'pv.md', 'pv.html'].map((n) => join(dir, n)));
      const out = pv.render(run, 'en');
      for (const k of ['json', 'md', 'html'] as const) expect(read(dir, k)).toBe(out[k]);
      pv.write(dir, { ...run, rex: 'REX written after the run' });
      expect(read(dir, 'md')).toContain('REX written after the run');
    });

    it('writes nothing when one of the files cannot be written, and keeps the previous PV', () => {
      const dir = mkdtempSync(join(tmpdir(), 'hds-pv-'));
      pv.write(dir, pv.fixture());
      const first = pv.render(pv.fixture());
      rmSync(join(dir, 'pv.html'));
      mkdirSync(join(dir, 'pv.html'));
      expect(() => pv.write(dir, { ...pv.fixture(), rex: 'not written' })).toThrow(OutputError);
      expect(read(dir, 'json')).toBe(first.json);
      expect(read(dir, 'md')).toBe(first.md);
      const empty = mkdtempSync(join(tmpdir(), 'hds-pv-'));
      mkdirSync(join(empty, 'pv.md'));
      expect(() => pv.write(empty, pv.fixture())).toThrow(OutputError);
      expect(existsSync(join(empty, 'pv.json'))).toBe(false);
      expect(existsSync(join(empty, 'pv.html'))).toBe(false);
    });
  });
}
