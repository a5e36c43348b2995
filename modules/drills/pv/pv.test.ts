/**
 * The drill PV: labels FR/EN, verdicts, figures, escaping, the SVG chart; and every PV's contract
 * (determinism, pv.json, self-contained HTML, writing all or nothing: modules/reports/pv/contract.ts).
 */

import { describe, expect, it } from 'vitest';
import { pvContract } from '../../reports/pv/contract.ts';
import { count, outsideFences, unescapedPipes } from '../../reports/pv/testing.ts';
import { relevantLines } from '../run.ts';
import { type DrillRun, FAULT_KINDS, TIMELINE_EVENT_KINDS } from '../types.ts';
import { chartSvg } from './chart.ts';
import { renderPv, toHtml, toMarkdown, writePv } from './index.ts';
import { eventLabel, faultLabel } from './labels.ts';
import { fixtureRun, hostileRun } from './testing.ts';

/** XML well-formedness, enough for our SVG: every tag well-formed and balanced, unique attributes, one root, entities only. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const tag = /<[^<>]*>/g;
  let last = 0;
  const chars = (s: string) => {
    if (s.includes('<') || s.includes('>')) problems.push(`stray angle bracket in ${JSON.stringify(s.slice(0, 40))}`);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) problems.push(`bare & in ${JSON.stringify(s.slice(0, 40))}`);
  };
  const text = (s: string) => {
    chars(s);
    if (s.trim() && stack.length === 0) problems.push(`text outside the root: ${JSON.stringify(s.slice(0, 40))}`);
  };
  for (const m of xml.matchAll(tag)) {
    text(xml.slice(last, m.index));
    last = m.index + m[0].length;
    const t = m[0];
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>$/.exec(t);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) problems.push(`</${close[1]}> closes <${open}>`);
      continue;
    }
    const open = /^<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"]*")*)\s*(\/?)>$/.exec(t);
    if (!open) {
      problems.push(`malformed tag ${t.slice(0, 60)}`);
      continue;
    }
    const names = [...open[2]!.matchAll(/([A-Za-z_:][\w:.-]*)="/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) problems.push(`duplicate attribute in ${t.slice(0, 60)}`);
    for (const v of open[2]!.matchAll(/="([^"]*)"/g)) chars(v[1]!);
    if (stack.length === 0) roots++;
    if (!open[3]) stack.push(open[1]!);
  }
  text(xml.slice(last));
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

describe('labels', () => {
  it('has a French and an English label for every fault kind and timeline event', () => {
    for (const k of FAULT_KINDS) for (const lang of ['fr', 'en'] as const) expect(faultLabel(k, lang)).not.toBe(k);
    for (const k of TIMELINE_EVENT_KINDS) for (const lang of ['fr', 'en'] as const) expect(eventLabel(k, lang)).not.toBe(k);
  });
});

describe('Markdown and HTML', () => {
  const run = fixtureRun();

  it('speaks French by default', () => {
    const md = toMarkdown(run);
    const html = toHtml(run);
    for (const doc of [md, html]) {
      for (const s of [
        'PV d’exercice PRA/PCA',
        'Identification de l’exercice',
        'Périmètre',
        'Opérateur',
        'PDMA/RPO',
        'DIMA : budget d’indisponibilité mensuel',
        'Part du budget DIMA du mois',
        'Fenêtre d’exposition PDMA/RPO',
        'Chronologie',
        't depuis l’injection (s)',
        'Vérification du registre des écritures',
        'Extraits de journaux',
        'Preuves',
        'Retour d’expérience (REX)',
        'À compléter : constats, causes, actions correctives, responsables, échéances',
        'Validation',
        'Lu et approuvé',
        'Opérateur de l’exercice',
        'Responsable de plateforme',
        'Auditeur / RSSI',
      ])
        expect(doc, s).toContain(s);
      expect(doc).not.toContain('Lessons learned');
      expect(doc).not.toContain('procès-verbal');
    }
    expect(html).toContain('<html lang="fr">');
  });

  it('speaks English with lang en, glossing the French terms once', () => {
    const md = toMarkdown(run, 'en');
    const html = toHtml(run, 'en');
    for (const doc of [md, html]) {
      for (const s of [
        'PRA/PCA drill PV',
        'Drill identification',
        'Scope',
        'Timeline',
        'Lessons learned (REX)',
        'Platform owner',
        'Auditor / CISO (RSSI)',
        'read and approved',
        'Writes lost',
      ])
        expect(doc, s).toContain(s);
      for (const s of ['Panne', 'Chronologie', 'À compléter', 'Responsable de plateforme']) expect(doc, s).not.toContain(s);
      expect(count(doc, 'procès-verbal')).toBe(1);
      expect(count(doc, 'retour d’expérience')).toBe(1);
      expect(count(doc, 'perte de données maximale admissible')).toBe(1);
    }
    expect(html).toContain('<html lang="en">');
  });

  it('gives the overall, per-fault and checker verdicts', () => {
    const md = toMarkdown(run);
    expect(md).toContain('**Verdict global** : ❌ **ÉCHEC — objectifs non atteints**');
    expect(md).toContain('## Panne 1 / 2 : perte d’un site — DC1 — ✅ réussi');
    expect(md).toContain('## Panne 2 / 2 : partition réseau entre sites — DC2 — ❌ échec');
    expect(md).toContain('## Vérification du registre des écritures — ❌ échec');
    expect(md).toContain('- 1 acknowledged write(s) lost');
    const passing: DrillRun = { ...fixtureRun(), verdict: 'pass' };
    expect(toMarkdown(passing)).toContain('RÉUSSI — objectifs atteints');
    expect(toHtml(passing, 'en')).toContain('<span class="verdict ok">PASS — targets met</span>');
    expect(toHtml(run)).toContain('<span class="verdict ko">ÉCHEC — objectifs non atteints</span>');
  });

  it('formats the figures: RTO in s with one decimal, DIMA in % of the month’s budget, the timeline from the injection', () => {
    const md = toMarkdown(run);
    expect(md).toContain('| 1. perte d’un site — DC1 | 11,4 s | 10,9 s | 28,6 s | 0 | 0,44 % | ✅ réussi |');
    expect(md).toContain('| 2. partition réseau entre sites — DC2 | 14,1 s | 14,1 s | 30,6 s | 1 | 0,54 % | ❌ échec |');
    expect(md).toContain('**0,98 %**');
    expect(md).toContain('- **Part du budget DIMA du mois** : 0,44 % (11,4 s sur 43 min 12 s)');
    expect(md).toContain('| DIMA : budget d’indisponibilité mensuel | 43 min 12 s |');
    expect(md).toContain('| RTO (reprise des écritures par un site survivant) | ≤ 30 s |');
    expect(md).toContain('| perte du leader | 3,1 | no Patroni leader (was pg-documents-dc1-01) |');
    expect(md).toContain('| injection de la panne | 0,0 |');
    expect(md).toContain('| ---: | ---: | ---: | ---: | ---: |\n| 1657 | 727 | 16 | 3 | 1 |');
    const en = toMarkdown(run, 'en');
    expect(en).toContain('| 1. site loss — DC1 | 11.4 s | 10.9 s | 28.6 s | 0 | 0.44 % | ✅ pass |');
    expect(en).toContain('| leader lost | 3.1 |');
    const html = toHtml(run);
    expect(html).toContain('<td class="n">11,4 s</td>');
    expect(html).toContain('<td class="n">0,54 %</td>');
  });

  it('says when writes never stopped', () => {
    const r = fixtureRun();
    delete r.faults[0]!.rtoMs;
    delete r.faults[0]!.writeGapMs;
    expect(toMarkdown(r)).toContain('- **RTO** : — (sans interruption)');
    expect(toMarkdown(r, 'en')).toContain('- **RTO**: — (writes never stopped)');
  });

  it('caps the lost ids at 50, then says how many more', () => {
    const r = fixtureRun();
    r.checker.lost = Array.from({ length: 120 }, (_, i) => `sql-DC2-${String(i).padStart(6, '0')}`);
    const md = toMarkdown(r);
    expect(md).toContain('- `sql-DC2-000049`');
    expect(md).not.toContain('sql-DC2-000050');
    expect(md).toContain('- … et 70 de plus');
    expect(md).toContain('### Écritures acquittées absentes du leader final (120)');
    expect(toMarkdown(r, 'en')).toContain('- … and 70 more');
    const html = toHtml(r, 'en');
    expect(html).toContain('<code>sql-DC2-000049</code>');
    expect(html).not.toContain('sql-DC2-000050');
    expect(html).toContain('… and 70 more');
  });

  it('shows the split-brain evidence, the log excerpts and the evidence files', () => {
    const md = toMarkdown(run);
    expect(md).toContain('### Indices de split-brain (deux leaders acceptant des écritures) (1)');
    expect(md).toContain('- sql-DC2-000342 acknowledged by 10.20.2.11 on timeline 3 at +82.6 s, after timeline 4 took writes at +82.4 s');
    expect(md).toContain('### Défaillance 1 — promotion d’un nouveau leader — `patroni-lab-dc2-pg-documents-01`\n\n```text\n2026-11-30 07:30:18,602 INFO');
    expect(md).toContain('| `logs/patroni-lab-dc1-pg-documents-01.log` | journal Patroni DC1 | 41877 | `');
    const html = toHtml(run);
    expect(html).toContain('<pre>2026-11-30 07:30:18,602 INFO: Got response from pg-documents-dc1-01: timeout\n');
    expect(count(html, '<code class="h">')).toBe(run.evidence.length);
  });

  it('replaces the chart by per-fault figures and a note in Markdown; inlines it in HTML', () => {
    const md = toMarkdown(run);
    expect(md).not.toContain('<svg');
    expect(md).toContain('> Le graphique (débit acquitté par seconde, latence, échecs, fenêtres de panne) figure dans la version HTML de ce PV (pv.html).');
    const html = toHtml(run);
    expect(count(html, '<svg ')).toBe(1);
    expect(html).toContain(chartSvg(run, 'fr'));
  });

  it('escapes what comes from the run: HTML', () => {
    const html = toHtml(hostileRun());
    expect(html).not.toMatch(/<script|<img|<b>write/);
    expect(html).toContain('first unknown &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | pipe');
    expect(html).toContain('ERROR &lt;script&gt;alert(1)&lt;/script&gt; | a|b ``` fence');
    expect(html).toContain('lost &lt;b&gt;write&lt;/b&gt; | sql-DC2-000342');
    expect(html).toContain('ledger | &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<div class="rex"># not a heading\n- &lt;script&gt;alert(2)&lt;/script&gt; | x</div>');
  });

  it('escapes what comes from the run: Markdown (entities, table pipes, fences, block markers)', () => {
    const md = toMarkdown(hostileRun());
    const prose = outsideFences(md);
    expect(prose).not.toMatch(/<script|<img|<b>/);
    const row = md.split('\n').find((l) => l.includes('first unknown'))!;
    expect(row).toBe('| panne détectée (première opération en échec ou lente) | 0,6 | first unknown &lt;script&gt;alert("x")&lt;/script&gt; \\| pipe |');
    expect(unescapedPipes(row)).toBe(4);
    const ev = md.split('\n').find((l) => l.startsWith('| `ledger.jsonl`'))!;
    expect(ev).toContain('ledger \\| &lt;img src=x onerror=alert(1)&gt;');
    expect(unescapedPipes(ev)).toBe(5);
    // The log line stays literal inside a fence longer than its own backtick run.
    expect(md).toContain('````text\n2026-11-30 07:30:18,602');
    expect(md).toContain('ERROR <script>alert(1)</script> | a|b ``` fence\n````');
    expect(md).toContain('- lost &lt;b&gt;write&lt;/b&gt; \\| sql-DC2-000342');
    expect(md).toContain('\\# not a heading  \n\\- &lt;script&gt;alert(2)&lt;/script&gt; \\| x  ');
  });

  it('names the evidence files relative to the run directory', () => {
    expect(toHtml(run)).toContain('<code>logs/haproxy-lab-dc1.log</code>');
  });
});

pvContract({ fixture: fixtureRun, render: renderPv, write: writePv });

describe('chart', () => {
  const run = fixtureRun();

  it('is a well-formed SVG with no script, font or link', () => {
    const svg = chartSvg(run, 'fr');
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined|<script|href|url\(|@font-face|@import|<foreignObject/i);
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
  });

  it('shades one window per fault and marks each promotion and first write after', () => {
    const svg = chartSvg(run, 'en');
    expect(count(svg, '<rect class="fault"')).toBe(run.faults.length);
    expect(count(svg, 'class="marker promoted"')).toBe(2);
    expect(count(svg, 'class="marker first-write-after"')).toBe(2);
    // Fault 1: 10 s → 40 s on 120 s over 906 px from x = 70.
    expect(svg).toContain('<rect class="fault" data-fault="1" x="145.5" y="70" width="226.5"');
  });

  it('draws both paths, latency p50 and max, failed and unknown bars; labels in the chosen language', () => {
    const fr = chartSvg(run, 'fr');
    for (const cls of ['ok api', 'ok sql', 'p50 api', 'p50 sql', 'max api', 'max sql']) expect(fr).toContain(`class="${cls}"`);
    expect(count(fr, '<rect class="failed"')).toBeGreaterThan(20);
    expect(count(fr, '<rect class="unknown"')).toBeGreaterThan(2);
    expect(fr).toContain('secondes depuis le début de l’exercice');
    expect(fr).toContain('latence (ms, échelle log)');
    expect(fr).toContain('écritures acquittées / s');
    const en = chartSvg(run, 'en');
    expect(en).toContain('seconds since the start of the drill');
    expect(en).toContain('latency (ms, log scale)');
    expect(en).not.toContain('secondes');
  });

  it('handles an empty series and a single point without NaN', () => {
    const empty = chartSvg({ ...run, series: [] }, 'fr');
    expect(xmlProblems(empty)).toEqual([]);
    expect(empty).not.toMatch(/NaN|Infinity/);
    expect(empty).toContain('Aucune mesure');
    expect(count(empty, '<rect class="fault"')).toBe(2);
    const nothing = chartSvg({ ...run, series: [], faults: [] }, 'en');
    expect(xmlProblems(nothing)).toEqual([]);
    expect(nothing).not.toMatch(/NaN|Infinity/);
    expect(count(nothing, '<rect class="fault"')).toBe(0);
    const one = chartSvg({ ...run, faults: [], series: [{ t: 0, path: 'api', ok: 3, failed: 1, unknown: 1, p50Ms: 5, maxMs: 9 }] }, 'fr');
    expect(xmlProblems(one)).toEqual([]);
    expect(one).not.toMatch(/NaN|Infinity/);
    expect(count(one, '<circle class="ok api"')).toBe(1);
    expect(count(one, '<rect class="failed"')).toBe(1);
    const zero = chartSvg({ ...run, faults: [], series: [{ t: 0, path: 'sql', ok: 0, failed: 0, unknown: 0, p50Ms: 0 }] }, 'fr');
    expect(zero).not.toMatch(/NaN|Infinity/);
    expect(toHtml({ ...run, series: [], faults: [], excerpts: [], evidence: [] })).not.toMatch(/NaN|undefined/);
  });

  it('is deterministic', () => {
    expect(chartSvg(fixtureRun(), 'fr')).toBe(chartSvg(fixtureRun(), 'fr'));
    const reversed = { ...fixtureRun(), series: [...fixtureRun().series].reverse() };
    expect(chartSvg(reversed, 'fr')).toBe(chartSvg(fixtureRun(), 'fr'));
  });
});

describe('log excerpts', () => {
  it('keep what happened and drop Patroni’s heartbeat and the tracebacks of health checks', () => {
    const kept = relevantLines([
      '2026-11-30 09:40:23,264 INFO: no action. I am (lab-dc1-pg-documents-01), the leader with the lock',
      "2026-11-30 09:40:23,357 INFO: Updating synchronous privilege temporarily from ['lab-dc2'] to []",
      '2026-11-30 09:40:24,001 WARNING: Exception happened during processing of request from 10.199.4.138:44234',
      '2026-11-30 09:40:24,002 WARNING: Traceback (most recent call last):',
      '  File "/usr/lib/python3.11/ssl.py", line 1243, in send',
      'ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:2393)',
      'hds-fence: stopping the postmaster left running on /data (immediate shutdown)',
      '',
    ]);
    expect(kept).toEqual([
      "2026-11-30 09:40:23,357 INFO: Updating synchronous privilege temporarily from ['lab-dc2'] to []",
      'hds-fence: stopping the postmaster left running on /data (immediate shutdown)',
    ]);
  });
});
