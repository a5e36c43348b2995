/** The loader's located diagnostics for bad YAML: each problem where the user must look, in one file only. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadWorkspace } from './load.ts';
import { parseJsonText } from './jsonSource.ts';
import { REPO_ROOT } from './paths.ts';
import { treeSnapshot } from './testing.ts';
import { parseYaml } from './yamlSource.ts';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hds-load-'));
  cpSync(join(REPO_ROOT, 'environments'), dir, { recursive: true });
  return dir;
}

/** Loads `dir` (checking that loading writes nothing) and returns the diagnostics relative to it. */
function load(dir: string) {
  const before = treeSnapshot(dir);
  const ws = loadWorkspace(dir);
  expect(treeSnapshot(dir)).toBe(before);
  return { ws, lines: ws.diagnostics.map(formatDiagnostic).map((l) => l.replace(`${dir}/`, '')) };
}

const BOMB = [
  'a: &a [x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  '',
].join('\n');

describe('YAML problems are located', () => {
  it('an unclosed quote is reported at its opening quote, not at the end of the file', () => {
    const dir = scratch();
    const f = join(dir, 'dev.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('class: dev', 'class: "dev'));
    const { lines } = load(dir);
    expect(lines).toEqual([
      'dev.yaml:5:8 /class: unclosed double quote: the string that starts here is never closed (close it with " on the same line, or remove the opening quote)',
    ]);
  });

  it('a duplicate key names the key and the first occurrence', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'demo.yaml'), `${readFileSync(join(dir, 'demo.yaml'), 'utf8')}name: other\n`);
    const { lines } = load(dir);
    expect(lines).toEqual(['demo.yaml:81:1 /name: duplicate key "name" (first at line 4; keep one of them)']);
  });

  it('an alias bomb is refused for that file only; the other files load', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'bomb.yaml'), BOMB);
    const { ws, lines } = load(dir);
    expect(lines).toEqual([
      'bomb.yaml:5:5 /e/0: too many YAML aliases: more than 100 expansions, *d alone stands for 7,381 nodes (an alias bomb? aliases of aliases multiply: write the values out or nest fewer aliases)',
    ]);
    expect(ws.environments.size).toBe(11);
  });

  it('an unknown alias is named', () => {
    const src = parseYaml('x.yaml', 'a: 1\nb: *nope\n');
    expect(src.syntaxErrors).toEqual([
      {
        message: 'unknown YAML alias *nope',
        position: { line: 2, col: 4 },
        path: ['b'],
        hint: 'define the anchor &nope before the alias, or write the value out',
      },
    ]);
  });

  it('a directory named x.yaml is one located line, not a raw EISDIR', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'x.yaml'));
    mkdirSync(join(dir, 'platforms', 'p.yml'));
    const { ws, lines } = load(dir);
    expect(lines).toEqual([
      'platforms/p.yml:1:1 /: is a directory, expected a YAML platform file (rename or remove that directory: every *.yaml here is read as a file)',
      'x.yaml:1:1 /: is a directory, expected a YAML environment file (rename or remove that directory: every *.yaml here is read as a file)',
    ]);
    expect(ws.environments.size).toBe(11);
  });
});

describe('JSON problems are located', () => {
  it('names the file, the line and the column of the first error', () => {
    expect(() => parseJsonText('/x/manifest.json', '{\n  "version": "1",\n  "stacks": {\n')).toThrow(
      '/x/manifest.json:4:1: invalid JSON: unexpected end of file, expected a property name in double quotes (fix the JSON syntax)',
    );
    expect(() => parseJsonText('/x/a.json', '{"a": tru}')).toThrow(
      '/x/a.json:1:7: invalid JSON: unexpected character "t", expected a value (fix the JSON syntax)',
    );
    expect(() => parseJsonText('/x/a.json', '{"a": 1,}')).toThrow(
      '/x/a.json:1:9: invalid JSON: unexpected character "}", expected a property name in double quotes (fix the JSON syntax)',
    );
    expect(() => parseJsonText('/x/a.json', 'not json')).toThrow(
      '/x/a.json:1:1: invalid JSON: unexpected character "n", expected a value (fix the JSON syntax)',
    );
    expect(parseJsonText('/x/a.json', '{"a": [1, 2.5e3, "\\u00e9", null, true]}')).toEqual({ a: [1, 2500, 'é', null, true] });
  });
});
