/**
 * The reversibility documents in Markdown: the dry-run report and the destruction certificate,
 * laid out from their views (view.ts) with every PV's blocks (modules/reports/pv/markdown.ts:
 * evidence, REX, validation and the SHA-256 of pv.json). Every value from the record is escaped.
 */
import type { Lang } from '../../../policies/types.ts';
import { mdCode, mdFence, mdText as t } from '../../reports/pv/escape.ts';
import { colon } from '../../reports/pv/format.ts';
import { evidenceMd, kvMd as kv, rexMd, validationMd } from '../../reports/pv/markdown.ts';
import { label as L } from './labels.ts';
import type { DestructionCertificate, ReversibilityDryRun } from './types.ts';
import { destructionView, dryRunView, type Status } from './view.ts';

const icon = (s: Status) => (s === 'pass' ? '✅' : s === 'skipped' ? '➖' : '❌');

/** A table: header, alignment row, rows; every cell already escaped. */
const table = (head: string[], align: string[], rows: string[][]) => [
  `| ${head.join(' | ')} |`,
  `| ${align.join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
];

function verdictBlock(ok: boolean, verdictText: string, findings: string[], none: string, lang: Lang): string[] {
  const c = colon(lang);
  return [
    `**${t(L('overall', lang))}**${c}${icon(ok ? 'pass' : 'fail')} **${t(verdictText)}**`,
    '',
    `**${t(L('findings', lang))}**${c.trimEnd()}`,
    '',
    ...(findings.length ? findings.map((f) => `- ${t(f)}`) : [t(none)]),
    '',
  ];
}

function whatWhy(rows: Array<{ what: string; why: string }>, none: string, lang: Lang): string[] {
  return rows.length
    ? table(
        [t(L('what', lang)), t(L('why', lang))],
        ['---', '---'],
        rows.map((r) => [t(r.what), t(r.why)]),
      )
    : [t(none)];
}

const list = (items: string[]) => items.map((i) => `- ${t(i)}`);

/** The dry-run report (rapport de tir à blanc) in Markdown. */
export function dryRunMarkdown(run: ReversibilityDryRun, lang: Lang = 'fr'): string {
  const v = dryRunView(run, lang);
  const c = colon(lang);
  const out: string[] = [];
  out.push(`# ${t(L('dryRunTitle', lang))} — ${t(run.environment)}`, '');
  const gloss = L('dryRunGlossary', lang);
  if (gloss) out.push(`_${t(gloss)}_`, '');
  const ok = v.verdict === 'passed';
  out.push(...verdictBlock(ok, L(ok ? 'dryRunPass' : 'dryRunFail', lang), v.findings, L('dryRunNoFinding', lang), lang));
  out.push(`### ${t(L('keyFigures', lang))}`, '', kv(v.keyFigures, lang), '');

  out.push(`## ${t(L('identification', lang))}`, '', kv(v.identification, lang), '');

  out.push(`## ${t(L('phases', lang))}`, '');
  if (v.phases.length)
    out.push(
      ...table(
        [t(L('phase', lang)), t(L('start', lang)), t(L('phaseDuration', lang)), t(L('result', lang)), t(L('detail', lang))],
        ['---', '---', '---:', '---', '---'],
        v.phases.map((p) => [`${t(p.phase)} ${mdCode(p.name)}`, t(p.start), t(p.duration), `${icon(p.status)} ${t(p.result)}`, t(p.detail)]),
      ),
      `| **${t(L('total', lang))}** | | **${t(v.phasesTotal)}** | | |`,
    );
  else out.push(`❌ ${t(L('noPhase', lang))}`);
  out.push('');

  out.push(
    `## ${t(L('volumes', lang))}`,
    '',
    kv(v.volumes, lang),
    '',
    ...table(
      [t(L('section', lang)), t(L('files', lang)), t(L('bytes', lang))],
      ['---', '---:', '---:'],
      v.sections.map((s) => [`${t(s.section)} ${mdCode(`${s.name}/`)}`, t(s.files), t(s.bytes)]),
    ),
    '',
  );

  out.push(`## ${t(L('differences', lang))}`, '');
  if (v.differences.length)
    out.push(
      ...table(
        [t(L('kind', lang)), t(L('where', lang)), t(L('expected', lang)), t(L('found', lang)), t(L('detail', lang))],
        ['---', '---', '---', '---', '---'],
        v.differences.map((d) => [
          `❌ ${t(d.kind)}`,
          d.where ? mdCode(d.where) : '',
          d.expected ? mdCode(d.expected) : '',
          d.found ? mdCode(d.found) : '',
          t(d.detail),
        ]),
      ),
    );
  else out.push(`✅ ${t(L('noDifference', lang))}`);
  out.push('');

  out.push(`## ${t(L('rebuilt', lang))}`, '');
  if (v.rebuilt) {
    if (v.rebuilt.length) out.push(kv(v.rebuilt, lang), '');
    if (v.smoke.length)
      out.push(
        `### ${t(L('smoke', lang))}`,
        '',
        ...table(
          [t(L('check', lang)), t(L('result', lang)), t(L('detail', lang))],
          ['---', '---', '---'],
          v.smoke.map((s) => [t(s.name), `${icon(s.status)} ${t(s.result)}`, t(s.detail)]),
        ),
        '',
      );
  } else out.push(t(L('noRebuilt', lang)), '');

  out.push(`## ${t(L('availability', lang))}`, '', t(L('availabilityIntro', lang)), '');
  out.push(v.availability ? kv(v.availability, lang) : `❌ **${t(L('notMeasuredLong', lang))}**`, '');
  if (v.firstErrors.length) out.push(`**${t(L('firstErrors', lang))}**${c.trimEnd()}`, '', ...list(v.firstErrors), '');

  out.push(`## ${t(L('rate', lang))}`, '', kv(v.rate, lang), '');

  out.push(`## ${t(L('notIncluded', lang))}`, '', ...whatWhy(v.notIncluded, L('nothingExcluded', lang), lang), '');
  if (v.notDone.length) out.push(`### ${t(L('notDone', lang))}`, '', ...list(v.notDone), '');

  out.push(...evidenceMd(run.evidence, lang));
  if (v.lessons.length) out.push(`## ${t(L('lessons', lang))}`, '', ...list(v.lessons), '');
  out.push(...rexMd(run.rex, lang), ...validationMd(v.validation, run, lang));
  return out.join('\n');
}

/** The destruction certificate in Markdown. */
export function destructionMarkdown(cert: DestructionCertificate, lang: Lang = 'fr'): string {
  const v = destructionView(cert, lang);
  const c = colon(lang);
  const out: string[] = [];
  out.push(`# ${t(L('destructionTitle', lang))} — ${t(cert.environment)}`, '');
  const gloss = L('destructionGlossary', lang);
  if (gloss) out.push(`_${t(gloss)}_`, '');
  const ok = v.verdict === 'destroyed';
  out.push(...verdictBlock(ok, L(ok ? 'destructionPass' : 'destructionFail', lang), v.findings, L('destructionNoFinding', lang), lang));
  out.push(`### ${t(L('keyFigures', lang))}`, '', kv(v.keyFigures, lang), '');

  out.push(`## ${t(L('identification', lang))}`, '', kv(v.identification, lang), '');
  if (v.noApproval) out.push(`❌ **${t(L('noApproval', lang))}**`, '');

  out.push(`## ${t(L('destroyedItems', lang))}`, '');
  if (v.items.length)
    out.push(
      ...table(
        [t(L('kind', lang)), t(L('name', lang)), t(L('site', lang)), t(L('method', lang)), t(L('at', lang)), t(L('result', lang)), t(L('detail', lang))],
        ['---', '---', '---', '---', '---', '---', '---'],
        v.items.map((i) => [t(i.kind), mdCode(i.name), t(i.site), mdCode(i.method), t(i.at), `${icon(i.status)} ${t(i.result)}`, t(i.detail)]),
      ),
    );
  else out.push(`❌ **${t(L('noItem', lang))}**`);
  out.push('');
  if (v.afterSignature) out.push(`**${t(L('afterSignature', lang))}**${c}${t(v.afterSignature)}`, '');

  out.push(`## ${t(L('proofs', lang))}`, '', `### ${t(L('tokenProofs', lang))}`, '');
  if (v.tokens.length)
    out.push(
      ...table(
        [t(L('token', lang)), t(L('site', lang)), t(L('labelsFound', lang)), t(L('destroyedKeysFound', lang))],
        ['---', '---', '---', '---'],
        v.tokens.map((k) => [
          mdCode(k.token),
          t(k.site),
          t(k.labels),
          k.destroyedFound.length ? `❌ ${k.destroyedFound.map((l) => mdCode(l)).join(', ')}` : `${icon(k.status)} ${t(L('noneFound', lang))}`,
        ]),
      ),
    );
  else out.push(`❌ **${t(L('noToken', lang))}**`);
  out.push('', `### ${t(L('listingProofs', lang))}`, '');
  if (v.listings.length)
    out.push(
      ...table(
        [t(L('kind', lang)), t(L('name', lang)), t(L('site', lang)), t(L('command', lang)), t(L('entries', lang)), t(L('detail', lang))],
        ['---', '---', '---', '---', '---:', '---'],
        v.listings.map((l) => [
          t(l.kind),
          mdCode(l.name),
          t(l.site),
          mdCode(l.command),
          `${l.empty ? '✅' : '❌'} ${t(l.entries)}${l.sample ? ` (${t(l.sample)})` : ''}`,
          t(l.detail),
        ]),
      ),
    );
  else out.push(t(L('noListing', lang)));
  out.push('', `### ${t(L('documentProofs', lang))}`, '');
  if (v.documents.length) {
    out.push(
      ...table(
        [
          t(L('domain', lang)),
          t(L('document', lang)),
          t(L('readableBefore', lang)),
          t(L('readableAfter', lang)),
          t(L('errorSeen', lang)),
          t(L('apiStatusAfter', lang)),
        ],
        ['---', '---', '---', '---', '---', '---'],
        v.documents.map((d) => [t(d.domain), mdCode(d.id), t(d.before), `${d.proven ? '✅' : '❌'} ${t(d.after)}`, d.error ? mdCode(d.error) : '', t(d.api)]),
      ),
    );
    const hashed = v.documents.filter((d) => d.hashes.length);
    if (hashed.length) out.push('', ...hashed.flatMap((d) => d.hashes.map((h) => `- ${mdCode(d.id, false)} ${t(h.label)}${c}${mdCode(h.value, false)}`)));
  } else out.push(`❌ **${t(L('noDocument', lang))}**`);
  out.push('');

  out.push(`## ${t(L('notCovered', lang))}`, '', ...whatWhy(v.notCovered, L('nothingUncovered', lang), lang), '');

  out.push(`## ${t(L('signature', lang))}`, '', t(L('signatureIntro', lang)), '', `- **${t(L('signedSha256', lang))}**${c}${mdCode(v.signedSha256, false)}`);
  if (v.signature && cert.signature) {
    out.push(...v.signature.map((r) => `- **${t(r.label)}**${c}${mdCode(r.value, false)}`));
    if (v.signatureStatus) out.push(`- **${t(L('signatureCheck', lang))}**${c}${icon(v.signatureStatus.status)} ${t(v.signatureStatus.text)}`);
    out.push(`- **${t(L('signatureValue', lang))}**${c.trimEnd()}`, '', ...mdFence(String(cert.signature.sig ?? '').match(/.{1,76}/g) ?? ['']));
  } else out.push('', `❌ **${t(L('unsigned', lang))}**`);
  out.push('');

  out.push(...evidenceMd(cert.evidence, lang), ...rexMd(cert.rex, lang), ...validationMd(v.validation, cert, lang));
  return out.join('\n');
}
