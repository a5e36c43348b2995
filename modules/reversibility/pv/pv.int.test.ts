/**
 * The reversibility documents (the dry-run report and the destruction certificate) opened in
 * headless Chromium (modules/testkit/chromium.ts: no network, file:// only, a fresh profile).
 * Needs no root and no namespace. As for the restore-test PV, each page is opened as a probe copy
 * (its Content-Security-Policy removed, so that an external reference would be tried and seen, and a
 * probe script appended that writes into the DOM every resource loaded and how the verdict renders);
 * the page as written (CSP in place) is opened too, and screenshot. Every launch logs the page's
 * console to stderr (`--enable-logging=stderr`): no page may print anything there (a CSP violation,
 * a script error). A control copy with an external image and a console error proves both
 * detections work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Lang } from '../../../policies/types.ts';
import { writeFileAtomic } from '../../loader/atomicWrite.ts';
import { ABSOLUTE_PATH } from '../../reports/pv/testing.ts';
import { chromium, headlessFlags, screenshot } from '../../testkit/chromium.ts';
import { destructionHtml, dryRunHtml } from './html.ts';
import { failingDestruction, failingDryRun, fixtureDestruction, fixtureDryRun } from './testing.ts';

const CSP = /<meta http-equiv="Content-Security-Policy"[^>]*>/;

const PROBE = `<pre id="hds-probe"></pre><script>
addEventListener('load', () => setTimeout(() => {
  const v = document.querySelector('[data-verdict]');
  const r = v ? v.getBoundingClientRect() : { width: 0, height: 0 };
  const s = v ? getComputedStyle(v) : null;
  const b = document.body.getBoundingClientRect();
  document.getElementById('hds-probe').textContent = JSON.stringify({
    resources: performance.getEntriesByType('resource').map((e) => e.name),
    verdict: v ? v.getAttribute('data-verdict') : null,
    text: v ? v.textContent : null,
    width: r.width,
    height: r.height,
    shown: !!s && s.display !== 'none' && s.visibility !== 'hidden',
    background: s ? s.backgroundColor : null,
    failedRows: document.querySelectorAll('tr[data-status="fail"]').length,
    sections: [...document.querySelectorAll('main > section')].map((e) => e.id),
    pageHeight: b.height,
  });
}, 200));
</script>`;

interface Probe {
  resources: string[];
  verdict: string | null;
  text: string | null;
  width: number;
  height: number;
  shown: boolean;
  background: string | null;
  failedRows: number;
  sections: string[];
  pageHeight: number;
}

const unescapeText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');

/** Opens `url` once loaded and its timers run: the serialised DOM and every line the page printed to its console. */
async function open(url: string): Promise<{ dom: string; console: string[] }> {
  const r = await execa(chromium!, [...headlessFlags(), '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom', url], {
    timeout: 120_000,
    reject: true,
  });
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l)) };
}

/** The page with its CSP removed and the probe appended, opened: what the probe saw, and the console. */
async function probe(dir: string, name: string, html: string): Promise<Probe & { console: string[] }> {
  expect(html).toMatch(CSP);
  const file = join(dir, name);
  writeFileAtomic(file, html.replace(CSP, '').replace('</body>', `${PROBE}</body>`));
  const { dom, console } = await open(`file://${file}`);
  const m = /<pre id="hds-probe">([\s\S]*?)<\/pre>/.exec(dom);
  expect(m?.[1], `the probe of ${name} did not run`).toBeTruthy();
  return { ...(JSON.parse(unescapeText(m![1]!)) as Probe), console };
}

const GREEN = 'rgb(223, 243, 228)';
const RED = 'rgb(251, 224, 224)';

describe.skipIf(!chromium)('reversibility documents in headless Chromium', () => {
  it('load no external resource, print nothing to the console, and show the verdict, passed or failed', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-reversibility-pv-html-'));
    const cases: Array<{ name: string; html: (lang: Lang) => string; lang: Lang; verdict: string; text: string; background: string; failedRows: number }> = [
      {
        name: 'dry-run-pass',
        html: (l) => dryRunHtml(fixtureDryRun(), l),
        lang: 'fr',
        verdict: 'passed',
        text: 'RÉUSSI — plateforme reconstruite depuis l’export, aucune différence',
        background: GREEN,
        failedRows: 0,
      },
      {
        name: 'dry-run-fail',
        html: (l) => dryRunHtml(failingDryRun(), l),
        lang: 'en',
        verdict: 'failed',
        text: 'FAILED — reversibility not proven',
        background: RED,
        failedRows: 5,
      },
      {
        name: 'destruction-pass',
        html: (l) => destructionHtml(fixtureDestruction(), l),
        lang: 'fr',
        verdict: 'destroyed',
        text: 'DÉTRUIT — destruction prouvée',
        background: GREEN,
        failedRows: 0,
      },
      {
        name: 'destruction-fail',
        html: (l) => destructionHtml(failingDestruction(), l),
        lang: 'en',
        verdict: 'incomplete',
        text: 'FAILED — destruction not proven',
        background: RED,
        failedRows: 4,
      },
    ];
    for (const c of cases) {
      const page = c.html(c.lang);
      expect(page).not.toMatch(ABSOLUTE_PATH);
      const p = await probe(dir, `probe-${c.name}.html`, page);
      expect(p.console, c.name).toEqual([]);
      expect(p.resources, c.name).toEqual([]);
      expect(p.verdict).toBe(c.verdict);
      expect(p.text).toBe(c.text);
      expect(p.shown).toBe(true);
      expect(p.width).toBeGreaterThan(100);
      expect(p.height).toBeGreaterThan(10);
      expect(p.background).toBe(c.background);
      expect(p.failedRows, c.name).toBe(c.failedRows);
      expect(p.sections).toEqual(expect.arrayContaining(['verdict', 'identification', 'evidence', 'rex', 'validation']));
      expect(p.pageHeight).toBeGreaterThan(1000);
    }

    // Control: an external image and a console error, which the probe and the console capture must see.
    const control = await probe(
      dir,
      'control.html',
      dryRunHtml(fixtureDryRun()).replace(
        '</main>',
        `<img src="http://127.0.0.1:9/external.png" alt=""><script>console.error('control-error')</script></main>`,
      ),
    );
    expect(control.resources).toContain('http://127.0.0.1:9/external.png');
    expect(control.console.join('\n')).toContain('control-error');

    // The pages as written, CSP in place: nothing on the console, the verdict rendered, a screenshot that is not blank.
    for (const [name, html, badge] of [
      ['dry-run.html', dryRunHtml(failingDryRun()), '<span class="verdict ko" data-verdict="failed">ÉCHEC — réversibilité non prouvée</span>'],
      [
        'destruction.html',
        destructionHtml(fixtureDestruction(), 'en'),
        '<span class="verdict ok" data-verdict="destroyed">DESTROYED — destruction proven</span>',
      ],
    ] as const) {
      const file = join(dir, name);
      writeFileAtomic(file, html);
      const { dom, console } = await open(`file://${file}`);
      expect(console, name).toEqual([]);
      expect(dom).toContain(badge);
      const shot = await screenshot(`file://${file}`, join(dir, `${name}.png`));
      expect(shot).toMatchObject({ png: true, width: 1400 });
      expect(shot.height).toBeGreaterThan(0);
      expect(shot.bytes).toBeGreaterThan(20_000);
    }
  });
});
