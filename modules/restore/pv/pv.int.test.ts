/**
 * The restore-test PV opened in headless Chromium (modules/testkit/chromium.ts: no network,
 * file:// only, a fresh profile). Needs no root and no namespace. Each page is opened as a probe copy: its Content-Security-Policy removed (so
 * that an external reference would be tried and seen rather than silently blocked) and a probe
 * script appended that, after load, writes into the DOM every resource the page loaded and how the
 * verdict badge renders; `--dump-dom` returns that DOM. A control copy with one external image
 * proves the detection works. The page as written (CSP in place) is dumped and screenshot too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lang } from '../../../policies/types.ts';
import { writeFileAtomic } from '../../loader/atomicWrite.ts';
import { ABSOLUTE_PATH } from '../../reports/pv/testing.ts';
import { chromium, dumpDom, screenshot } from '../../testkit/chromium.ts';
import type { RestoreTestRun } from '../types.ts';
import { toHtml } from './html.ts';
import { failingRestoreRun, fixtureRestoreRun } from './testing.ts';

const CSP = /<meta http-equiv="Content-Security-Policy"[^>]*>/;

const PROBE = `<pre id="hds-probe"></pre><script>
addEventListener('load', () => setTimeout(() => {
  const v = document.querySelector('[data-verdict]');
  const r = v ? v.getBoundingClientRect() : { width: 0, height: 0 };
  const s = v ? getComputedStyle(v) : null;
  document.getElementById('hds-probe').textContent = JSON.stringify({
    resources: performance.getEntriesByType('resource').map((e) => e.name),
    verdict: v ? v.getAttribute('data-verdict') : null,
    text: v ? v.textContent : null,
    width: r.width,
    height: r.height,
    shown: !!s && s.display !== 'none' && s.visibility !== 'hidden',
    background: s ? s.backgroundColor : null,
    failedChecks: [...document.querySelectorAll('tr[data-status="fail"]')].map((e) => e.getAttribute('data-check')),
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
  failedChecks: string[];
}

const unescapeText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');

/** The page with its CSP removed and the probe appended, opened; what the probe saw. */
async function probe(dir: string, name: string, html: string): Promise<Probe> {
  expect(html).toMatch(CSP);
  const file = join(dir, name);
  writeFileAtomic(file, html.replace(CSP, '').replace('</body>', `${PROBE}</body>`));
  const dom = await dumpDom(`file://${file}`);
  const m = /<pre id="hds-probe">([\s\S]*?)<\/pre>/.exec(dom);
  expect(m?.[1], `the probe of ${name} did not run`).toBeTruthy();
  return JSON.parse(unescapeText(m![1]!)) as Probe;
}

describe.skipIf(!chromium)('restore-test PV in headless Chromium', () => {
  it('loads no external resource and shows the verdict, passed or failed', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-restore-pv-html-'));
    const cases: Array<{ run: RestoreTestRun; lang: Lang; verdict: 'pass' | 'fail'; text: string; background: string }> = [
      { run: fixtureRestoreRun(), lang: 'fr', verdict: 'pass', text: 'RÉUSSI — sauvegarde restaurée et vérifiée', background: 'rgb(223, 243, 228)' },
      { run: failingRestoreRun(), lang: 'en', verdict: 'fail', text: 'FAIL — restore not proven', background: 'rgb(251, 224, 224)' },
    ];
    for (const [i, c] of cases.entries()) {
      const page = toHtml(c.run, c.lang);
      expect(page).not.toMatch(ABSOLUTE_PATH);
      const p = await probe(dir, `probe-${i}.html`, page);
      expect(p.resources).toEqual([]);
      expect(p.verdict).toBe(c.verdict);
      expect(p.text).toBe(c.text);
      expect(p.shown).toBe(true);
      expect(p.width).toBeGreaterThan(100);
      expect(p.height).toBeGreaterThan(10);
      expect(p.background).toBe(c.background);
      expect(p.failedChecks).toEqual(c.verdict === 'fail' ? ['physical.amcheck'] : []);
    }

    // Control: the same page with one external image, which the probe must see.
    const control = await probe(
      dir,
      'control.html',
      toHtml(fixtureRestoreRun()).replace('</main>', '<img src="http://127.0.0.1:9/external.png" alt=""></main>'),
    );
    expect(control.resources).toContain('http://127.0.0.1:9/external.png');

    // The page as written, CSP in place: it renders its verdict, and a screenshot of it is not blank.
    const html = join(dir, 'pv.html');
    writeFileAtomic(html, toHtml(failingRestoreRun()));
    const dom = await dumpDom(`file://${html}`);
    expect(dom).toContain('<span class="verdict ko" data-verdict="fail">ÉCHEC — restauration non prouvée</span>');
    const png = join(dir, 'shot.png');
    const shot = await screenshot(`file://${html}`, png);
    expect(shot).toMatchObject({ png: true, width: 1400 });
    expect(shot.bytes).toBeGreaterThan(20_000);
  });
});
