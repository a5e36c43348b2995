/** The loader's located diagnostics for bad YAML: each problem where the user must look, in one file only. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workloadCapacity } from '../model/workloadsResolve.ts';
import { evaluate, formatDiagnostic, loadWorkspace } from './load.ts';
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
    expect(lines).toEqual(['demo.yaml:91:1 /name: duplicate key "name" (first at line 4; keep one of them)']);
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

/** Evaluates `dir` (every semantic check) and returns the located diagnostics relative to it. */
function check(dir: string, only?: string): string[] {
  return evaluate(loadWorkspace(dir), only)
    .diagnostics.map(formatDiagnostic)
    .map((l) => l.replace(`${dir}/`, ''));
}

/** Edits a file of the scratch copy by exact text replacement (the text must be there). */
function edit(dir: string, file: string, from: string, to: string): string {
  const f = join(dir, file);
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

describe('application catalogs (issue 12) are loaded, checked and located', () => {
  it('the repository: one catalog, no diagnostic, workloads on every OpenShift environment, fitting every cluster', () => {
    const ev = evaluate(loadWorkspace(join(REPO_ROOT, 'environments')));
    expect(ev.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect([...ev.workspace.catalogs.keys()]).toEqual(['mes-dmp']);
    for (const [name, t] of ev.topologies) {
      const openshift = t.services.find((s) => s.kind === 'openshift');
      expect(Boolean(t.workloads), name).toBe(Boolean(openshift));
      for (const site of openshift?.sites ?? []) {
        const cap = workloadCapacity(t, site);
        expect(cap.fits, `${name} ${site}`).toBe(true);
        expect(cap.atMax.cpuMillis).toBeGreaterThanOrEqual(cap.atMin.cpuMillis);
        expect(cap.atMin.pods).toBeGreaterThan(0);
      }
    }
    // Production: 16 workers × 32 vCPU × 128 GiB per cluster, less 1 vCPU and 4 GiB each.
    const prod = workloadCapacity(ev.topologies.get('production')!, 'DC1');
    expect(prod.workers).toEqual({ count: 16, vcpu: 32, ramGiB: 128 });
    expect(prod.allocatable).toEqual({ cpuMillis: 16 * 31_000, memoryMiB: 16 * 124 * 1024 });
    expect(ev.topologies.get('lab')!.workloads).toBeUndefined();
  });

  it('a schema error in the catalog is located in the catalog file', () => {
    const dir = scratch();
    const text = edit(dir, 'catalogs/mes-dmp.yaml', 'digest: "sha256:c3536ddf', 'digest: "sha1:c3536ddf');
    const { lines } = load(dir);
    expect(lines).toEqual([
      `catalogs/mes-dmp.yaml:${pos(text, 'digest: "sha1:c3536ddf')} /components/4/image/digest: value "sha1:c3536ddf27aeeaa6f5cefd32be2070208f062b99d57c07fd74286f46a906e266" does not match ^sha256:[0-9a-f]{64}$ (see the examples in environments/schema)`,
    ]);
  });

  it('a catalog that fails to load: each environment using it points at that file, not at a missing catalog', () => {
    const dir = scratch();
    edit(dir, 'catalogs/mes-dmp.yaml', '    perEditorSlot: true', '    perEditorSlots: true');
    const ev = evaluate(loadWorkspace(dir));
    const lines = ev.diagnostics.map(formatDiagnostic).map((l) => l.replace(`${dir}/`, ''));
    const envLines = lines.filter((l) => l.includes('/workloads/catalog'));
    expect(envLines.length).toBeGreaterThan(1);
    for (const l of envLines) {
      expect(l).toContain('application catalog "mes-dmp" is not loaded');
      expect(l).toContain('catalogs/mes-dmp.yaml could not be read as a catalog (fix the errors reported for that file)');
      expect(l).not.toContain('does not exist');
    }
    expect(lines.some((l) => l.startsWith('catalogs/mes-dmp.yaml:') && l.includes('perEditorSlots'))).toBe(true);
  });

  it('an unknown property of the catalog names the known ones', () => {
    const dir = scratch();
    const text = edit(dir, 'catalogs/mes-dmp.yaml', '    perEditorSlot: true', '    perEditorSlots: true');
    const { lines } = load(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^catalogs/mes-dmp\\.yaml:${pos(text, 'perEditorSlots')} /components/3/perEditorSlots: unknown property "perEditorSlots" \\(known properties here: name, tier, `,
      ),
    );
  });

  it('an image outside the catalog registry: located in the catalog, whichever environment is checked', () => {
    const dir = scratch();
    const text = edit(dir, 'catalogs/mes-dmp.yaml', 'repository: registry.hds.internal/mesdmp/bff,', 'repository: docker.io/mesdmp/bff,');
    const expected = `catalogs/mes-dmp.yaml:${pos(text, 'repository: docker.io/mesdmp/bff')} /components/4/image/repository: component bff: image docker.io/mesdmp/bff is not in the catalog's registry registry.hds.internal (push the image to registry.hds.internal and write registry.hds.internal/<path>; no public registry)`;
    expect(check(dir)).toEqual([expected]);
    expect(check(dir, 'dev')).toEqual([expected]);
  });

  it("an unknown catalog is located at the environment's workloads.catalog", () => {
    const dir = scratch();
    const text = edit(dir, 'production.yaml', '  catalog: mes-dmp', '  catalog: mes-dpm');
    expect(check(dir)).toEqual([
      `production.yaml:${pos(text, 'catalog: mes-dpm')} /workloads/catalog: application catalog "mes-dpm" does not exist (use one of: mes-dmp)`,
    ]);
  });

  it('an unknown component name in only, and a flow to a component left out', () => {
    const dir = scratch();
    const text = edit(
      dir,
      'dev.yaml',
      'only: [platform, accounts-api, identity-api, mass-processing]',
      'only: [platform, acounts-api, identity-api, mass-processing]',
    );
    expect(check(dir)).toEqual([
      `dev.yaml:${pos(text, 'only:')} /workloads/components/only: mass-processing needs accounts-api (iterate over every ENS), which does not run in dev (add accounts-api to workloads.components.only, or leave mass-processing out too) [EXG_ART_1.2]`,
      `dev.yaml:${pos(text, 'acounts-api')} /workloads/components/only/1: "acounts-api" is not a component or a tier of catalog mes-dmp (use component names or tiers (front, mediation, business, transverse, batch, platform), e.g. ens-web, mobile-backend, support-portal, editors-portal)`,
    ]);
  });

  it('a component whose PostgreSQL cluster, HSM key domain or Ceph the environment lacks', () => {
    const dir = scratch();
    const text = edit(
      dir,
      'dev.yaml',
      'only: [platform, accounts-api, identity-api, mass-processing]',
      'only: [platform, accounts-api, identity-api, mass-processing, consents-api, documents-api]',
    );
    const consents = pos(text, 'consents-api');
    const documents = pos(text, 'documents-api]');
    expect(check(dir)).toEqual([
      `dev.yaml:${consents} /workloads/components/only/4: component consents-api needs the PostgreSQL cluster of domain consents, which environment dev does not declare (add consents to services.postgresql.domains, or leave consents-api out (workloads.components.except))`,
      `dev.yaml:${consents} /workloads/components/only/4: component consents-api needs HSM key domain consents, which is not in services.hsm.keyDomains of dev (add consents to services.hsm.keyDomains, or leave consents-api out (workloads.components.except)) [EXG_SEC_4.2, EXG_SEC_4.3]`,
      `dev.yaml:${documents} /workloads/components/only/5: component documents-api needs object storage (Ceph RGW), and environment dev declares no services.ceph (declare services.ceph, or leave documents-api out (workloads.components.except))`,
    ]);
  });

  it('the editors portal outside certification has no slots to scale with', () => {
    const dir = scratch();
    const text = edit(dir, 'production.yaml', '    except: [editors-portal]', '    except: [kpi]');
    expect(check(dir)).toEqual([
      `production.yaml:${pos(text, 'catalog: mes-dmp')} /workloads/catalog: component editors-portal scales with editor slots and environment production has none (set editorSlots (certification: 30, EXG_ENV_10), or leave editors-portal out (workloads.components.except)) [EXG_ENV_10]`,
    ]);
  });

  it('workloads that do not fit: located at services.openshift.workers, nothing else', () => {
    const dir = scratch();
    // Fewer workers rather than more load: a higher load factor would also overload OpenBao's
    // quorum, which is never scaled by load (its own E_WORKLOADS_QUORUM, workloadsResolve.test.ts).
    const text = edit(dir, 'production.yaml', 'workers: { count: 16, vcpu: 32', 'workers: { count: 6, vcpu: 32');
    const lines = check(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^production\\.yaml:${pos(text, 'workers: { count: 6, vcpu: 32')} /services/openshift/workers: at the HPA maximum \\(10× the average load\\) the workloads request [0-9.]+ vCPU and [0-9.]+ GiB in each OpenShift cluster \\(DC1, DC2\\); 6 workers of 32 vCPU and 128 GiB offer 186 vCPU and 744 GiB after the per-worker reserve \\(1 vCPU, 4 GiB\\) \\(add workers or larger workers, lower workloads.loadFactor, or leave components out\\) \\[EXG_VOL_5, EXG_ARA_3\\]$`,
      ),
    );
  });

  it('workloads without OpenShift (the lab)', () => {
    const dir = scratch();
    const text = edit(dir, 'lab.yaml', 'dataSource: synthetic\n', 'dataSource: synthetic\nworkloads: { catalog: mes-dmp, loadFactor: 0.01 }\n');
    expect(check(dir)).toEqual([
      `lab.yaml:${pos(text, 'workloads: { catalog: mes-dmp')} /workloads: environment lab declares workloads but no OpenShift cluster to run them (declare services.openshift, or remove workloads)`,
    ]);
  });

  it('two catalogs with one name, and a catalog file that is not a mapping', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'catalogs', 'copy.yaml'), readFileSync(join(dir, 'catalogs', 'mes-dmp.yaml')));
    writeFileSync(join(dir, 'catalogs', 'empty.yaml'), '# nothing\n');
    const { ws, lines } = load(dir);
    expect(lines).toEqual([
      `catalogs/empty.yaml:1:1 /: the document is empty or not a mapping (start from an existing application catalog file)`,
      `catalogs/mes-dmp.yaml:${pos(readFileSync(join(dir, 'catalogs', 'mes-dmp.yaml'), 'utf8'), 'name: mes-dmp\n')} /name: application catalog name mes-dmp is also used by ${dir}/catalogs/copy.yaml (rename one of them)`,
    ]);
    expect(ws.catalogs.size).toBe(1);
  });
});
