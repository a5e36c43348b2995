/**
 * Argument checking for every command, in one place. Each command checks all of its options
 * with `checkOptions` at the start of its action, before it reads, connects or writes
 * anything; every bad value is one line naming the flag, repeating the value and saying how to
 * fix it, e.g. `--slot: "abc" is not a whole number; use a whole number from 0 to 15 (e.g. --slot 9)`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCalendarDate } from '../../modules/loader/dates.ts';
import { CliError } from './output.ts';

/** A bad value: the message after `<flag>: `. */
export class ArgProblem extends Error {
  override name = 'ArgProblem';
}

/** Parses one raw value; throws ArgProblem. `flag` is for examples in the message. */
export type Check<T> = (raw: string, flag: string) => T;

/** A check with its own label (an environment variable) or a fallback when the flag is absent. */
export interface Field<T> {
  check: Check<T>;
  /** Value, label and check when the option is absent (a default, an environment variable). */
  fallback?: () => { raw: string; label: string; check?: Check<T> } | undefined;
  /** When set, the option is required: the fix shown when it is missing. */
  required?: string;
}

type Spec = Record<string, Check<unknown> | Field<unknown>>;
type Parsed<S extends Spec> = {
  [K in keyof S]: S[K] extends Field<infer T> ? (S[K] extends { required: string } ? T : T | undefined) : S[K] extends Check<infer T> ? T | undefined : never;
};

/** `chunkSize` -> `--chunk-size`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The one-line message of a bad value. */
export function badValue(flag: string, raw: string, problem: string, fix: string): string {
  return `${flag}: ${JSON.stringify(raw)} ${problem}; ${fix}`;
}

/**
 * Checks every option of `spec` present in `opts` (commander's parsed options, defaults
 * included) and returns the parsed values. All bad values are reported at once, one line
 * each; nothing else has happened yet.
 */
export function checkOptions<S extends Spec>(opts: object, spec: S): Parsed<S> {
  const values = opts as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(spec)) {
    const field: Field<unknown> = typeof entry === 'function' ? { check: entry } : entry;
    let raw = values[key];
    let label = flagOf(key);
    let check = field.check;
    if (raw === undefined && field.fallback) {
      const f = field.fallback();
      if (f) ({ raw, label, check = field.check } = f);
    }
    if (raw === undefined) {
      if (field.required) problems.push(`${label} is required; ${field.required}`);
      continue;
    }
    if (typeof raw !== 'string') {
      out[key] = raw; // booleans (--json) and values commander already parsed
      continue;
    }
    try {
      out[key] = check(raw, label);
    } catch (e) {
      if (!(e instanceof ArgProblem)) throw e;
      problems.push(`${label}: ${e.message}`);
    }
  }
  if (problems.length) throw new CliError(problems.join('\nerror: '));
  return out as Parsed<S>;
}

const plain = (raw: string) => JSON.stringify(raw);

/** An example setting: `--slot 3`, or `HDS_ENVIRONMENTS_DIR=environments` for a variable. */
const eg = (flag: string, example: string | number) => (flag.startsWith('-') ? `${flag} ${example}` : `${flag}=${example}`);

/** A whole number in [min, max]; `_` separators allowed (70_000_000). */
export function integer(min: number, max: number, example: number): Check<number> {
  const range = `use a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`;
  return (raw, flag) => {
    const text = raw.trim().replace(/_/g, '');
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw new ArgProblem(`${plain(raw)} is not a whole number; ${range} (e.g. ${eg(flag, example)})`);
    const n = Number(text);
    if (n < min || n > max) throw new ArgProblem(`${plain(raw)} is out of range; ${range} (e.g. ${eg(flag, example)})`);
    return n;
  };
}

/** One of a fixed set of values. */
export function oneOf<T extends string>(values: readonly T[], what = 'value'): Check<T> {
  return (raw, flag) => {
    if ((values as readonly string[]).includes(raw)) return raw as T;
    throw new ArgProblem(`${plain(raw)} is not a known ${what}; use one of: ${values.join(', ')} (e.g. ${eg(flag, values[0] ?? '')})`);
  };
}

/** A comma-separated list of values from a fixed set, without repetition. */
export function listOf<T extends string>(values: readonly T[], what = 'value'): Check<T[]> {
  return (raw, flag) => {
    const list = raw.split(',').map((s) => s.trim());
    const bad = list.filter((v) => !(values as readonly string[]).includes(v));
    const fix = `use a comma list of: ${values.join(', ')} (e.g. ${eg(flag, values.slice(0, 2).join(','))})`;
    if (list.length === 0 || raw.trim() === '') throw new ArgProblem(`${plain(raw)} is empty; ${fix}`);
    if (bad.length === 1 && list.length === 1) throw new ArgProblem(`${plain(raw)} is not a known ${what}; ${fix}`);
    if (bad.length) throw new ArgProblem(`${plain(raw)} has unknown ${what}${bad.length > 1 ? 's' : ''} ${bad.map(plain).join(', ')}; ${fix}`);
    const dup = list.find((v, k) => list.indexOf(v) !== k);
    if (dup) throw new ArgProblem(`${plain(raw)} names ${plain(dup)} twice; ${fix}`);
    return list as T[];
  };
}

/** A calendar date YYYY-MM-DD (2025-13-45 and 2099-02-31 are refused). */
export function calendarDate(example: string): Check<string> {
  return (raw, flag) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new ArgProblem(`${plain(raw)} is not a date; use YYYY-MM-DD (e.g. ${eg(flag, example)})`);
    if (!isCalendarDate(raw)) throw new ArgProblem(`${plain(raw)} is not a calendar date (no such month or day); use YYYY-MM-DD (e.g. ${eg(flag, example)})`);
    return raw;
  };
}

/** A name matching `pattern`, described for the fix. */
export function name(pattern: RegExp, described: string, example: string): Check<string> {
  return (raw, flag) => {
    if (!pattern.test(raw)) throw new ArgProblem(`${plain(raw)} is not a valid name; use ${described} (e.g. ${eg(flag, example)})`);
    return raw;
  };
}

/** Any non-empty text without control characters, up to `max` characters. */
export function text(max: number, example: string): Check<string> {
  return (raw, flag) => {
    if (raw.trim() === '') throw new ArgProblem(`${plain(raw)} is empty; give a value (e.g. ${eg(flag, example)})`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(raw) || raw.length > max)
      throw new ArgProblem(`${plain(raw)} is not accepted; use up to ${max} printable characters (e.g. ${eg(flag, example)})`);
    return raw;
  };
}

/** A path to write to: not empty, not an option. Where it may be written is checked by the safe-output module. */
export function outputPath(example: string): Check<string> {
  return (raw, flag) => {
    if (raw.trim() === '') throw new ArgProblem(`${plain(raw)} is empty; give a directory path (e.g. ${eg(flag, example)})`);
    if (raw.startsWith('-'))
      throw new ArgProblem(
        `${plain(raw)} looks like an option, not a path; give a directory path (e.g. ${eg(flag, example)}), or ./${raw} for a name starting with a dash`,
      );
    return raw;
  };
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ArgProblem(
      `${plain(path)} cannot be read (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code}); fix its permissions or give another path`,
    );
  }
}

/** An existing regular file; returns the path as given. */
export function existingFile(what: string, example: string): Check<string> {
  return (raw, flag) => {
    if (raw.trim() === '') throw new ArgProblem(`${plain(raw)} is empty; give ${what} (e.g. ${eg(flag, example)})`);
    const st = statOf(raw);
    if (!st) throw new ArgProblem(`${plain(raw)} does not exist; give ${what} (e.g. ${eg(flag, example)})`);
    if (st.isDirectory()) throw new ArgProblem(`${plain(raw)} is a directory, expected ${what}; give the file itself (e.g. ${eg(flag, example)})`);
    if (!st.isFile()) throw new ArgProblem(`${plain(raw)} is not a regular file; give ${what} (e.g. ${eg(flag, example)})`);
    return raw;
  };
}

/** An existing directory; returns the path as given. */
export function existingDir(what: string, example: string): Check<string> {
  return (raw, flag) => {
    if (raw.trim() === '') throw new ArgProblem(`${plain(raw)} is empty; give ${what} (e.g. ${eg(flag, example)})`);
    const st = statOf(raw);
    if (!st) throw new ArgProblem(`${plain(raw)} does not exist; give ${what} (e.g. ${eg(flag, example)})`);
    if (!st.isDirectory()) throw new ArgProblem(`${plain(raw)} is a file, expected ${what} (e.g. ${eg(flag, example)})`);
    return raw;
  };
}

/** An environments directory: a directory with environment files (*.yaml) or platforms/. */
const environmentsDirCheck: Check<string> = (raw, flag) => {
  existingDir('the environments directory', 'environments')(raw, flag);
  let entries: string[];
  try {
    entries = readdirSync(raw);
  } catch (e) {
    throw new ArgProblem(`${plain(raw)} cannot be read (${(e as NodeJS.ErrnoException).code}); fix its permissions or give another --dir`);
  }
  if (!entries.some((f) => /\.ya?ml$/.test(f)) && !entries.includes('platforms'))
    throw new ArgProblem(`${plain(raw)} holds no environment files (*.yaml) and no platforms/; give the environments directory (e.g. --dir environments)`);
  return resolve(raw);
};

/**
 * `--dir`, else $HDS_ENVIRONMENTS_DIR, else ./environments: an existing environments directory
 * (the absolute path is returned).
 */
export const environmentsDir: Field<string> & { required: string } = {
  check: environmentsDirCheck,
  fallback: () => {
    if (process.env.HDS_ENVIRONMENTS_DIR !== undefined) return { raw: process.env.HDS_ENVIRONMENTS_DIR, label: 'HDS_ENVIRONMENTS_DIR' };
    const raw = join(process.cwd(), 'environments');
    return {
      raw,
      label: 'environments directory',
      check: (r) => {
        const st = statOf(r);
        if (!st?.isDirectory())
          throw new ArgProblem(
            `"environments" not found in the current directory (${process.cwd()}); run from the repository root or give --dir PATH (e.g. --dir ../hds-platform/environments)`,
          );
        return environmentsDirCheck(r, '--dir');
      },
    };
  },
  required: 'give --dir PATH',
};
