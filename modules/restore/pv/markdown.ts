/**
 * The restore-test PV as Markdown (merge requests, archives): the same content as the HTML. Every
 * value from the run is escaped (HTML entities, Markdown punctuation, table pipes); the replay
 * command goes in a fenced block, literal.
 */
import type { Lang } from '../../../policies/types.ts';
import { mdCode, mdFence, mdText as t } from '../../reports/pv/escape.ts';
import { colon } from '../../reports/pv/format.ts';
import { evidenceMd, kvMd as kv, rexMd, validationMd } from '../../reports/pv/markdown.ts';
import type { RestoreTestRun } from '../types.ts';
import { restoreView, verdictText } from './common.ts';
import { label as L } from './labels.ts';

const icon = (v: string) => (v === 'pass' ? '✅' : v === 'skipped' ? '➖' : '❌');

export function toMarkdown(run: RestoreTestRun, lang: Lang = 'fr'): string {
  const c = colon(lang);
  const v = restoreView(run, lang);
  const out: string[] = [];
  out.push(`# ${t(L('title', lang))} — ${t(run.domain)} — ${t(run.environment)}`, '');
  const gloss = L('glossary', lang);
  if (gloss) out.push(`_${t(gloss)}_`, '');
  out.push(`**${t(L('overall', lang))}**${c}${icon(v.verdict)} **${t(verdictText(v.verdict, lang))}**`, '');
  out.push(`**${t(L('findings', lang))}**${c.trimEnd()}`, '');
  if (v.findings.length) out.push(...v.findings.map((f) => `- ${t(f)}`));
  else out.push(t(L('noFinding', lang)));
  out.push('', `### ${t(L('keyFigures', lang))}`, '', kv(v.keyFigures, lang), '');

  out.push(`## ${t(L('identification', lang))}`, '', kv(v.identification, lang), '');

  out.push(
    `## ${t(L('choice', lang))}`,
    '',
    kv(v.choice, lang),
    '',
    `### ${t(L('backupSet', lang))}`,
    '',
    kv(v.backupSet, lang),
    '',
    `### ${t(L('replay', lang))}`,
    '',
    ...mdFence([v.replay.command]),
    '',
    t(v.replay.note),
    '',
  );

  out.push(`## ${t(L('isolation', lang))}`, '', t(L('isolationIntro', lang)), '', kv(v.isolation, lang), '');

  out.push(`## ${t(L('phases', lang))}`, '');
  if (v.phases.length)
    out.push(
      `| ${t(L('phase', lang))} | ${t(L('start', lang))} | ${t(L('phaseDuration', lang))} | ${t(L('detail', lang))} |`,
      '| --- | --- | ---: | --- |',
      ...v.phases.map((p) => `| ${t(p.phase)} | ${t(p.start)} | ${t(p.duration)} | ${t(p.detail)} |`),
      `| **${t(L('total', lang))}** | | **${t(v.phasesTotal)}** | |`,
    );
  else out.push(t(L('noPhase', lang)));
  out.push('', `**${t(L('rate', lang))}**${c}${t(v.rate)}`, '');

  out.push(`## ${t(L('checks', lang))}`, '');
  if (v.checks.length)
    out.push(
      `| ${t(L('check', lang))} | ${t(L('requirements', lang))} | ${t(L('verdict', lang))} | ${t(L('detail', lang))} | ${t(L('evidenceFile', lang))} |`,
      '| --- | --- | --- | --- | --- |',
      ...v.checks.map(
        (r) =>
          `| ${t(r.title)} ${mdCode(r.id)} | ${t(r.requirements)} | ${icon(r.status)} ${t(r.verdict)} | ${t(r.detail)} | ${r.evidence ? mdCode(r.evidence) : ''} |`,
      ),
    );
  else out.push(t(L('noCheck', lang)));
  out.push('');

  out.push(`## ${t(L('destruction', lang))}`, '');
  if (v.destroyed)
    out.push(
      `- **${t(L('destroyedAt', lang))}**${c}${t(v.destroyed.at)}`,
      `- **${t(L('destroyedWhat', lang))}**${c.trimEnd()}`,
      ...v.destroyed.what.map((w) => `  - ${t(w)}`),
    );
  else out.push(`❌ **${t(L('notDestroyed', lang))}**`);
  out.push('');

  out.push(...evidenceMd(run.evidence, lang), ...rexMd(run.rex, lang), ...validationMd(v.validation, run, lang));
  return out.join('\n');
}
