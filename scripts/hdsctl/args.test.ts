/** The one argument-checking mechanism: each bad value is one line with the flag, the value and the fix. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCalendarDate } from '../../modules/loader/dates.ts';
import { calendarDate, checkOptions, environmentsDir, existingDir, existingFile, integer, listOf, oneOf, outputPath } from './args.ts';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('checkOptions', () => {
  it('parses good values and reports every bad one, one line each', () => {
    expect(checkOptions({ slot: '3', lang: 'en' }, { slot: integer(0, 15, 3), lang: oneOf(['fr', 'en'] as const) })).toEqual({ slot: 3, lang: 'en' });
    expect(message(() => checkOptions({ slot: 'abc', lang: 'de' }, { slot: integer(0, 15, 3), lang: oneOf(['fr', 'en'] as const, 'language') }))).toBe(
      '--slot: "abc" is not a whole number; use a whole number from 0 to 15 (e.g. --slot 3)\nerror: --lang: "de" is not a known language; use one of: fr, en (e.g. --lang fr)',
    );
  });

  it('integers: not a number, out of range, separators', () => {
    const users = { users: integer(1, 70_000_000, 100_000) };
    expect(message(() => checkOptions({ users: 'abc' }, users))).toBe(
      '--users: "abc" is not a whole number; use a whole number from 1 to 70,000,000 (e.g. --users 100000)',
    );
    expect(message(() => checkOptions({ users: '1.5' }, users))).toBe(
      '--users: "1.5" is not a whole number; use a whole number from 1 to 70,000,000 (e.g. --users 100000)',
    );
    expect(message(() => checkOptions({ users: '0' }, users))).toBe(
      '--users: "0" is out of range; use a whole number from 1 to 70,000,000 (e.g. --users 100000)',
    );
    expect(message(() => checkOptions({ users: '-3' }, users))).toBe(
      '--users: "-3" is out of range; use a whole number from 1 to 70,000,000 (e.g. --users 100000)',
    );
    expect(checkOptions({ users: '70_000_000' }, users).users).toBe(70_000_000);
    expect(message(() => checkOptions({ chunkSize: '1e3' }, { chunkSize: integer(1, 10, 5) }))).toBe(
      '--chunk-size: "1e3" is not a whole number; use a whole number from 1 to 10 (e.g. --chunk-size 5)',
    );
  });

  it('enums and lists repeat the bad value', () => {
    const spec = { backend: oneOf(['pg', 'local'] as const, 'state backend'), format: listOf(['json', 'sarif', 'md'] as const, 'format') };
    expect(message(() => checkOptions({ backend: 'postgres' }, spec))).toBe(
      '--backend: "postgres" is not a known state backend; use one of: pg, local (e.g. --backend pg)',
    );
    expect(message(() => checkOptions({ format: 'pdf' }, spec))).toBe(
      '--format: "pdf" is not a known format; use a comma list of: json, sarif, md (e.g. --format json,sarif)',
    );
    expect(message(() => checkOptions({ format: 'json,pdf,xml' }, spec))).toBe(
      '--format: "json,pdf,xml" has unknown formats "pdf", "xml"; use a comma list of: json, sarif, md (e.g. --format json,sarif)',
    );
    expect(message(() => checkOptions({ format: 'json,json' }, spec))).toBe(
      '--format: "json,json" names "json" twice; use a comma list of: json, sarif, md (e.g. --format json,sarif)',
    );
  });

  it('dates are real calendar dates', () => {
    const spec = { today: calendarDate('2026-11-23') };
    expect(message(() => checkOptions({ today: '2025-13-45' }, spec))).toBe(
      '--today: "2025-13-45" is not a calendar date (no such month or day); use YYYY-MM-DD (e.g. --today 2026-11-23)',
    );
    expect(message(() => checkOptions({ today: '2099-02-31' }, spec))).toBe(
      '--today: "2099-02-31" is not a calendar date (no such month or day); use YYYY-MM-DD (e.g. --today 2026-11-23)',
    );
    expect(message(() => checkOptions({ today: 'tomorrow' }, spec))).toBe('--today: "tomorrow" is not a date; use YYYY-MM-DD (e.g. --today 2026-11-23)');
    expect(checkOptions({ today: '2028-02-29' }, spec).today).toBe('2028-02-29');
    expect([isCalendarDate('2027-02-29'), isCalendarDate('2028-02-29'), isCalendarDate('2026-04-31'), isCalendarDate('2026-12-31')]).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it('files and directories must exist and be of the right kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-args-'));
    writeFileSync(join(dir, 'w.yaml'), 'waivers: []\n');
    const spec = { waivers: existingFile('a waivers file', 'policies/waivers.yaml'), tf: existingDir('a synthesized cdktf output directory', 'cdktf.out') };
    expect(message(() => checkOptions({ waivers: '/nonexistent/w.yaml' }, spec))).toBe(
      '--waivers: "/nonexistent/w.yaml" does not exist; give a waivers file (e.g. --waivers policies/waivers.yaml)',
    );
    expect(message(() => checkOptions({ waivers: dir }, spec))).toBe(
      `--waivers: "${dir}" is a directory, expected a waivers file; give the file itself (e.g. --waivers policies/waivers.yaml)`,
    );
    expect(message(() => checkOptions({ tf: join(dir, 'w.yaml') }, spec))).toBe(
      `--tf: "${dir}/w.yaml" is a file, expected a synthesized cdktf output directory (e.g. --tf cdktf.out)`,
    );
    expect(message(() => checkOptions({ out: '--json' }, { out: outputPath('cdktf.out') }))).toBe(
      '--out: "--json" looks like an option, not a path; give a directory path (e.g. --out cdktf.out), or ./--json for a name starting with a dash',
    );
    expect(message(() => checkOptions({ out: '' }, { out: outputPath('cdktf.out') }))).toBe('--out: "" is empty; give a directory path (e.g. --out cdktf.out)');
  });

  it('--dir is an environments directory; $HDS_ENVIRONMENTS_DIR is named when it is the source', () => {
    const empty = mkdtempSync(join(tmpdir(), 'hds-args-'));
    expect(message(() => checkOptions({ dir: '/nonexistent' }, { dir: environmentsDir }))).toBe(
      '--dir: "/nonexistent" does not exist; give the environments directory (e.g. --dir environments)',
    );
    expect(message(() => checkOptions({ dir: empty }, { dir: environmentsDir }))).toBe(
      `--dir: "${empty}" holds no environment files (*.yaml) and no platforms/; give the environments directory (e.g. --dir environments)`,
    );
    const saved = process.env.HDS_ENVIRONMENTS_DIR;
    process.env.HDS_ENVIRONMENTS_DIR = '/nonexistent';
    try {
      expect(message(() => checkOptions({}, { dir: environmentsDir }))).toBe(
        'HDS_ENVIRONMENTS_DIR: "/nonexistent" does not exist; give the environments directory (e.g. HDS_ENVIRONMENTS_DIR=environments)',
      );
    } finally {
      if (saved === undefined) delete process.env.HDS_ENVIRONMENTS_DIR;
      else process.env.HDS_ENVIRONMENTS_DIR = saved;
    }
  });
});
