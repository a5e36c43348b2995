import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from '../../../modules/model/workloads.ts';
import { workloadObjects } from '../../../modules/workloads/plan/index.ts';
import { manifestFiles } from '../../../modules/workloads/render.ts';
import { workloadManifests } from '../../../policies/input.ts';
import { shipped, synthesized } from '../../../policies/testing/fixture.ts';
import type { PolicyInput } from '../../../policies/types.ts';
import { runCli, runCliIn, scratchProject, treeSnapshot } from '../testing.ts';
import { canonicalJson, hashInputs, manifestsSha256 } from './policy.ts';

describe('hdsctl policy: the manifests judged are hashed, one entry per OpenShift cluster', { timeout: 120_000 }, () => {
  const production = () => shipped().topologies.get('production')!;
  const input = (manifests: Pick<PolicyInput, 'manifests' | 'manifestSites'>): PolicyInput => ({
    target: 'production',
    peers: [],
    waivers: [],
    today: '2026-11-23',
    ...manifests,
  });
  const cm = (name: string, data: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data });

  it('canonical JSON sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 'é' }, null], a: { d: undefined, c: true } })).toBe('{"a":{"c":true},"b":[{"x":"é","y":1},null]}');
    expect(canonicalJson({ 10: 'a', 9: 'b', a: 1 })).toBe('{"10":"a","9":"b","a":1}');
  });

  it('one manifests:<env>/<site> entry per cluster, the digest of exactly that cluster’s objects', () => {
    const a = cm('a', { k: '1' });
    const b = cm('b', { k: '2' });
    const c = cm('c', { k: '3' });
    const hashes = hashInputs([input({ manifests: [a, b, c], manifestSites: ['DC1', 'DC2', 'DC1'] })], undefined, []);
    expect(hashes).toEqual([
      { kind: 'manifests', path: 'manifests:production/DC1', sha256: manifestsSha256([a, c]) },
      { kind: 'manifests', path: 'manifests:production/DC2', sha256: manifestsSha256([b]) },
    ]);
    expect(manifestsSha256([a, c])).not.toBe(manifestsSha256([b]));
    // Without sites (one cluster), one entry for the environment; without manifests, none.
    expect(hashInputs([input({ manifests: [a] })], undefined, [])).toEqual([{ kind: 'manifests', path: 'manifests:production', sha256: manifestsSha256([a]) }]);
    expect(hashInputs([input({})], undefined, [])).toEqual([]);
  });

  it('the digest ignores key and object order, and changes with any value', () => {
    const a = cm('a', { k: '1', l: '2' });
    const b = cm('b', { k: '2' });
    const reordered: K8sObject = { data: { l: '2', k: '1' }, metadata: { namespace: 'ns', name: 'a' }, kind: 'ConfigMap', apiVersion: 'v1' };
    expect(manifestsSha256([b, reordered])).toBe(manifestsSha256([a, b]));
    expect(manifestsSha256([a, cm('b', { k: '3' })])).not.toBe(manifestsSha256([a, b]));
    expect(manifestsSha256([a])).not.toBe(manifestsSha256([a, b]));
  });

  it('production: DC1 and DC2 are hashed; each digest is the one recomputed from the YAML hdsctl workloads render writes for that cluster', () => {
    const t = production();
    const judged = workloadManifests(t);
    const hashes = hashInputs([input(judged)], undefined, []);
    expect(hashes.map((h) => h.path)).toEqual(['manifests:production/DC1', 'manifests:production/DC2']);
    for (const site of ['DC1', 'DC2']) {
      const objects = workloadObjects(t, site);
      const fromYaml = manifestFiles(objects, 'production', site).flatMap((f) => parseAllDocuments(f.content).map((d) => d.toJS() as K8sObject));
      expect(fromYaml.length).toBe(objects.length);
      expect(hashes.find((h) => h.path === `manifests:production/${site}`)!.sha256).toBe(manifestsSha256(fromYaml));
    }
    expect(hashes[0]!.sha256).not.toBe(hashes[1]!.sha256);
  });
});

describe('hdsctl policy', { timeout: 180_000 }, () => {
  it('coverage lists the policy requirements and the automation rate', async () => {
    const run = await runCli(['policy', 'coverage', '--json']);
    expect(run.code).toBe(0);
    const c = JSON.parse(run.stdout) as { primary: { total: number; covered: number; ratio: number }; unknownIds: string[] };
    expect(c.primary.total).toBe(151);
    expect(c.primary.covered).toBeGreaterThan(60);
    expect(c.unknownIds).toEqual([]);
  });

  it('--tf PATH judges a synthesized output: 0 at high, reports written atomically', async () => {
    const tf = synthesized(['production']).dir;
    const out = join(mkdtempSync(join(tmpdir(), 'hds-policy-cli-')), 'reports');
    const run = await runCli(['policy', '--tf', tf, '--out', out, '--lang', 'en', '--today', '2026-11-23']);
    expect(run.code).toBe(0);
    for (const f of ['policy-report.json', 'policy-report.sarif', 'policy-report.junit.xml', 'policy-report.md', 'policy-report.html'])
      expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'policy-report.json'), 'utf8')) as {
      inputs: Array<{ kind: string; sha256: string }>;
      targets: Array<{ results: Array<{ rule: string; status: string }> }>;
    };
    expect(report.inputs.filter((i) => i.kind === 'terraform').length).toBeGreaterThan(5);
    expect(report.targets[0]!.results.find((r) => r.rule === 'NET-001')!.status).toBe('pass');
  });

  it('--env production: exit 0 at the default threshold, exit 2 with --fail-on low (GOV-002), Markdown on stdout in French', async () => {
    expect((await runCli(['policy', '--env', 'production', '--today', '2026-11-23'])).code).toBe(0);
    const run = await runCli(['policy', '--env', 'production', '--fail-on', 'low', '--today', '2026-11-23']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('NON CONFORME');
    expect(run.stdout).toContain('GOV-002');
  });

  it('usage errors exit 1', async () => {
    expect((await runCli(['policy'])).code).toBe(1);
    expect((await runCli(['policy', '--env', 'production', '--fail-on', 'huge'])).code).toBe(1);
  });
});

describe('hdsctl policy: bad input is refused with one line and writes nothing', { timeout: 180_000 }, () => {
  const scratch = () => mkdtempSync(join(tmpdir(), 'hds-policy-in-'));

  it('--today must be a calendar date', async () => {
    const run = await runCli(['policy', '--env', 'production', '--today', '2025-13-45']);
    expect(run.stderr.trim()).toBe('error: --today: "2025-13-45" is not a calendar date (no such month or day); use YYYY-MM-DD (e.g. --today 2026-11-23)');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });

  it('--lang, --fail-on and --format repeat the bad value', async () => {
    const cases: Array<[string[], string]> = [
      [['--lang', 'de'], 'error: --lang: "de" is not a known language; use one of: fr, en (e.g. --lang fr)'],
      [['--fail-on', 'huge'], 'error: --fail-on: "huge" is not a known severity; use one of: critical, high, medium, low, info (e.g. --fail-on critical)'],
      [['--format', 'pdf'], 'error: --format: "pdf" is not a known format; use a comma list of: json, sarif, junit, md, html (e.g. --format json,sarif)'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['policy', '--env', 'production', ...args]);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
    }
  });

  it('a waiver expiring on 2099-02-31 is an error located in the waivers file', async () => {
    const dir = scratch();
    const w = join(dir, 'waivers.yaml');
    writeFileSync(
      w,
      'waivers:\n  - id: W-1\n    rule: GOV-002\n    scope: { environment: production }\n    justification: vendor support\n    owner: DSI\n    expires: 2099-02-31\n',
    );
    const run = await runCli(['policy', '--env', 'production', '--waivers', w, '--today', '2026-11-23']);
    expect(run.stderr).toContain(
      `${w}:7:5 /waivers/0/expires: "2099-02-31" is not a calendar date (no such month or day: use YYYY-MM-DD, e.g. expires: 2027-01-31)`,
    );
    expect(run.code).toBe(2);
  });

  it('a missing --waivers file is an error, not "no waivers"; so is a missing default policies/waivers.yaml', async () => {
    const missing = await runCli(['policy', '--env', 'production', '--waivers', 'nope.yaml']);
    expect(missing.stderr.trim()).toBe('error: --waivers: "nope.yaml" does not exist; give a waivers file (e.g. --waivers policies/waivers.yaml)');
    expect(missing.code).toBe(1);
    const p = scratchProject();
    rmSync(join(p, 'policies'), { recursive: true });
    const before = treeSnapshot(p);
    const run = await runCliIn(p, ['policy', '--env', 'production']);
    expect(run.stderr.trim()).toBe(
      `error: waivers file "policies/waivers.yaml" not found in the current directory (${p}); run from the repository root or give --waivers FILE`,
    );
    expect(run.code).toBe(1);
    expect(treeSnapshot(p)).toBe(before);
  });

  it('a missing --catalog is an error, for policy and for policy coverage', async () => {
    for (const args of [
      ['policy', '--env', 'production', '--catalog', 'nope.yaml'],
      ['policy', 'coverage', '--catalog', 'nope.yaml'],
    ]) {
      const run = await runCli(args);
      expect(run.stderr.trim()).toBe(
        'error: --catalog: "nope.yaml" does not exist; give a requirements catalog (YAML) (e.g. --catalog ../shared/requirements/catalog.yaml)',
      );
      expect(run.code).toBe(1);
    }
  });

  it('policy coverage honours its own --catalog and --lang', async () => {
    const dir = scratch();
    const catalog = join(dir, 'catalog.yaml');
    writeFileSync(catalog, 'requirements:\n  - { id: EXG_PSE_1, area: hosting, check: policy }\n  - { id: EXG_X, area: x, check: policy }\n');
    const json = await runCli(['policy', 'coverage', '--catalog', catalog, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).primary).toEqual({ total: 2, covered: 1, ratio: 0.5 });
    const en = await runCli(['policy', 'coverage', '--catalog', catalog, '--lang', 'en']);
    expect(en.stdout).toContain('Automation rate (EXG_ENV_17): 1 / 2 = 50.0%');
    const de = await runCli(['policy', 'coverage', '--catalog', catalog, '--lang', 'de']);
    expect(de.stderr.trim()).toBe('error: --lang: "de" is not a known language; use one of: fr, en (e.g. --lang fr)');
    expect(de.code).toBe(1);
  });

  it('--tf with a manifest.json that is not JSON names the file and the position', async () => {
    const tf = scratch();
    writeFileSync(join(tf, 'manifest.json'), '{\n  "version": "0.21.0",\n  "stacks": {\n');
    const run = await runCli(['policy', '--tf', tf]);
    expect(run.stderr.trim().split('\n').pop()).toBe(
      `error: ${tf}/manifest.json:4:1: invalid JSON: unexpected end of file, expected a property name in double quotes (synthesize it again with hdsctl synth)`,
    );
    expect(run.code).toBe(1);
  });

  it('--out: when one report cannot be written, none is (all or nothing)', async () => {
    const out = scratch();
    mkdirSync(join(out, 'policy-report.html'));
    writeFileSync(join(out, 'policy-report.json'), '{"previous": true}\n');
    const before = treeSnapshot(out);
    const run = await runCli(['policy', '--env', 'production', '--out', out, '--today', '2026-11-23']);
    expect(run.stderr.trim()).toBe(
      `error: --out: "${out}/policy-report.html" is a directory, expected a file policy may replace; remove or rename it, or give another --out`,
    );
    expect(run.code).toBe(1);
    expect(treeSnapshot(out)).toBe(before);
  });

  it('reports carry repository-relative paths, never absolute ones', async () => {
    const out = join(scratch(), 'r');
    const run = await runCli(['policy', '--env', 'production', '--out', out, '--format', 'json,md,html', '--today', '2026-11-23']);
    expect(run.code).toBe(0);
    const json = readFileSync(join(out, 'policy-report.json'), 'utf8');
    const inputs = JSON.parse(json).inputs as Array<{ kind: string; path: string; sha256: string }>;
    expect(inputs.map((i) => i.path)).toContain('environments/production.yaml');
    // The manifests judged, one digest per OpenShift cluster (as hashInputs computes them).
    const t = shipped().topologies.get('production')!;
    expect(inputs.filter((i) => i.kind === 'manifests')).toEqual(
      ['DC1', 'DC2'].map((site) => ({ kind: 'manifests', path: `manifests:production/${site}`, sha256: manifestsSha256(workloadObjects(t, site)) })),
    );
    for (const f of ['policy-report.json', 'policy-report.md', 'policy-report.html']) {
      const text = readFileSync(join(out, f), 'utf8');
      expect(text).not.toContain(process.cwd());
      expect(text).not.toContain(`${tmpdir()}/`);
    }
  });
});
