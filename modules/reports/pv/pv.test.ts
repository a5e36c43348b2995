/** What every PV shares: number formats, escaping, the evidence, REX and validation blocks, the HTML page, the files. */

import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../../loader/safeOutput.ts';
import { mdCode, mdFence, mdLine, mdText } from './escape.ts';
import { arr, duration, int, num, percent, seconds } from './format.ts';
import { evidenceHtml, htmlPage, kvHtml, PV_CSS, rexHtml, validationHtml } from './html.ts';
import { jsonSha256, stableJson } from './json.ts';
import { evidenceMd, kvMd, rexMd, validationMd } from './markdown.ts';
import { count, fixtureEvidence, outsideFences, reversedKeys, unescapedPipes } from './testing.ts';
import type { PvValidation } from './types.ts';
import { PV_FILES, writePvFiles } from './write.ts';

const RUN = { id: 'run-1', startedAt: '2026-11-30T07:30:00.000Z', endedAt: '2026-11-30T07:32:00.000Z', operator: 'c.martin', extra: [3, 1] };
const EVIDENCE = fixtureEvidence([
  ['ledger.jsonl', 'registre | <b>ledger</b>', 412_230],
  ['logs/a`b.log', 'journal', 41],
]);

describe('formats', () => {
  it('formats numbers the French or English way, half up, never NaN', () => {
    expect(seconds(11_350, 'fr')).toBe('11,4 s');
    expect(seconds(11_350, 'en')).toBe('11.4 s');
    expect(seconds(-40, 'fr')).toBe('0,0 s');
    expect(seconds(undefined, 'fr')).toBe('—');
    expect(percent(11.35 / 2592, 'fr')).toBe('0,44 %');
    expect(percent(14.1 / 2592, 'en')).toBe('0.54 %');
    expect(percent(Number.NaN, 'en')).toBe('—');
    expect(num(Number.POSITIVE_INFINITY, 1, 'fr')).toBe('—');
    expect(duration(2592, 'fr')).toBe('43 min 12 s');
    expect(duration(30, 'fr')).toBe('30 s');
    expect(duration(120, 'en')).toBe('2 min');
    expect(duration(3723, 'en')).toBe('1 h 02 min 03 s');
    expect(int(2.6)).toBe('3');
    expect(int('3')).toBe('—');
    expect(arr(undefined)).toEqual([]);
    expect(arr('x' as unknown as string[])).toEqual([]);
  });
});

describe('escaping', () => {
  it('escapes Markdown text, lines, code spans and fences', () => {
    expect(mdText('a|b *c* _d_ [e](f) `g` <h> & \\')).toBe('a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\`g\\` &lt;h&gt; &amp; \\\\');
    expect(mdLine('1. x')).toBe('1\\. x');
    expect(mdLine('## x')).toBe('\\## x');
    expect(mdCode('a|`b`')).toBe('`` a\\|`b` ``');
    expect(mdCode('a|b', false)).toBe('`a|b`');
    expect(mdFence(['x ```` y'])).toEqual(['`````text', 'x ```` y', '`````']);
  });

  it('the test helpers see prose outside fences and unescaped pipes only', () => {
    expect(outsideFences('a\n```text\n<b>\n```\nc')).toBe('a\nc');
    expect(outsideFences('a\n````text\n```\n<b>\n````\nc')).toBe('a\nc');
    expect(unescapedPipes('| a \\| b | c |')).toBe(3);
    expect(count('abab', 'ab')).toBe(2);
    const r = reversedKeys({ a: 1, b: [{ c: 1, d: 2 }] });
    expect(Object.keys(r)).toEqual(['b', 'a']);
    expect(Object.keys(r.b[0]!)).toEqual(['d', 'c']);
  });
});

describe('key-value, evidence and REX blocks', () => {
  it('prints key-value rows, escaped', () => {
    const rows = [{ label: 'Nom <x>', value: 'a|b' }];
    expect(kvMd(rows, 'fr')).toBe('- **Nom &lt;x&gt;** : a\\|b');
    expect(kvMd(rows, 'en')).toBe('- **Nom &lt;x&gt;**: a\\|b');
    expect(kvHtml(rows)).toBe('<table class="kv"><tr><th>Nom &lt;x&gt;</th><td>a|b</td></tr></table>');
  });

  it('prints one evidence row per file with its SHA-256, or says there is none', () => {
    const md = evidenceMd(EVIDENCE, 'fr');
    expect(md.slice(0, 4)).toEqual(['## Preuves', '', '| Fichier | Contenu | Octets | SHA-256 |', '| --- | --- | ---: | --- |']);
    expect(md[4]).toBe(`| \`ledger.jsonl\` | registre \\| &lt;b&gt;ledger&lt;/b&gt; | 412230 | \`${EVIDENCE[0]!.sha256}\` |`);
    expect(unescapedPipes(md[5]!)).toBe(5);
    expect(md.at(-1)).toBe('');
    expect(evidenceMd([], 'en')).toEqual(['## Evidence', '', 'No evidence file.', '']);
    expect(evidenceMd(undefined, 'fr')).toEqual(['## Preuves', '', 'Aucun fichier de preuve.', '']);
    const html = evidenceHtml(EVIDENCE, 'en');
    expect(count(html, '<code class="h">')).toBe(2);
    expect(html).toContain('<td>registre | &lt;b&gt;ledger&lt;/b&gt;</td><td class="n">412230</td>');
    expect(evidenceHtml([], 'fr')).toBe('<section id="evidence"><h2>Preuves</h2><p>Aucun fichier de preuve.</p></section>');
  });

  it('prints the REX line by line with no block marker, or what is left to complete', () => {
    expect(rexMd('# not a heading\n\n- <b>x</b> | y', 'fr')).toEqual([
      '## Retour d’expérience (REX)',
      '',
      '\\# not a heading  ',
      '',
      '\\- &lt;b&gt;x&lt;/b&gt; \\| y  ',
      '',
    ]);
    expect(rexMd('  ', 'en')).toEqual(['## Lessons learned (REX)', '', '_To complete: findings, causes, corrective actions, owners, due dates._', '']);
    expect(rexMd(42, 'fr')[2]).toMatch(/^_À compléter/);
    expect(rexHtml(' <i>done</i> ', 'en')).toBe('<section id="rex"><h2>Lessons learned (REX)</h2><div class="rex">&lt;i&gt;done&lt;/i&gt;</div></section>');
    expect(rexHtml(undefined, 'fr')).toContain('<p class="todo">À compléter');
  });
});

describe('validation block', () => {
  const blank: PvValidation = { signatories: [{ role: 'Opérateur', name: 'c.martin' }, { role: 'Auditeur' }] };
  const decided: PvValidation = {
    decision: 'validatedWithReserves',
    reserves: '  rate <low> ',
    signatories: [{ role: 'Auditeur', name: 'A. Durand', position: 'RSSI', date: '' }],
  };

  it('in Markdown: boxes, the decided one ticked, reserves, a row per signatory, the SHA-256 of the run', () => {
    const md = validationMd(blank, RUN, 'fr').join('\n');
    expect(md).toContain(
      'Décision :\n\n- [ ] validé\n- [ ] validé avec réserves\n- [ ] non validé\n\n| Rôle | Nom | Fonction | Date | Mention « Lu et approuvé », signature |',
    );
    // Undefined fields are blanks to fill in by hand.
    expect(md).toContain('\n| Opérateur | c.martin | | | |\n| Auditeur | | | | |\n');
    expect(md).not.toContain('Réserves');
    expect(md).toContain(`<sub>Rendu depuis pv.json (source de vérité), SHA-256 \`${jsonSha256(RUN)}\`</sub>`);
    const signed = validationMd(decided, RUN, 'en').join('\n');
    expect(signed).toContain('- [ ] validated\n- [x] validated with reservations\n- [ ] not validated\n\n**Reservations**: rate &lt;low&gt;\n');
    // Recorded fields print as recorded, even empty.
    expect(signed).toContain('| Auditeur | A. Durand | RSSI |  | |');
    expect(count(signed, '[x]')).toBe(1);
  });

  it('in HTML: boxes, the decided one ticked, reserves, a box to sign per signatory', () => {
    const html = validationHtml(blank, 'fr');
    expect(html).toContain('<p>Décision : ☐ validé &nbsp; ☐ validé avec réserves &nbsp; ☐ non validé</p><div class="signs">');
    expect(count(html, '<div class="sign">')).toBe(2);
    expect(count(html, '<div class="box"></div>')).toBe(2);
    expect(html).toContain('<p>Nom : <b>c.martin</b></p><p>Fonction : <span class="line"></span></p>');
    const signed = validationHtml(decided, 'en');
    expect(signed).toContain('☐ validated &nbsp; ☒ validated with reservations &nbsp; ☐ not validated');
    expect(signed).toContain('<p><b>Reservations</b>: rate &lt;low&gt;</p>');
    expect(signed).toContain('<p>Position: <b>RSSI</b></p><p>Date: <span class="line"></span></p>');
  });
});

describe('HTML page', () => {
  const page = htmlPage(RUN, {
    lang: 'en',
    title: 'Restore test PV',
    about: ['docs<script>', 'lab'],
    facts: ['lab & co'],
    gloss: 'PV: procès-verbal',
    css: `${PV_CSS}.x{}`,
    sections: ['<section id="a"></section>', '<section id="b"></section>'],
  });

  it('is self-contained: a CSP that forbids any load, inline CSS, no script', () => {
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(page).toContain('.x{}</style>');
    expect(page).not.toMatch(/<script|<link|<img|https?:\/\//i);
  });

  it('has the header, the sections in order and the SHA-256 of the run in the footer', () => {
    expect(page).toContain('<title>Restore test PV — run-1</title>');
    expect(page).toContain('<h1>Restore test PV — docs&lt;script&gt; — lab</h1>');
    expect(page).toContain(
      '<p>run-1 · lab &amp; co · 2026-11-30T07:30:00.000Z → 2026-11-30T07:32:00.000Z · Operator: c.martin</p><p class="gloss">PV: procès-verbal</p>',
    );
    expect(page).toContain('<main><section id="a"></section>\n<section id="b"></section></main>');
    expect(page).toContain(`<footer>Rendered from pv.json (source of truth), SHA-256 <code>${jsonSha256(RUN)}</code></footer>`);
    const fr = htmlPage(RUN, { lang: 'fr', title: 'PV', about: [], facts: [], gloss: '', css: '', sections: [] });
    expect(fr).toContain('<h1>PV</h1><p>run-1 · 2026-11-30T07:30:00.000Z → 2026-11-30T07:32:00.000Z · Opérateur : c.martin</p></header>');
    expect(fr).not.toContain('class="gloss"');
  });
});

describe('JSON and files', () => {
  it('pv.json has its keys sorted at every level and a final newline, whatever the key order', () => {
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
    expect(jsonSha256({ a: 1, b: 2 })).toBe(jsonSha256({ b: 2, a: 1 }));
    expect(jsonSha256({ a: 1 })).not.toBe(jsonSha256({ a: 2 }));
  });

  it('writes pv.json, pv.md and pv.html together, or nothing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hds-pv-files-')), 'run');
    const pv = { json: '{}\n', md: '# PV\n', html: '<!DOCTYPE html>\n' };
    expect(writePvFiles(dir, pv, { command: 'test' })).toEqual(['pv.json', 'pv.md', 'pv.html'].map((n) => join(dir, n)));
    for (const k of ['json', 'md', 'html'] as const) expect(readFileSync(join(dir, PV_FILES[k]), 'utf8')).toBe(pv[k]);
    const blocked = mkdtempSync(join(tmpdir(), 'hds-pv-files-'));
    mkdirSync(join(blocked, 'pv.md'));
    expect(() => writePvFiles(blocked, pv, { command: 'test' })).toThrow(OutputError);
    expect(existsSync(join(blocked, 'pv.json'))).toBe(false);
  });
});
