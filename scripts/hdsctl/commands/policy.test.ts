import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesized } from '../../../policies/testing/fixture.ts';
import { runCli } from '../testing.ts';

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
