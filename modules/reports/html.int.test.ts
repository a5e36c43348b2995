/**
 * The HTML report opened in headless Chromium (modules/testkit/chromium.ts: no network, file://
 * only, a fresh profile). The screenshot is kept as the example under docs/.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../loader/atomicWrite.ts';
import { chromium, screenshot } from '../testkit/chromium.ts';
import { coverage } from '../../policies/coverage.ts';
import { runPolicies } from '../../policies/engine.ts';
import { RULES } from '../../policies/index.ts';
import { environmentInput } from '../../policies/input.ts';
import { shipped, synthesized, TODAY } from '../../policies/testing/fixture.ts';
import { parseWaivers } from '../../policies/waivers.ts';
import { parse } from 'yaml';
import { toHtml } from './html.ts';
import { buildReport } from './report.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CATALOG = process.env.HDS_REQUIREMENTS_CATALOG ?? join(ROOT, '..', 'shared', 'requirements', 'catalog.yaml');

describe.skipIf(!chromium)('HTML report in headless Chromium', () => {
  it('renders, and the screenshot is saved as docs/policy-report-example.png', { timeout: 300_000 }, async () => {
    const ev = shipped();
    const names = ['production', 'preprod-n', 'certification', 'recette', 'lab'];
    const waivers = parseWaivers(readFileSync(join(ROOT, 'policies', 'waivers.yaml'), 'utf8'), new Set(RULES.map((r) => r.id))).waivers;
    const targets = names.map((n) => runPolicies(environmentInput(ev, n, synthesized(names), waivers, TODAY)));
    const catalog = existsSync(CATALOG) ? (parse(readFileSync(CATALOG, 'utf8')) as { requirements: never[] }).requirements : undefined;
    const report = buildReport({
      rules: RULES,
      targets,
      inputs: [],
      waivers,
      waiverErrors: [],
      ...(catalog ? { coverage: coverage(catalog, RULES) } : {}),
      failOn: 'high',
      lang: 'fr',
      today: TODAY,
      generatedAt: `${TODAY}T09:00:00.000Z`,
      version: '0.1.0',
    });
    const dir = mkdtempSync(join(tmpdir(), 'hds-html-'));
    const html = join(dir, 'policy-report.html');
    writeFileAtomic(html, toHtml(report, 'fr'));
    const png = join(dir, 'shot.png');
    const shot = await screenshot(`file://${html}`, png);
    expect(shot).toMatchObject({ png: true, width: 1400 });
    expect(shot.bytes).toBeGreaterThan(20_000);
    copyFileSync(png, join(ROOT, 'docs', 'policy-report-example.png'));
  });
});
