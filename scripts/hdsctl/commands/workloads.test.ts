/**
 * `hdsctl workloads render` and `list-stacks`: bad flags are one line and change nothing; the
 * manifests of every cluster are written atomically, with their hashes, only into a directory
 * the command owns; a schema error or a cluster that does not fit writes nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import type { K8sObject } from '../../../modules/model/workloads.ts';
import { renderSteps } from '../../../modules/workloads/render.ts';
import { runCliIn, scratchProject, treeSnapshot } from '../testing.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('hdsctl workloads render', { timeout: 300_000 }, () => {
  it('refuses bad flags with one line, exit 1, and changes nothing', async () => {
    const p = scratchProject();
    const recette = join(p, 'environments', 'recette.yaml');
    const doc = parseDocument(readFileSync(recette, 'utf8'));
    doc.deleteIn(['workloads']);
    writeFileSync(recette, doc.toString());
    const cases: Array<[string[], string | RegExp]> = [
      [[], 'error: --env is required; name the environment (e.g. hdsctl workloads render --env production), or --all for every environment with workloads'],
      [['--all', '--env', 'production'], 'error: --all and --env "production" exclude each other; give one (e.g. hdsctl workloads render --all)'],
      [['--all', '--cluster', 'DC1'], 'error: --cluster "DC1" needs --env (one environment), not --all; drop --cluster or name the environment'],
      [['--env', 'nope'], /^error: --env: "nope" is not an environment of environments \(known: bench, certification, .*production.*\); /],
      [
        ['--env', 'lab'],
        /^error: --env: "lab" has no OpenShift cluster \(services\.openshift\), so no workloads; use one of: bench, certification, .*production/,
      ],
      [
        ['--env', 'recette'],
        /^error: --env: "recette" runs no application workloads \(no workloads: section\); add one \(see docs\/workloads\.md\); or use one of: .*production/,
      ],
      [
        ['--env', 'production', '--cluster', 'DC3'],
        'error: --cluster: "DC3" is not an OpenShift site of production; use one of: DC1, DC2 (e.g. --cluster DC1)',
      ],
      [
        ['--env', 'production', '--cluster', 'dc 1'],
        'error: --cluster: "dc 1" is not a site name; give an OpenShift site of the environment (e.g. --cluster DC1)',
      ],
      [
        ['--env', 'production', '--out', 'environments'],
        'error: --out: "environments" holds environment files; workloads render replaces its whole output directory: give a dedicated directory (e.g. --out out/workloads)',
      ],
      [
        ['--env', 'production', '--out', 'notes.txt'],
        'error: --out: "notes.txt" is an existing file, expected a directory; give a directory path (e.g. --out out/workloads) or remove the file',
      ],
    ];
    for (const [args, message] of cases) {
      const before = treeSnapshot(p);
      const run = await runCliIn(p, ['workloads', 'render', ...args]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      if (typeof message === 'string') expect(run.stderr.trim()).toBe(message);
      else expect(run.stderr.trim()).toMatch(message);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(treeSnapshot(p)).toBe(before);
    }
  });

  it('--all: every environment with workloads in one run, each under <env>/<site>/, the same bytes as its own render', async () => {
    const p = scratchProject();
    const stacks = JSON.parse((await runCliIn(p, ['workloads', 'list-stacks', '--json'])).stdout) as Array<{ environment: string; cluster: string }>;
    const all = await runCliIn(p, ['workloads', 'render', '--all', '--out', 'out/all', '--json']);
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout) as { environments: string[]; clusters: Array<{ environment: string; site: string; directory: string }> };
    expect(report.environments).toEqual([...new Set(stacks.map((x) => x.environment))].sort());
    expect(report.clusters.map((c) => `${c.environment}-${c.site}`).sort()).toEqual(stacks.map((x) => `${x.environment}-${x.cluster}`).sort());
    for (const env of report.environments) expect(existsSync(join(p, 'out', 'all', env))).toBe(true);
    // One environment rendered alone gives the same files as its part of --all.
    const one = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--out', 'out/one']);
    expect(one.code).toBe(0);
    const sums = (dir: string) =>
      readFileSync(join(p, dir, 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.includes('  production/'));
    expect(sums('out/one').length).toBeGreaterThan(0);
    expect(sums('out/all')).toEqual(sums('out/one'));
  });

  it('writes the manifests of both production clusters with their hashes, and replaces only its own output', async () => {
    const p = scratchProject();
    const run = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--json']);
    expect(run.stderr).toMatch(/ok: \d+ resources in 2 cluster\(s\), captured under Pulumi mocks and schema-checked/);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      outdir: string;
      clusters: Array<{ site: string; fits: boolean; namespaces: string[]; files: string[]; resources: number }>;
    };
    expect(report.ok).toBe(true);
    expect(report.outdir).toBe('out/workloads');
    expect(report.clusters.map((c) => [c.site, c.fits])).toEqual([
      ['DC1', true],
      ['DC2', true],
    ]);
    const root = join(p, 'out', 'workloads');
    expect(readdirSync(root).sort()).toEqual(['.hdsctl-output', 'SHA256SUMS', 'production']);
    expect(readdirSync(join(root, 'production')).sort()).toEqual(['dc1', 'dc2']);
    for (const c of report.clusters) {
      const dir = join(root, 'production', c.site.toLowerCase());
      expect(readdirSync(dir)).toEqual(c.files);
      // One file per namespace, numbered, the Namespace first; every document a Kubernetes object.
      const docs = c.files.flatMap((f, k) => {
        expect(f).toMatch(new RegExp(`^${String(k + 1).padStart(2, '0')}-${c.namespaces[k]}\\.yaml$`));
        const objects = parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject);
        expect(objects[0]).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespaces[k] } });
        expect(objects.every((o) => o.metadata.namespace === undefined || o.metadata.namespace === c.namespaces[k])).toBe(true);
        return objects;
      });
      expect(docs).toHaveLength(c.resources);
      expect(docs.some((o) => o.kind === 'Secret')).toBe(false);
    }
    // SHA256SUMS covers every manifest (sha256sum -c format).
    const sums = readFileSync(join(root, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums).toHaveLength(report.clusters.reduce((n, c) => n + c.files.length, 0));
    for (const line of sums) {
      const [hash, rel] = line.split('  ');
      expect(
        createHash('sha256')
          .update(readFileSync(join(root, rel!)))
          .digest('hex'),
      ).toBe(hash);
    }
    // The next run (one cluster) replaces the whole directory, its own, stale files included.
    writeFileSync(join(root, 'stale.yaml'), 'kind: Stale\n');
    const again = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--cluster', 'dc2']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Workloads of production in out\/workloads/);
    expect(again.stdout).toMatch(/\nDC2 +production-dc2 +\d+ +\d+ +\d+ +\d+\/\d+ .* yes$/m);
    expect(existsSync(join(root, 'stale.yaml'))).toBe(false);
    expect(readdirSync(join(root, 'production'))).toEqual(['dc2']);
    // A directory it did not write is refused.
    mkdirSync(join(p, 'mine'));
    writeFileSync(join(p, 'mine', 'plan.md'), '# mine\n');
    const before = treeSnapshot(p);
    const foreign = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--out', 'mine']);
    expect(foreign.stderr.trim()).toBe(
      'error: --out: "mine" is a non-empty directory that workloads render did not write (no .hdsctl-output marker); give a new or empty directory (e.g. --out out/workloads), or remove it first',
    );
    expect(foreign.code).toBe(1);
    expect(treeSnapshot(p)).toBe(before);
  });

  it('writes nothing and lists the resource and JSON path when a captured resource does not match its schema', async () => {
    const p = scratchProject();
    const capture = renderSteps.capture;
    // A deliberately wrong field, through the real validator.
    vi.spyOn(renderSteps, 'capture').mockImplementation(async (t, site) => {
      const objects = await capture(t, site);
      const d = objects.find((o) => o.kind === 'Deployment')!;
      (d.spec as { replicas: unknown }).replicas = 'two';
      return objects;
    });
    const before = treeSnapshot(p);
    const run = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--cluster', 'DC1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-2)).toBe('error: 1 field(s) of the captured resources do not match their schema, nothing was written:');
    expect(lines.at(-1)).toMatch(/^DC1 Deployment [a-z-]+\/[a-z0-9-]+ \/spec\/replicas: "two" .*integer/);
    expect(treeSnapshot(p)).toBe(before);
    expect(existsSync(join(p, 'out'))).toBe(false);
  });

  it('writes nothing and exits 1 when a cluster does not fit its workers, with the summary on stdout', async () => {
    const p = scratchProject();
    const capacity = renderSteps.capacity;
    vi.spyOn(renderSteps, 'capacity').mockImplementation((t, site) => {
      const c = capacity(t, site);
      return { ...c, workers: { count: 2, vcpu: 8, ramGiB: 32 }, allocatable: { cpuMillis: 14_000, memoryMiB: 61_440 } };
    });
    const before = treeSnapshot(p);
    const run = await runCliIn(p, ['workloads', 'render', '--env', 'production', '--cluster', 'DC1', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, outdir: null, clusters: [{ site: 'DC1', fits: false }] });
    expect(run.stderr).toMatch(
      /error: the workloads do not fit their cluster, nothing was written:\nproduction DC1: at the HPA maxima \(10x the average load, EXG_VOL_5\) CPU requests [\d.]+ vCPU > 14\.0 allocatable and memory requests [\d.]+ GiB > 60\.0 allocatable on 2 workers of 8 vCPU \/ 32 GiB/,
    );
    expect(treeSnapshot(p)).toBe(before);
  });
});

describe('hdsctl workloads list-stacks', { timeout: 120_000 }, () => {
  it('lists one stack per environment with workloads and OpenShift cluster', async () => {
    const p = scratchProject();
    const run = await runCliIn(p, ['workloads', 'list-stacks', '--json']);
    expect(run.code).toBe(0);
    const rows = parse(run.stdout) as Array<{ stack: string; environment: string; cluster: string }>;
    expect(rows.filter((r) => r.environment === 'production').map((r) => r.stack)).toEqual(['production-dc1', 'production-dc2']);
    expect(rows.every((r) => r.stack === `${r.environment}-${r.cluster.toLowerCase()}`)).toBe(true);
    expect(rows.some((r) => r.environment === 'lab')).toBe(false);
    const one = await runCliIn(p, ['workloads', 'list-stacks', '--env', 'lab']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/^error: --env: "lab" has no OpenShift cluster/);
  });
});
