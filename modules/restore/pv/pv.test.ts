/**
 * The restore-test PV: labels FR/EN, verdict (a failed check always shows), figures, escaping; and
 * every PV's contract (determinism, pv.json, self-contained HTML, writing all or nothing:
 * modules/reports/pv/contract.ts).
 */

import { describe, expect, it } from 'vitest';
import { pvContract } from '../../reports/pv/contract.ts';
import { escHtml, mdText } from '../../reports/pv/escape.ts';
import { count, outsideFences, unescapedPipes } from '../../reports/pv/testing.ts';
import { FINDING_CODES } from '../plan.ts';
import { RESTORE_CHECK_IDS, RESTORE_PHASES, type RestoreTestRun } from '../types.ts';
import { renderRestorePv, replayCommand, toHtml, toMarkdown, writeRestorePv } from './index.ts';
import { byteRate, bytes, CHECKS, checkTitle, FINDINGS, MODES, PV_REQUIREMENTS, phaseLabel } from './labels.ts';
import { failingRestoreRun, fixtureRestoreRun, hostileRestoreRun } from './testing.ts';

const LANGS = ['fr', 'en'] as const;

describe('labels', () => {
  it('has a French and an English title for every check, phase, choice mode and finding, and requirement ids for every check', () => {
    for (const id of RESTORE_CHECK_IDS) {
      for (const lang of LANGS) expect(checkTitle(id, undefined, lang)).not.toBe(id);
      expect(CHECKS[id].fr).not.toBe(CHECKS[id].en);
      expect(CHECKS[id].requirements).toContain('EXG_PRA_3');
    }
    for (const p of RESTORE_PHASES) for (const lang of LANGS) expect(phaseLabel(p, lang)).not.toBe(p);
    expect(phaseLabel('warm-up', 'fr')).toBe('warm-up');
    for (const m of ['at', 'random', 'latest'] as const) for (const lang of LANGS) expect(MODES[m][lang]).toBeTruthy();
    for (const f of FINDING_CODES) for (const lang of LANGS) expect(FINDINGS[f][lang]).toBeTruthy();
    expect(PV_REQUIREMENTS).toEqual(['EXG_PRA_3', 'EXG_PRA_2', 'EXG_DIS_4.2', 'EXG_EVO_36']);
  });

  it('formats sizes and rates in binary units, French or English', () => {
    expect(bytes(2_254_857_830, 'fr')).toBe('2,1 Gio');
    expect(bytes(2_254_857_830, 'en')).toBe('2.1 GiB');
    expect(bytes(512, 'fr')).toBe('512 o');
    expect(bytes(-1, 'en')).toBe('—');
    expect(bytes(undefined, 'en')).toBe('—');
    expect(byteRate(117_931_894, 'fr')).toBe('112,5 Mio/s');
  });
});

describe('Markdown and HTML', () => {
  it('speaks French by default, with every section', () => {
    const run = fixtureRestoreRun();
    for (const doc of [toMarkdown(run), toHtml(run)]) {
      for (const s of [
        'PV de test de restauration',
        'Verdict global',
        'RÉUSSI — sauvegarde restaurée et vérifiée',
        'Chiffres clés',
        'Identification du test',
        'Choix du jeu de sauvegarde et de l’instant',
        'tirage aléatoire reproductible (--random --seed)',
        'Instant cible (recovery_target_time, inclus)',
        'Fenêtre de restauration possible',
        'Rejouer ce choix',
        'Isolement du site de restauration',
        'Chiffrement au repos',
        'Déroulement',
        'restauration du jeu (pgBackRest)',
        'Débit de restauration',
        'Vérifications',
        'Intégrité physique : pg_amcheck sur toutes les relations',
        'Destruction de la copie restaurée',
        'Preuves',
        'Retour d’expérience (REX)',
        'Validation',
        'validé avec réserves',
        'Lu et approuvé',
        'Opérateur du test',
        'Auditeur / RSSI',
        'EXG_PRA_3, EXG_PRA_2, EXG_DIS_4.2, EXG_EVO_36',
      ])
        expect(doc, s).toContain(doc.startsWith('<!DOCTYPE') ? escHtml(s) : mdText(s));
      for (const s of ['Lessons learned', 'Restore rate', 'Overall verdict', 'procès-verbal']) expect(doc, s).not.toContain(s);
    }
    expect(toHtml(run)).toContain('<html lang="fr">');
  });

  it('speaks English with lang en, glossing the French terms once', () => {
    const run = fixtureRestoreRun();
    for (const doc of [toMarkdown(run, 'en'), toHtml(run, 'en')]) {
      for (const s of [
        'Restore test PV',
        'PASS — backup restored and verified',
        'Choice of the backup set and time',
        'Isolation of the restore site',
        'Restore rate',
        'Physical integrity: pg_amcheck over every relation',
        'Destruction of the restored copy',
        'Lessons learned (REX)',
        'Platform owner',
        'read and approved',
      ])
        expect(doc, s).toContain(doc.startsWith('<!DOCTYPE') ? escHtml(s) : mdText(s));
      for (const s of ['Vérifications', 'Déroulement', 'Débit de restauration', 'Chiffres clés', 'Responsable de plateforme', 'À compléter'])
        expect(doc, s).not.toContain(s);
      expect(count(doc, 'procès-verbal')).toBe(1);
      expect(doc).not.toMatch(/\{(rate|bytes|duration|ratio|check|n)\}/);
    }
    expect(toHtml(run, 'en')).toContain('<html lang="en">');
  });

  it('shows a failed check as a failed test, whatever verdict the runtime wrote', () => {
    const run = failingRestoreRun();
    expect(run.verdict).toBe('pass');
    const md = toMarkdown(run);
    expect(md).toContain('**Verdict global** : ❌ **ÉCHEC — restauration non prouvée**');
    expect(md).toContain('- la vérification « Intégrité physique : pg\\_amcheck sur toutes les relations » a échoué');
    expect(md).toContain('| ❌ échec | pg\\_amcheck: 1 corrupt btree index (documents.document\\_pkey) |');
    const html = toHtml(run, 'en');
    expect(html).toContain('<span class="verdict ko" data-verdict="fail">FAIL — restore not proven</span>');
    expect(html).toContain('<li class="st-fail">the check “Physical integrity: pg_amcheck over every relation” failed</li>');
    expect(html).toContain('<tr data-check="physical.amcheck" data-status="fail">');
    expect(html).not.toContain('data-verdict="pass"');
    // And the passing fixture passes.
    expect(toHtml(fixtureRestoreRun())).toContain('<span class="verdict ok" data-verdict="pass">RÉUSSI — sauvegarde restaurée et vérifiée</span>');
    expect(toMarkdown(fixtureRestoreRun())).toContain('Toutes les vérifications obligatoires ont réussi, la copie a été détruite.');
  });

  it('shows a missing destruction and a recorded failure', () => {
    const run = fixtureRestoreRun();
    delete run.destroyed;
    const md = toMarkdown(run);
    expect(md).toContain('❌ **AUCUNE DESTRUCTION ENREGISTRÉE');
    expect(md).toContain('- la destruction de la copie restaurée n’est pas enregistrée');
    expect(toHtml(run)).toContain('data-verdict="fail"');
    const recorded: RestoreTestRun = { ...fixtureRestoreRun(), verdict: 'fail' };
    expect(toMarkdown(recorded, 'en')).toContain('- the run recorded a failure (see the phases and the evidence)');
  });

  it('gives the choice, the replay command, the phases with durations, the restore rate and the ratio to a plain copy', () => {
    const run = fixtureRestoreRun();
    const md = toMarkdown(run);
    expect(md).toContain('```text\nhdsctl restore-test --domain documents --random --seed audit-2026-11\n```');
    expect(md).toContain('SHA-256(« hds-restore-test:v1:<graine>:<k> »)'.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(md).toContain('- **Graine** : audit-2026-11');
    expect(md).toContain('- **Instant cible (recovery\\_target\\_time, inclus)** : 2026-11-30T01:55:38.261Z');
    expect(md).toContain('- **Fenêtre de restauration possible** : 2026-11-29T01:00:31.000Z → 2026-11-30T02:15:30.000Z');
    expect(md).toContain('- **Dépôt** : repo1 — dépôt chiffré du site de secours (DC3)');
    expect(md).toContain('- **Taille de la base** : 2,1 Gio');
    expect(md).toContain(
      '| restauration du jeu (pgBackRest) | 2026-11-30T02:17:00.850Z | 19,1 s | pgbackrest restore --set=20261129-010000F\\_20261130-010000D --type=time |',
    );
    expect(md).toContain('| choix du jeu de sauvegarde et de l’instant | 2026-11-30T02:17:00.000Z | 850 ms |');
    expect(md).toContain('| vérifications de la copie | 2026-11-30T02:18:01.500Z | 3 min 18 s |');
    expect(md).toContain('**Débit de restauration** : 112,5 Mio/s (2,1 Gio en 19,1 s)');
    expect(md).toContain('- **Rapport à une copie brute du répertoire de données** : 0,62 × (181,2 Mio/s en copie brute)');
    const en = toMarkdown(run, 'en');
    expect(en).toContain('**Restore rate**: 112.5 MiB/s (2.1 GiB in 19.1 s)');
    expect(en).toContain('| 19.1 s |');
    const at: RestoreTestRun = { ...run, choice: { ...run.choice, mode: 'at', requestedAt: '2026-11-30T02:55:38.261+01:00' } };
    delete at.choice.seed;
    expect(replayCommand(at)).toBe('hdsctl restore-test --domain documents --at 2026-11-30T01:55:38.261Z');
    expect(toMarkdown(at)).toContain('- **Instant demandé** : 2026-11-30T02:55:38.261+01:00');
    expect(toMarkdown(at)).not.toContain('Graine');
    const noBaseline = fixtureRestoreRun();
    delete noBaseline.rate.baselineBytesPerSecond;
    expect(toMarkdown(noBaseline)).not.toContain('copie brute');
  });

  it('prints the checks with their requirement ids and evidence, the destruction record, the evidence hashes', () => {
    const run = fixtureRestoreRun();
    const md = toMarkdown(run);
    for (const id of RESTORE_CHECK_IDS) expect(md).toContain(`\`${id}\``);
    expect(md).toContain('| EXG\\_PRA\\_3, EXG\\_DIS\\_4.2 | ✅ réussi |');
    expect(md).toContain('`checks/ledger.json`');
    expect(md).toContain('- **Détruite le** : 2026-11-30T02:21:42.500Z');
    expect(md).toContain('  - network namespace hds-restore-documents');
    for (const e of run.evidence) expect(md).toContain(`| \`${e.path}\` |`);
    for (const e of run.evidence) expect(toHtml(run)).toContain(`<code class="h">${e.sha256}</code>`);
    const html = toHtml(run);
    expect(count(html, '<tr data-check=')).toBe(6);
    const skipped = fixtureRestoreRun();
    skipped.checks[5] = { id: 'service.document-read', verdict: 'skipped', detail: 'no document in the accounts domain' };
    expect(toHtml(skipped)).toContain('<td class="st-skipped">non exécuté</td>');
    expect(toHtml(skipped)).toContain('data-verdict="pass"');
  });

  it('prints the validation block blank, with the operator’s name, or as filled in', () => {
    const run = fixtureRestoreRun();
    const md = toMarkdown(run);
    expect(md).toContain('- [ ] validé\n- [ ] validé avec réserves\n- [ ] non validé');
    expect(md).toContain('| Opérateur du test | c.martin |  |  | |');
    expect(md).toContain('| Responsable de plateforme |  |  |  | |');
    const html = toHtml(run);
    expect(count(html, '<div class="sign">')).toBe(3);
    expect(count(html, '<div class="box"></div>')).toBe(3);
    expect(html).toContain('☐ validé &nbsp; ☐ validé avec réserves &nbsp; ☐ non validé');
    run.validation = {
      decision: 'validatedWithReserves',
      reserves: 'restore rate below target',
      signatories: [{ role: 'auditor', name: 'A. Durand', position: 'RSSI', date: '2026-12-01' }],
    };
    const signed = toMarkdown(run);
    expect(signed).toContain('- [ ] validé\n- [x] validé avec réserves\n- [ ] non validé');
    expect(signed).toContain('**Réserves** : restore rate below target');
    expect(signed).toContain('| Auditeur / RSSI | A. Durand | RSSI | 2026-12-01 | |');
    expect(signed).toContain('| Opérateur du test | c.martin |  |  | |');
    expect(toHtml(run)).toContain('☐ validé &nbsp; ☒ validé avec réserves');
  });

  it('escapes every value from the run, in HTML and Markdown, and quotes the seed for the shell', () => {
    const run = hostileRestoreRun();
    const html = toHtml(run);
    expect(html).not.toMatch(/<script|<img|<iframe|<svg|<u>|<i>/i);
    expect(html).not.toContain('`x` <b>');
    expect(count(html, '<style>')).toBe(1);
    expect(html).toContain('docs&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('titre &lt;u&gt;fr&lt;/u&gt;');
    expect(replayCommand(run)).toBe(`hdsctl restore-test --domain 'docs<script>alert(1)</script>' --random --seed 'it'\\''s "seed" | \`x\` <b>'`);
    expect(html).toContain(escHtml(replayCommand(run)));
    const md = toMarkdown(run);
    const outside = outsideFences(md);
    expect(outside).not.toMatch(/<script|<img|<iframe|<svg|<u>|<b>|<style>/i);
    expect(outside).not.toMatch(/^#+ not a heading/m);
    // Every table row has as many unescaped pipes as its header.
    for (const table of outside.split(/\n(?!\|)/).filter((b) => b.startsWith('|'))) {
      const lines = table.split('\n').filter((l) => l.startsWith('|'));
      for (const l of lines) expect(unescapedPipes(l), l).toBe(unescapedPipes(lines[0]!));
    }
    // The replay command is a literal fence, longer than the backticks in the seed.
    expect(md).toContain(`\`\`\`text\n${replayCommand(run)}\n\`\`\``);
  });

  it('renders a minimal run without NaN or undefined', () => {
    const run = { ...fixtureRestoreRun(), phases: [], checks: [], evidence: [], rate: {} as RestoreTestRun['rate'], choice: {} as RestoreTestRun['choice'] };
    delete run.destroyed;
    for (const doc of [toMarkdown(run), toHtml(run, 'en')]) expect(doc).not.toMatch(/NaN|undefined|\[object Object\]/);
    expect(toMarkdown(run)).toContain('Aucune vérification enregistrée.');
  });
});

pvContract({ fixture: fixtureRestoreRun, render: renderRestorePv, write: writeRestorePv });
