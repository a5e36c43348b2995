/**
 * The reversibility documents (EXG_REV_9, EXG_REV_11: the dry-run report; EXG_REV_7, EXG_REV_18,
 * DUI-C3d-7: the destruction certificate): every field printed in French and English, a failure
 * always visible whatever verdict was recorded, escaping of hostile text, the signature's payload
 * and its check; and every PV's contract (modules/reports/pv/contract.ts) for both.
 */
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pvContract } from '../../reports/pv/contract.ts';
import { escHtml, mdCode, mdText } from '../../reports/pv/escape.ts';
import { count, outsideFences, unescapedPipes } from '../../reports/pv/testing.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import {
  DESTRUCTION_FINDING_CODES,
  type DestructionCertificate,
  DRY_RUN_FINDING_CODES,
  DRY_RUN_PHASES,
  decommissionDelay,
  destructionFindings,
  destructionVerdict,
  destructionHtml,
  destructionMarkdown,
  destructionSignedPayload,
  destructionSignedSha256,
  dryRunFindings,
  dryRunHtml,
  dryRunMarkdown,
  dryRunVerdict,
  jsonSha256,
  type ReversibilityDryRun,
  renderDestruction,
  renderDryRun,
  signatureCheck,
  verifyDestructionSignature,
  writeDestructionPv,
  writeDryRunPv,
} from './index.ts';
import {
  DESTROYED,
  DESTRUCTION_FINDINGS,
  DESTRUCTION_REQUIREMENTS,
  DIFFERENCES,
  DRY_RUN_FINDINGS,
  DRY_RUN_REQUIREMENTS,
  PHASES,
  phaseLabel,
  SECTIONS,
} from './labels.ts';
import { failingDestruction, failingDryRun, fixtureDestruction, fixtureDryRun, hostileDestruction, hostileDryRun } from './testing.ts';

const LANGS = ['fr', 'en'] as const;
const NNBSP = '\u202f';
const isHtml = (doc: string) => doc.startsWith('<!DOCTYPE');
/** Whether `doc` shows `s`: HTML-escaped, or in Markdown as escaped text or a literal code span. */
const shows = (doc: string, s: string) =>
  isHtml(doc) ? doc.includes(escHtml(s)) : doc.includes(mdText(s)) || doc.includes(mdCode(s)) || doc.includes(mdCode(s, false));

/** The Markdown a reader sees as markup: outside fenced blocks and code spans (whose content is literal). */
const markup = (md: string) =>
  outsideFences(md)
    .replace(/\\`/g, '')
    .replace(/(`+)[^`][\s\S]*?\1/g, '');

/** Every Markdown table (consecutive lines starting with a pipe) has as many unescaped pipes on each row as on its header, and no row is cut. */
function expectTablesAligned(md: string) {
  const tables: string[][] = [];
  let prev = false;
  for (const line of outsideFences(md).split('\n')) {
    const row = line.startsWith('|');
    if (row && !prev) tables.push([]);
    if (row) tables.at(-1)!.push(line);
    else if (prev) expect(line.trim(), `a table row is cut before: ${JSON.stringify(line)}`).toBe('');
    prev = row;
  }
  expect(tables.length).toBeGreaterThan(2);
  for (const lines of tables) for (const l of lines) expect(unescapedPipes(l), l).toBe(unescapedPipes(lines[0]!));
}

describe('labels', () => {
  it('has a French and an English label for every phase, section, difference, destroyed kind and finding, and names the requirements', () => {
    for (const table of [PHASES, SECTIONS, DIFFERENCES, DESTROYED, DRY_RUN_FINDINGS, DESTRUCTION_FINDINGS])
      for (const t of Object.values(table)) {
        expect(t.fr).toBeTruthy();
        expect(t.en).toBeTruthy();
        expect(t.fr).not.toBe(t.en);
      }
    for (const p of DRY_RUN_PHASES) for (const lang of LANGS) expect(phaseLabel(p, lang)).not.toBe(p);
    expect(phaseLabel('warm-up', 'en')).toBe('warm-up');
    expect(Object.keys(DRY_RUN_FINDINGS).sort()).toEqual([...DRY_RUN_FINDING_CODES].sort());
    expect(Object.keys(DESTRUCTION_FINDINGS).sort()).toEqual([...DESTRUCTION_FINDING_CODES].sort());
    expect(DRY_RUN_REQUIREMENTS).toEqual(expect.arrayContaining(['EXG_REV_9', 'EXG_REV_11']));
    expect(DESTRUCTION_REQUIREMENTS).toEqual(['EXG_REV_7', 'EXG_REV_18', 'DUI-C3d-7']);
  });
});

describe('dry-run report (tir à blanc)', () => {
  it('prints every field of the record, in French by default', () => {
    const run = fixtureDryRun();
    const md = dryRunMarkdown(run);
    const html = dryRunHtml(run);
    for (const doc of [md, html]) {
      for (const s of [
        'Rapport de tir à blanc de réversibilité',
        'RÉUSSI — plateforme reconstruite depuis l’export, aucune différence',
        run.id,
        run.operator,
        run.startedAt,
        run.endedAt,
        'EXG_REV_9, EXG_REV_11',
        run.export!.manifestSha256,
        run.export!.commit,
        run.export!.snapshotAt,
        run.export!.recipient!,
        run.isolation!,
        ...run.phases.map((p) => phaseLabel(p.name, 'fr')),
        ...run.phases.map((p) => p.startedAt!),
        ...run.phases.map((p) => p.detail!),
        'Volumes exportés',
        `1${NNBSP}204${NNBSP}331`,
        ...Object.values(SECTIONS).map((s) => s.fr),
        '2,5 Gio',
        '384,0 Mio',
        '119,0 Mio',
        'Aucune différence',
        'Service de la source pendant l’export (EXG_REV_1)',
        run.availability!.probe,
        '250 ms',
        `1${NNBSP}699`,
        '100,00 %',
        '4,2 ms / 11,8 ms / 87,0 ms',
        '14,5 Mio/s (3,0 Gio en 3 min 32 s)',
        '17,4 Mio/s (2,0 Gio en 1 min 58 s)',
        '0,83 × (objectif ≥ 0,8 × : atteint)',
        'Copie reconstruite',
        'hds2-dc1, hds2-dc2, hds2-dc3',
        ...run.rebuilt!.smoke!.flatMap((c) => [c.name, ...(c.detail ? [c.detail] : [])]),
        'Export conservé après le tir',
        ...run.notIncluded.flatMap((n) => [n.what, n.why]),
        'Ce que ce tir n’a pas fait',
        ...run.notDone!,
        'Constats relevés par l’outillage',
        ...run.lessons!,
        ...run.evidence.flatMap((e) => [e.path, e.sha256]),
        'Retour d’expérience (REX)',
        'validé avec réserves',
        'Responsable de traitement / autorité de santé',
        'Auditeur / RSSI',
      ])
        expect(shows(doc, s), s).toBe(true);
      for (const s of ['Lessons learned', 'Overall verdict', 'Export rate']) expect(doc, s).not.toContain(s);
    }
    expect(md).toContain('| vérification de la signature et des empreintes `verify` | 2026-10-14T08:03:32.400Z | 6,8 s | ✅ réussi |');
    expect(md).toContain('| **Total** | | **8 min 55 s** | | |');
    expect(md).toContain('| données (CSV, DDL, dumps natifs) `data/` | 44 | 2,5 Gio |');
    expect(md).toContain('- **Erreurs** : 0');
    expect(html).toContain('<html lang="fr">');
    expect(count(html, 'data-status="pass"')).toBe(run.phases.length + run.rebuilt!.smoke!.length);
    expect(md).not.toContain('Premières erreurs');
    expectTablesAligned(md);
  });

  it('prints in English with --lang en', () => {
    const run = fixtureDryRun();
    for (const doc of [dryRunMarkdown(run, 'en'), dryRunHtml(run, 'en')]) {
      for (const s of [
        'Reversibility dry-run report',
        'PASSED — platform rebuilt from the export, no difference',
        'Overall verdict',
        'Tir à blanc: dry run',
        ...run.phases.map((p) => phaseLabel(p.name, 'en')),
        '1,204,331',
        '100.00 % (0 errors out of 1,699 requests)',
        '4.2 ms / 11.8 ms / 87.0 ms',
        '0.83 × (goal ≥ 0.8 ×: met)',
        'What the export does not hold',
        'Lessons learned (REX)',
        'Data controller / health authority',
      ])
        expect(shows(doc, s), s).toBe(true);
      for (const s of ['Rapport de tir', 'Déroulement', 'Verdict global', 'Volumes exportés']) expect(doc, s).not.toContain(s);
    }
    expect(dryRunHtml(run, 'en')).toContain('<html lang="en">');
  });

  it('shows a failure whatever verdict was recorded: differences, a failed, skipped or missing phase, a failed smoke check', () => {
    const run = failingDryRun();
    expect(run.verdict).toBe('passed');
    expect(dryRunFindings(run).map((f) => f.code)).toEqual(['differences', 'phase-failed', 'smoke-failed']);
    const md = dryRunMarkdown(run);
    expect(md).toContain('**Verdict global** : ❌ **ÉCHEC — réversibilité non prouvée**');
    expect(md).toContain('- 3 différence(s) entre la source et la copie reconstruite');
    expect(md).toContain('- la phase « vérification des lignes et empreintes » a échoué');
    expect(md).toContain('- le test de fumée « write then read back a document » a échoué sur la copie reconstruite');
    expect(md).toContain('| ❌ empreinte de fichier différente | `data/documents/public.document.csv` |');
    expect(md).toContain('| ❌ nombre de lignes différent | `documents/public.document` | `120000` | `119999` |');
    expect(md).toContain('| ❌ différence |  |  |  | documents/index.json.cms: cannot be decrypted with the taker’s key |');
    expect(md).toContain('| write then read back a document | ❌ échec | GET answered 502 |');
    expect(md).toContain('- **Différences** : 3');
    expect(md).toContain(`- **Disponibilité de la source** : 99,82 % (3 erreurs sur 1${NNBSP}699 requêtes)`);
    expect(md).toContain('**Premières erreurs** :\n\n- dc1 502/bad gateway\n- dc1 502/bad gateway\n- dc2 timeout');
    expect(md).not.toContain('Aucune différence');
    expectTablesAligned(md);
    const html = dryRunHtml(run, 'en');
    expect(html).toContain('<span class="verdict ko" data-verdict="failed">FAILED — reversibility not proven</span>');
    expect(html).toContain('<tr data-phase="check" data-status="fail">');
    expect(count(html, '<tr data-status="fail">')).toBe(4);

    const recorded: ReversibilityDryRun = { ...fixtureDryRun(), verdict: 'failed' };
    expect(dryRunVerdict(recorded)).toBe('failed');
    expect(dryRunMarkdown(recorded, 'en')).toContain('- the run recorded a failure (see the phases and the evidence)');

    const partial = fixtureDryRun();
    partial.phases = partial.phases.filter((p) => p.name !== 'teardown' && p.name !== 'smoke');
    partial.phases.find((p) => p.name === 'documents')!.result = 'skipped';
    partial.phases.find((p) => p.name === 'install')!.result = 'skipped';
    partial.phases.find((p) => p.name === 'verify')!.result = 'skipped';
    expect(dryRunFindings(partial)).toEqual([
      { code: 'phase-skipped', values: { phase: 'verify' } },
      { code: 'phase-missing', values: { phase: 'smoke' } },
      { code: 'phase-missing', values: { phase: 'teardown' } },
    ]);
    const pmd = dryRunMarkdown(partial, 'en');
    expect(pmd).toContain('- the required phase “signature and hash verification” was skipped');
    expect(pmd).toContain('- the phase “teardown of the copy” did not run (missing from the phases)');
    expect(pmd).toContain('| ➖ skipped |');
    expect(dryRunVerdict(fixtureDryRun())).toBe('passed');
  });

  it('takes a step recorded as `parent: step` for the step, labels it under its parent, and totals the top-level phases only', () => {
    const run = fixtureDryRun();
    const top = (name: string, durationMs: number) => ({ name, durationMs, result: 'passed' as const });
    run.phases = [
      top('export', 200_000),
      top('export: data', 150_000),
      top('bootstrap', 300_000),
      ...['verify', 'workspace', 'rebuild', 'load', 'documents', 'smoke', 'teardown'].map((n) => top(`bootstrap: ${n}`, 10_000)),
      top('teardown', 5_000),
    ];
    expect(dryRunFindings(run)).toEqual([]);
    expect(phaseLabel('bootstrap: verify', 'fr')).toBe('bootstrap.sh du repreneur › vérification de la signature et des empreintes');
    expect(phaseLabel('export: data', 'en')).toBe('export (source serving, probes running) › data');
    const md = dryRunMarkdown(run);
    expect(md).toContain('| **Total** | | **8 min 25 s** | | |');
    expect(md).toContain('| bootstrap.sh du repreneur › tests de fumée `bootstrap: smoke` | — | 10,0 s | ✅ réussi |');
    run.phases = run.phases.filter((p) => p.name !== 'bootstrap: load');
    expect(dryRunFindings(run)).toEqual([{ code: 'phase-missing', values: { phase: 'load' } }]);
  });

  it('says when the availability or pg_dump was not measured, and when the rate misses the goal', () => {
    const run = fixtureDryRun();
    run.availability = null;
    delete run.rate!.pgDump;
    const md = dryRunMarkdown(run);
    expect(md).toContain('❌ **NON MESURÉE : la continuité du service pendant l’export n’est pas démontrée par ce tir.**');
    expect(md).toContain('- **Disponibilité de la source** : non mesurée');
    expect(md).toContain('pg\\_dump non mesuré dans ce tir');
    expect(md).not.toContain('objectif');
    expect(dryRunHtml(run, 'en')).toContain('<p class="st-fail warn">NOT MEASURED');
    const slow = fixtureDryRun();
    slow.rate!.bytesPerSecond = 9_000_000;
    expect(dryRunMarkdown(slow, 'en')).toContain('- **Ratio to pg\\_dump’s rate**: 0.49 × (goal ≥ 0.8 ×: missed)');
    delete slow.rate;
    expect(dryRunMarkdown(slow, 'en')).toContain('- **Export rate**: not measured');
  });

  it('prints the validation block blank, with the operator’s name, or as filled in', () => {
    const run = fixtureDryRun();
    expect(dryRunMarkdown(run)).toContain('| Opérateur | c.martin |  |  | |');
    expect(count(dryRunHtml(run), '<div class="sign">')).toBe(4);
    run.validation = {
      decision: 'validated',
      signatures: [{ role: 'controller', name: 'M. Leroy', position: 'Cnam, DSI', date: '2026-10-20' }],
    };
    const md = dryRunMarkdown(run);
    expect(md).toContain('- [x] validé\n- [ ] validé avec réserves');
    expect(md).toContain('| Responsable de traitement / autorité de santé | M. Leroy | Cnam, DSI | 2026-10-20 | |');
    expect(dryRunHtml(run)).toContain('☒ validé &nbsp; ☐ validé avec réserves');
  });

  it('escapes every value from the record, in HTML and Markdown', () => {
    const run = hostileDryRun();
    const html = dryRunHtml(run);
    expect(html).not.toMatch(/<script|<img|<iframe|<svg|<u>|<i>|<b>alg/i);
    expect(count(html, '<style>')).toBe(1);
    expect(html).toContain('lab&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('data-phase="custom&lt;i&gt;"');
    const md = dryRunMarkdown(run);
    const outside = markup(md);
    expect(outside).not.toMatch(/<script|<img|<iframe|<svg|<u>|<b>|<i>|<style>/i);
    expect(md).toContain('`data/<img src=x onerror=alert(1)>.csv\\|x`');
    expect(outside).not.toMatch(/^#+ (not a heading|heading\?)/m);
    expect(outside).toContain('\\*bold\\* \\_it\\_ \\[link\\](x)');
    expectTablesAligned(md);
  });

  it('renders a minimal record without NaN or undefined', () => {
    const run = {
      ...fixtureDryRun(),
      phases: [],
      differences: [],
      evidence: [],
      notIncluded: [],
      volumes: {} as ReversibilityDryRun['volumes'],
      availability: null,
    } as ReversibilityDryRun;
    delete run.export;
    delete run.rate;
    for (const doc of [dryRunMarkdown(run), dryRunHtml(run, 'en')]) expect(doc).not.toMatch(/NaN|undefined|\[object Object\]/);
    expect(dryRunMarkdown(run)).toContain('❌ Aucune phase enregistrée.');
    expect(dryRunMarkdown(run)).toContain('Rien n’est exclu de l’export.');
    expect(dryRunVerdict(run)).toBe('failed');
  });
});

describe('destruction certificate', () => {
  it('prints every field of the record, in French by default', () => {
    const cert = fixtureDestruction();
    const md = destructionMarkdown(cert);
    const html = destructionHtml(cert);
    for (const doc of [md, html]) {
      for (const s of [
        'Certificat de destruction',
        'DÉTRUIT — destruction prouvée',
        'Vérifications après destruction',
        'Clés absentes de chaque jeton HSM',
        cert.id,
        cert.operator,
        cert.requestedBy!,
        cert.approval!,
        'recette',
        cert.afterSignature!,
        cert.approvedAt!,
        cert.takeoverAt!,
        cert.startedAt,
        cert.endedAt,
        'EXG_REV_7, EXG_REV_18, DUI-C3d-7',
        ...Object.values(DESTROYED).map((k) => k.fr),
        ...cert.items.flatMap((i) => [i.name, i.method, i.at]),
        'déjà absent',
        'removed by a previous, interrupted run',
        'signing-reversibility',
        ...cert.proofs.listings.map((l) => l.command),
        ...cert.proofs.documents.flatMap((d) => [d.id, d.error]),
        ...cert.proofs.listings.map((l) => l.detail ?? l.name),
        cert.proofs.documents[0]!.contentSha256Before!,
        cert.proofs.documents[0]!.ciphertextSha256!,
        '503',
        '3 / 3',
        '48 jours après la reprise (échéance 2027-02-15) : dans le délai',
        ...cert.notCovered.flatMap((n) => [n.what, n.why]),
        'ECDSA-P256-SHA256',
        cert.signature!.certificateSha256,
        destructionSignedSha256(cert),
        ...cert.evidence.flatMap((e) => [e.path, e.sha256]),
        'Responsable de traitement / autorité de santé',
      ])
        expect(shows(doc, s), s).toBe(true);
      expect(doc).toContain(cert.signature!.sig.slice(0, 60));
      for (const s of ['Destruction certificate', 'NON SIGNÉ', 'Lessons learned']) expect(doc, s).not.toContain(s);
    }
    expect(md).toContain('| clé HSM | `kek-backup` | dc2 | `C_DestroyObject` | 2027-02-01T09:00:07.000Z | ✅ détruit |  |');
    expect(md).toContain('| `hds-dc2` | dc2 | aucun | ✅ aucun |');
    expect(md).toContain('| compartiment objet | `documents` | dc1 | `s3 list-buckets; s3 list-objects documents` | ✅ 0 |');
    expect(md).toContain('- **Clés HSM détruites (crypto-effacement)** : 3');
    expect(count(html, '<tr data-item=')).toBe(cert.items.length);
    expect(md).toContain(
      '- **Signature HSM** : signé (ECDSA-P256-SHA256) — non vérifiée ici (certificat de signature non inclus) : voir signing-cert.pem de l’export',
    );
    expect(html).toContain('data-signature-check="skipped"');
    expect(md).not.toContain('AUCUNE RÉFÉRENCE D’ACCORD');
    expect(html).toContain('<pre class="sig" data-signed="true">');
    expectTablesAligned(md);
  });

  it('prints in English with --lang en', () => {
    const cert = fixtureDestruction();
    for (const doc of [destructionMarkdown(cert, 'en'), destructionHtml(cert, 'en')]) {
      for (const s of [
        'Destruction certificate',
        'DESTROYED — destruction proven',
        'Crypto-shredding: destroying the keys',
        'Checks after the destruction',
        'Keys absent from every HSM token',
        'Sample of documents readable before, undecryptable after',
        'HSM key',
        'already absent',
        '48 days after the takeover (due 2027-02-15): on time',
        'Electronic signature (HSM key)',
      ])
        expect(shows(doc, s), s).toBe(true);
      for (const s of ['Certificat de destruction', 'Ce qui a été détruit', 'déjà absent']) expect(doc, s).not.toContain(s);
    }
  });

  it('shows a failure whatever verdict was recorded: an item failed, a key left, a listing not empty, a document that decrypts', () => {
    const cert = failingDestruction();
    expect(cert.verdict).toBe('destroyed');
    expect(destructionFindings(cert).map((f) => f.code)).toEqual(['item-failed', 'key-present', 'listing-not-empty', 'document-readable']);
    const md = destructionMarkdown(cert);
    expect(md).toContain('**Verdict global** : ❌ **ÉCHEC — destruction non prouvée**');
    expect(md).toContain('- la destruction de « base de données documents (dc1) » a échoué');
    expect(md).toContain('- la clé « dek-accounts » est encore présente sur le jeton « hds-dc2 (dc2) »');
    expect(md).toContain('- « documents » n’est pas prouvé vide (entrées : 3, « ? » : liste impossible)');
    expect(md).toContain('- le document « acc-000017 » se déchiffre encore');
    expect(md).toContain('| `hds-dc2` | dc2 | dek-accounts | ❌ `dek-accounts` |');
    expect(md).toContain('❌ 3 (7f3c9a10, a1b2c3d4, ffee0001)');
    expect(md).toContain('| accounts | `acc-000017` | oui | ❌ oui |  |  |');
    expect(md).toContain('❌ **NON SIGNÉ : ce certificat n’a pas encore été signé avec la clé HSM.**');
    const html = destructionHtml(cert, 'en');
    expect(html).toContain('<span class="verdict ko" data-verdict="incomplete">FAILED — destruction not proven</span>');
    expect(html).toContain('data-signed="false"');
    expect(count(html, 'data-status="fail"')).toBe(4);

    const bare = fixtureDestruction();
    bare.items = bare.items.filter((i) => i.kind !== 'hsm-key');
    bare.proofs = { tokens: [], listings: [], documents: [{ ...bare.proofs.documents[0]!, readableBefore: false }] };
    bare.verdict = 'incomplete';
    expect(destructionFindings(bare).map((f) => f.code)).toEqual([
      'recorded-fail',
      'no-key',
      'no-token',
      'listing-missing',
      'listing-missing',
      'document-not-proven',
    ]);
    const bmd = destructionMarkdown(bare, 'en');
    expect(bmd).toContain('- no HSM key destroyed: without crypto-shredding, encrypted copies stay readable');
    expect(bmd).toContain('- no listing proves that “repo1” is empty');
    expect(bmd).toContain('❌ **NO TOKEN CHECKED.**');
    bare.proofs.documents = [];
    expect(destructionMarkdown(bare, 'en')).toContain('- no document was tried after the destruction');
  });

  it('reads the runtime’s own judgments: keys named together, keys left, ok flags, a listing that failed, no approval', () => {
    const cert = fixtureDestruction();
    cert.items = [
      { kind: 'hsm-key', name: 'dek-documents, dek-accounts', site: 'DC1', method: 'C_DestroyObject', at: cert.startedAt, result: 'destroyed' },
      ...cert.items.filter((i) => i.kind !== 'hsm-key'),
    ];
    expect(destructionFindings(cert)).toEqual([]);
    expect(destructionMarkdown(cert)).toContain('- **Clés HSM détruites (crypto-effacement)** : 2');
    cert.proofs.tokens[0]!.labelsFound.push('dek-accounts');
    expect(destructionFindings(cert)).toEqual([{ code: 'key-present', values: { label: 'dek-accounts', token: 'hds-dc1 (dc1)' } }]);
    cert.proofs.tokens[0]!.labelsFound.pop();
    cert.proofs.tokens[1]!.domainKeysLeft = ['dek-other'];
    expect(destructionFindings(cert).map((f) => f.values?.label)).toEqual(['dek-other']);
    cert.proofs.tokens[1] = { token: 'hds-dc2', site: 'dc2', labelsFound: [], ok: false };
    cert.proofs.listings[0]!.entries = -1;
    cert.proofs.listings[2]!.ok = false;
    cert.proofs.documents[0]!.ok = false;
    cert.approval = null;
    expect(destructionFindings(cert)).toEqual([
      { code: 'key-present', values: { label: '—', token: 'hds-dc2 (dc2)' } },
      { code: 'listing-not-empty', values: { name: 'repo1', entries: '?' } },
      { code: 'listing-not-empty', values: { name: 'documents', entries: '0' } },
      { code: 'document-readable', values: { id: '7f3c9a10' } },
    ]);
    const md = destructionMarkdown(cert);
    expect(md).toContain('| dépôt de sauvegarde | `repo1` | dc3 | `pgbackrest info --output=json` | ❌ ? |  |');
    expect(md).toContain('- **Accord formel (référence)** : AUCUNE RÉFÉRENCE D’ACCORD FORMEL');
    expect(md).toContain('❌ **AUCUNE RÉFÉRENCE D’ACCORD FORMEL (DUI-C3d-7');
    expect(md).toContain('| `hds-dc2` | dc2 | aucun | ❌ aucun |');
    expect(destructionVerdict(cert)).toBe('incomplete');
  });

  it('computes the EXG_REV_18 delay from the takeover, calendar months, late or on time', () => {
    const cert = fixtureDestruction();
    expect(decommissionDelay(cert)).toEqual({ days: 48, due: '2027-02-15', onTime: true });
    cert.takeoverAt = '2026-11-30T12:00:00.000Z';
    expect(decommissionDelay(cert)).toEqual({ days: 62, due: '2027-01-30', onTime: false });
    expect(destructionMarkdown(cert)).toContain('62 jours après la reprise (échéance 2027-01-30) : HORS DÉLAI');
    cert.takeoverAt = '2026-12-31T00:00:00.000Z';
    expect(decommissionDelay(cert)?.due).toBe('2027-02-28');
    delete cert.takeoverAt;
    expect(decommissionDelay(cert)).toBeUndefined();
    expect(destructionMarkdown(cert)).not.toContain('EXG\\_REV\\_18 : au plus');
  });

  it('signs the certificate without its signature, validation and REX; the signature checks with the signing certificate', async () => {
    const cert = fixtureDestruction();
    const payload = destructionSignedPayload(cert);
    expect(JSON.parse(payload)).not.toHaveProperty('signature');
    expect(JSON.parse(payload)).not.toHaveProperty('rex');
    expect(JSON.parse(payload).items).toEqual(cert.items);
    const filled: DestructionCertificate = { ...cert, signature: null, rex: 'REX written later', validation: { decision: 'validated' } };
    expect(destructionSignedPayload(filled)).toBe(payload);
    expect(jsonSha256(filled)).not.toBe(jsonSha256(cert));
    const changed = fixtureDestruction();
    changed.proofs.documents[0]!.error = 'other error';
    expect(destructionSignedSha256(changed)).not.toBe(destructionSignedSha256(cert));

    // A real P-256 key and certificate (the local openssl CLI, as the lab PKI; no root).
    const dir = mkdtempSync(join(tmpdir(), 'hds-rev-sig-'));
    const ca = await ensureLabCa(dir);
    const pem = readFileSync(ca.cert, 'utf8');
    const key = readFileSync(ca.key, 'utf8');
    const { X509Certificate, createHash } = await import('node:crypto');
    const certificateSha256 = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
    const signed = (c: DestructionCertificate, encoding: 'der' | 'ieee-p1363'): DestructionCertificate => ({
      ...c,
      signature: {
        algorithm: 'ECDSA-P256-SHA256',
        certificateSha256,
        sig: sign('sha256', Buffer.from(destructionSignedPayload(c)), { key, dsaEncoding: encoding }).toString('base64'),
      },
    });
    const der = signed(cert, 'der');
    expect(verifyDestructionSignature(der, pem)).toEqual({ valid: true });
    expect(verifyDestructionSignature({ ...der, rex: 'added after signing' }, pem)).toEqual({ valid: true });
    expect(verifyDestructionSignature(signed(cert, 'ieee-p1363'), pem)).toEqual({ valid: true });
    expect(verifyDestructionSignature({ ...der, approval: 'forged' }, pem)).toEqual({ valid: false, reason: 'bad-signature' });
    expect(verifyDestructionSignature({ ...der, signature: { ...der.signature!, sig: 'AAAA' } }, pem)).toEqual({ valid: false, reason: 'bad-signature' });
    expect(verifyDestructionSignature({ ...der, signature: { ...der.signature!, certificateSha256: '0'.repeat(64) } }, pem)).toEqual({
      valid: false,
      reason: 'certificate-mismatch',
    });
    expect(verifyDestructionSignature({ ...cert, signature: null }, pem)).toEqual({ valid: false, reason: 'unsigned' });
    expect(verifyDestructionSignature(der, 'not a certificate')).toEqual({ valid: false, reason: 'bad-certificate' });

    // The certificate carries its signing certificate and the signed SHA-256: the PV checks them itself.
    const carried: DestructionCertificate = {
      ...der,
      signature: { ...der.signature!, certificatePem: pem, signedSha256: destructionSignedSha256(cert) },
    };
    expect(signatureCheck(carried)).toEqual({ valid: true });
    expect(destructionFindings(carried)).toEqual([]);
    expect(destructionMarkdown(carried)).toContain(
      '- **Contrôle de la signature** : ✅ valide : vérifiée avec le certificat de signature inclus, sur le contenu ci-dessus',
    );
    expect(destructionHtml(carried)).toContain('data-signature-check="pass"');
    const forged: DestructionCertificate = { ...carried, items: carried.items.slice(1) };
    expect(signatureCheck(forged)).toEqual({ valid: false, reason: 'content-changed' });
    expect(destructionMarkdown(forged, 'en')).toContain(
      '- the signature does not match the content (content differs from what was signed): the certificate was changed after signing or wrongly signed',
    );
    expect(destructionMarkdown(forged, 'en')).toContain('- **Signature check**: ❌ INVALID (content differs from what was signed)');
    const { signedSha256: _drop, ...noSha } = carried.signature!;
    expect(signatureCheck({ ...forged, signature: noSha })).toEqual({ valid: false, reason: 'bad-signature' });
    const { certificatePem: _pem, ...noPem } = carried.signature!;
    expect(signatureCheck({ ...forged, signature: noPem })).toEqual({ valid: false, reason: 'content-changed' });
    expect(signatureCheck({ ...carried, signature: noPem })).toBe('unchecked');
  });

  it('escapes every value from the record, in HTML and Markdown', () => {
    const cert = hostileDestruction();
    const html = destructionHtml(cert);
    expect(html).not.toMatch(/<script|<img|<iframe|<svg|<u>|<i>|<b>alg/i);
    expect(count(html, '<style>')).toBe(1);
    expect(html).toContain('AAAA&lt;script&gt;');
    expect(html).toContain('data-item="dek-&lt;i&gt;|x"');
    const md = destructionMarkdown(cert);
    const outside = markup(md);
    expect(outside).not.toMatch(/<script|<img|<iframe|<svg|<u>|<b>|<i>|<style>/i);
    expect(md).toContain('| clé HSM | `dek-<i>\\|x` |');
    expect(outside).not.toMatch(/^#+ not a heading/m);
    expectTablesAligned(md);
  });

  it('renders a minimal record without NaN or undefined', () => {
    const cert = {
      ...fixtureDestruction(),
      items: [],
      proofs: {} as DestructionCertificate['proofs'],
      notCovered: [],
      evidence: [],
      signature: null,
    } as DestructionCertificate;
    for (const doc of [destructionMarkdown(cert), destructionHtml(cert, 'en')]) expect(doc).not.toMatch(/NaN|undefined|\[object Object\]/);
    expect(destructionMarkdown(cert)).toContain('❌ **AUCUN ÉLÉMENT DÉTRUIT ENREGISTRÉ.**');
  });
});

describe('renderers and writers', () => {
  it('render the three files in the language asked', () => {
    for (const lang of LANGS) {
      const a = renderDryRun(fixtureDryRun(), lang);
      expect(a.md).toBe(dryRunMarkdown(fixtureDryRun(), lang));
      expect(a.html).toBe(dryRunHtml(fixtureDryRun(), lang));
      const b = renderDestruction(fixtureDestruction(), lang);
      expect(b.md).toBe(destructionMarkdown(fixtureDestruction(), lang));
      expect(JSON.parse(b.json)).toEqual(fixtureDestruction());
    }
  });
});

describe('dry-run report: every PV’s contract', () => pvContract({ fixture: fixtureDryRun, render: renderDryRun, write: writeDryRunPv }));
describe('destruction certificate: every PV’s contract', () => pvContract({ fixture: fixtureDestruction, render: renderDestruction, write: writeDestructionPv }));
