/** Safe output: refused destinations are left exactly as they were; sets of files are all or nothing; system errors are one line. */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './paths.ts';
import { checkReplaceableDir, describeFsError, fileOps, MARKER, OutputError, replaceOutputDir, writeFileSet, writeNewFile } from './safeOutput.ts';
import { treeSnapshot } from './testing.ts';

const SYNTH = { command: 'synth', flag: '--out', example: 'cdktf.out' };

/** A scratch project: environments/, a user's file, a user's directory. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hds-safe-'));
  cpSync(join(REPO_ROOT, 'environments'), join(dir, 'environments'), { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'plan.md'), '# plan\n');
  return dir;
}

function inDir<T>(dir: string, f: () => T): T {
  const saved = process.cwd();
  process.chdir(dir);
  try {
    return f();
  } finally {
    process.chdir(saved);
  }
}

/** The OutputError message of `f`, after checking that `root` did not change. */
function refused(root: string, f: () => unknown): string {
  const before = treeSnapshot(root);
  let message = '';
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OutputError);
    message = (e as Error).message;
  }
  expect(treeSnapshot(root)).toBe(before);
  return message;
}

const fill = (dir: string) => writeFileSync(join(dir, 'manifest.json'), '{}');

describe('replaceOutputDir', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses the current directory, its parents, the root, the repository, environments, a file and a foreign directory; nothing changes', () => {
    const p = project();
    const cases: Array<[string, string]> = [
      ['.', '--out: "." is the current directory; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      ['..', '--out: ".." contains the current directory; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      ['/', '--out: "/" is the filesystem root; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      [
        'environments',
        '--out: "environments" holds environment files; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)',
      ],
      [
        'environments/platforms',
        '--out: "environments/platforms" holds environment files; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)',
      ],
      ['notes.txt', '--out: "notes.txt" is an existing file, expected a directory; give a directory path (e.g. --out cdktf.out) or remove the file'],
      ['notes.txt/out', '--out: "notes.txt/out": "notes.txt" is a file, expected a directory; give a path whose parents are directories'],
      [
        'docs',
        '--out: "docs" is a non-empty directory that synth did not write (no .hdsctl-output marker); give a new or empty directory (e.g. --out cdktf.out), or remove it first',
      ],
      [
        REPO_ROOT,
        `--out: "${REPO_ROOT}" is the hds-platform repository; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)`,
      ],
    ];
    for (const [out, message] of cases) {
      expect(inDir(p, () => refused(p, () => replaceOutputDir(out, { ...SYNTH, value: out }, fill)))).toBe(message);
    }
  });

  it('refuses a symbolic link and a directory written by another command', () => {
    const p = project();
    symlinkSync(join(p, 'docs'), join(p, 'link'));
    mkdirSync(join(p, 'reports'));
    writeFileSync(join(p, 'reports', MARKER), JSON.stringify({ tool: 'hdsctl', command: 'policy' }));
    writeFileSync(join(p, 'reports', 'r.json'), '{}');
    inDir(p, () => {
      expect(refused(p, () => replaceOutputDir('link', { ...SYNTH, value: 'link' }, fill))).toBe(
        '--out: "link" is a symbolic link; synth replaces its whole output directory and replaces only a real directory: give the directory itself or a new path',
      );
      expect(refused(p, () => replaceOutputDir('reports', { ...SYNTH, value: 'reports' }, fill))).toBe(
        '--out: "reports" was written by hdsctl policy, not synth; give a dedicated directory (e.g. --out cdktf.out)',
      );
    });
  });

  it('creates an absent directory with its marker, then replaces it on the next run; an empty directory is taken', () => {
    const p = project();
    inDir(p, () => {
      replaceOutputDir('out', SYNTH, fill);
      expect(readdirSync(join(p, 'out')).sort()).toEqual([MARKER, 'manifest.json']);
      expect(JSON.parse(readFileSync(join(p, 'out', MARKER), 'utf8'))).toMatchObject({ tool: 'hdsctl', command: 'synth' });
      writeFileSync(join(p, 'out', 'stale.txt'), 'old');
      replaceOutputDir('out', SYNTH, fill);
      expect(existsSync(join(p, 'out', 'stale.txt'))).toBe(false);
      mkdirSync(join(p, 'empty'));
      replaceOutputDir('empty', SYNTH, fill);
      expect(existsSync(join(p, 'empty', MARKER))).toBe(true);
      expect(readdirSync(p).filter((f) => f.startsWith('.'))).toEqual([]);
    });
  });

  it('leaves the previous output as it was when the work fails', () => {
    const p = project();
    inDir(p, () => {
      replaceOutputDir('out', SYNTH, fill);
      const before = treeSnapshot(p);
      expect(() =>
        replaceOutputDir('out', SYNTH, (d) => {
          fill(d);
          throw new Error('schema check failed');
        }),
      ).toThrow('schema check failed');
      expect(treeSnapshot(p)).toBe(before);
    });
  });

  it('checks without writing (the command checks before any work)', () => {
    const p = project();
    inDir(p, () => {
      expect(checkReplaceableDir('new-out', SYNTH)).toBe('absent');
      expect(existsSync(join(p, 'new-out'))).toBe(false);
    });
  });
});

describe('writeFileSet', () => {
  afterEach(() => vi.restoreAllMocks());
  const files = [
    { name: 'a.json', content: 'new a' },
    { name: 'b.md', content: 'new b' },
    { name: 'c.html', content: 'new c' },
  ];
  const POLICY = { command: 'policy', flag: '--out', example: 'reports' };

  it('writes a new directory with the whole set at once', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-set-'));
    const out = join(root, 'reports');
    expect(writeFileSet(out, files, POLICY)).toEqual(files.map((f) => join(out, f.name)));
    expect(readdirSync(out).sort()).toEqual(['a.json', 'b.md', 'c.html']);
    expect(readdirSync(root)).toEqual(['reports']);
  });

  it('writes nothing when one file cannot be written (a directory in its place)', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-set-'));
    writeFileSync(join(root, 'a.json'), 'old a');
    mkdirSync(join(root, 'c.html'));
    const message = refused(root, () => writeFileSet(root, files, POLICY));
    expect(message).toMatch(/^--out: ".*\/c\.html" is a directory, expected a file policy may replace; remove or rename it, or give another --out$/);
  });

  it('restores every previous file when a rename fails half-way', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-set-'));
    for (const f of files) writeFileSync(join(root, f.name), `old ${f.name}`);
    const real = fileOps.rename;
    let n = 0;
    vi.spyOn(fileOps, 'rename').mockImplementation((from, to) => {
      if (to === join(root, 'c.html') && ++n === 1) throw Object.assign(new Error('EROFS'), { code: 'EROFS', path: to, syscall: 'rename' });
      real(from, to);
    });
    const message = refused(root, () => writeFileSet(root, files, POLICY));
    expect(message).toMatch(/^--out: ".*\/c\.html" is on a read-only file system; give a path on a writable file system$/);
    for (const f of files) expect(readFileSync(join(root, f.name), 'utf8')).toBe(`old ${f.name}`);
  });

  it('writeNewFile never replaces an existing file', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-new-'));
    writeFileSync(join(root, 'x.yaml'), 'kept');
    const message = refused(root, () => writeNewFile(join(root, 'x.yaml'), 'new', { command: 'env new' }));
    expect(message).toMatch(/^".*\/x\.yaml" already exists; remove it or give another name$/);
    writeNewFile(join(root, 'y.yaml'), 'new', { command: 'env new' });
    expect(readdirSync(root).sort()).toEqual(['x.yaml', 'y.yaml']);
  });
});

describe('describeFsError', () => {
  const err = (code: string, path = '/data/out') => Object.assign(new Error(code), { code, path, syscall: 'open' });
  it('turns each system error into one line with the path, what was expected and the fix', () => {
    const o = { flag: '--out' };
    expect(describeFsError(err('EISDIR'), o)).toBe('--out: "/data/out" is a directory, expected a file; remove or rename that directory, or give another path');
    expect(describeFsError(err('EEXIST'), o)).toBe('--out: "/data/out" already exists; remove it or give another path');
    expect(describeFsError(err('ENOTDIR'), o)).toBe(
      '--out: "/data/out": a part of the path is a file, expected a directory; give a path whose parents are directories',
    );
    expect(describeFsError(err('EROFS'), o)).toBe('--out: "/data/out" is on a read-only file system; give a path on a writable file system');
    expect(describeFsError(err('ENOENT'), { ...o, expected: 'a file' })).toBe('--out: "/data/out" does not exist, expected a file; check the path');
    expect(describeFsError(err('EACCES'), o)).toBe('--out: "/data/out": permission denied; give a path you may write to, or change its permissions');
    expect(describeFsError(err('ENOSPC'), o)).toBe('--out: "/data/out": no space left on the device; free some space or write elsewhere');
    for (const code of ['EISDIR', 'EEXIST', 'ENOTDIR', 'EROFS', 'ENOENT', 'EACCES', 'ENOSPC']) expect(describeFsError(err(code))).not.toContain('\n');
  });
});
