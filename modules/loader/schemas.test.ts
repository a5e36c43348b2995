/**
 * Wording of the JSON-Schema errors: a property that requires another (`dependencies`, e.g. the
 * catalog's quorum needs peerPort and storage) reads as a missing property of the object it
 * belongs to, located at that object, never as the object's whole value.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadWorkspace } from './load.ts';
import { REPO_ROOT } from './paths.ts';
import { describeSchemaErrors, schemas } from './schemas.ts';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hds-schemas-'));
  cpSync(join(REPO_ROOT, 'environments'), dir, { recursive: true });
  return dir;
}

/** Replaces `from` (once, present) in the scratch copy's catalog; returns the edited text. */
function editCatalog(dir: string, from: string, to: string): string {
  const f = join(dir, 'catalogs', 'mes-dmp.yaml');
  const text = readFileSync(f, 'utf8');
  expect(text).toContain(from);
  const edited = text.replace(from, to);
  writeFileSync(f, edited);
  return edited;
}

/** `line:col` (1-based) of the first occurrence of `needle` in `text`. */
function pos(text: string, needle: string): string {
  const k = text.indexOf(needle);
  expect(k).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, k).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

const lines = (dir: string) =>
  loadWorkspace(dir)
    .diagnostics.map(formatDiagnostic)
    .map((l) => l.replace(`${dir}/`, ''));

describe('a property required with another (JSON Schema dependencies)', () => {
  it('a quorum without peerPort: one line at the component, "add peerPort", no dump of the component', () => {
    const dir = scratch();
    const text = editCatalog(dir, '    peerPort: 8201\n', '');
    const out = lines(dir);
    const k = text.indexOf('  - name: openbao');
    // The component's mapping starts at its first key, after "  - ".
    const index = [...text.slice(text.indexOf('\ncomponents:'), k).matchAll(/^ {2}- name: /gm)].length;
    expect(out).toEqual([
      `catalogs/mes-dmp.yaml:${pos(text, '  - name: openbao').replace(/:1$/, ':5')} /components/${index}: missing property "peerPort" in components.${index} (openbao), required with "quorum" (add peerPort: (see environments/schema), or remove quorum)`,
    ]);
    expect(out[0]).not.toContain('{');
  });

  it('a peerPort without quorum reads "add quorum, or remove peerPort"; storage without quorum too', () => {
    const dir = scratch();
    editCatalog(dir, '    quorum: 3\n', '');
    const out = lines(dir);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(
      /^catalogs\/mes-dmp\.yaml:\d+:5 \/components\/\d+: missing property "quorum" in components\.\d+ \(openbao\), required with "peerPort" \(add quorum: \(see environments\/schema\), or remove peerPort\)$/,
    );
    expect(out[1]).toMatch(/required with "storage" \(add quorum: \(see environments\/schema\), or remove storage\)$/);
  });

  it('describeSchemaErrors words dependentRequired the same way, and a nameless object without a name', () => {
    const problems = describeSchemaErrors([
      {
        instancePath: '/components/3',
        schemaPath: '#/dependentRequired',
        keyword: 'dependentRequired',
        params: { property: 'storage', missingProperty: 'quorum', depsCount: 1, deps: 'quorum' },
        message: 'must have property quorum when property storage is present',
        data: { storage: { size: '1Gi', mountPath: '/d' } },
      },
    ]);
    expect(problems).toEqual([
      {
        path: ['components', 3],
        message: 'missing property "quorum" in components.3, required with "storage"',
        hint: 'add quorum: (see environments/schema), or remove storage',
      },
    ]);
  });

  it('the catalog schema ties quorum, peerPort and storage together', () => {
    const validate = schemas().catalog;
    const catalog = JSON.parse(JSON.stringify(loadWorkspace(join(REPO_ROOT, 'environments')).catalogs.get('mes-dmp')!.doc));
    expect(validate(catalog)).toBe(true);
    const bao = catalog.components.find((c: { name: string }) => c.name === 'openbao');
    delete bao.storage;
    expect(validate(catalog)).toBe(false);
    expect(describeSchemaErrors(validate.errors).map((p) => p.message)).toEqual([
      expect.stringMatching(/^missing property "storage" in components\.\d+ \(openbao\), required with "quorum"$/),
    ]);
  });
});
