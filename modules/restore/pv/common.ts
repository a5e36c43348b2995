/**
 * What the Markdown and the HTML of the restore-test PV both show, computed once from the run
 * (`restoreView`): the verdict (never "pass" when a check failed: plan.ts verdictFindings),
 * key-value rows and table rows as raw strings (each renderer escapes), the replay command, the
 * validation block.
 */
import type { Lang } from '../../../policies/types.ts';
import { arr, colon, duration, int, num, seconds } from '../../reports/pv/format.ts';
import type { PvValidation, Row } from '../../reports/pv/types.ts';
import { type Finding, verdictFindings } from '../plan.ts';
import type { RestoreTestRun, Signatory } from '../types.ts';
import {
  byteRate,
  bytes,
  checkRequirements,
  checkTitle,
  checkVerdictLabel,
  FINDINGS,
  label as L,
  modeLabel,
  PV_REQUIREMENTS,
  phaseLabel,
  roleLabel,
} from './labels.ts';

/** The verdict the PV shows and why: a failed check, a missing destruction... always shows as a failure. */
export function effectiveVerdict(run: RestoreTestRun): { verdict: 'pass' | 'fail'; findings: Finding[] } {
  const findings = verdictFindings(run);
  return { verdict: findings.length ? 'fail' : 'pass', findings };
}

/** A finding as a sentence, naming the check by its title (the run's own title for a check the PV has no label for). */
export function findingText(f: Finding, run: RestoreTestRun, lang: Lang): string {
  const check = f.check ? checkTitle(f.check, arr(run.checks).find((c) => c?.id === f.check)?.title, lang) : '';
  return FINDINGS[f.code][lang].replace('{check}', check);
}

export const verdictText = (v: string, lang: Lang) => L(v === 'pass' ? 'pass' : 'fail', lang);

const msBetween = (a: string, b: string) => {
  const x = Date.parse(a);
  const y = Date.parse(b);
  return Number.isFinite(x) && Number.isFinite(y) && y >= x ? y - x : undefined;
};

/** Milliseconds as a duration: `850 ms` below a second, `19,1 s` below a minute, `4 min 05 s` above. */
export function span(ms: unknown, lang: Lang): string {
  const n = Number(ms);
  if (typeof ms !== 'number' || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return `${num(n, 0, lang)} ms`;
  if (n < 60_000) return seconds(n, lang);
  return duration(n / 1000, lang);
}

export function identificationRows(run: RestoreTestRun, lang: Lang): Row[] {
  return [
    { label: L('runId', lang), value: run.id },
    { label: L('environment', lang), value: run.environment },
    { label: L('domain', lang), value: run.domain },
    { label: L('operator', lang), value: run.operator },
    { label: L('startedAt', lang), value: run.startedAt },
    { label: L('endedAt', lang), value: run.endedAt },
    { label: L('duration', lang), value: span(msBetween(run.startedAt, run.endedAt), lang) },
    { label: L('requirements', lang), value: PV_REQUIREMENTS.join(', ') },
  ];
}

/** `112,4 Mio/s (2,1 Gio en 19,1 s)`. */
export function rateText(run: RestoreTestRun, lang: Lang): string {
  const r = run.rate;
  return L('rateText', lang)
    .replace('{rate}', byteRate(r?.bytesPerSecond, lang))
    .replace('{bytes}', bytes(r?.bytes, lang))
    .replace('{duration}', span(r?.durationMs, lang));
}

/** `0,62 × (181,0 Mio/s en copie brute)`, when the plain-copy baseline was measured. */
export function baselineText(run: RestoreTestRun, lang: Lang): string | undefined {
  const base = Number(run.rate?.baselineBytesPerSecond);
  const rate = Number(run.rate?.bytesPerSecond);
  if (!Number.isFinite(base) || base <= 0 || !Number.isFinite(rate)) return undefined;
  return L('baselineText', lang)
    .replace('{ratio}', num(rate / base, 2, lang))
    .replace('{rate}', byteRate(base, lang));
}

export function keyFigureRows(run: RestoreTestRun, lang: Lang): Row[] {
  const c = run.choice;
  const base = baselineText(run, lang);
  return [
    { label: L('backupSet', lang), value: `${c?.backupSet?.label ?? '—'} (${c?.backupSet?.type ?? '—'}, repo${c?.backupSet?.repo ?? '?'})` },
    { label: L('targetTime', lang), value: c?.targetTime ?? '—' },
    {
      label: L('mode', lang),
      value: `${modeLabel(c?.mode, lang)}${c?.mode === 'random' && c.seed !== undefined ? ` — ${L('seed', lang)}${colon(lang)}${c.seed}` : ''}`,
    },
    { label: L('rate', lang), value: rateText(run, lang) },
    ...(base ? [{ label: L('baseline', lang), value: base }] : []),
    { label: L('duration', lang), value: span(msBetween(run.startedAt, run.endedAt), lang) },
  ];
}

export function choiceRows(run: RestoreTestRun, lang: Lang): Row[] {
  const c = run.choice;
  return [
    { label: L('mode', lang), value: modeLabel(c?.mode, lang) },
    ...(c?.mode === 'random' ? [{ label: L('seed', lang), value: String(c.seed ?? '—') }] : []),
    ...(c?.requestedAt !== undefined ? [{ label: L('requestedAt', lang), value: c.requestedAt }] : []),
    ...(c?.drawnTime !== undefined && c.mode !== 'at' ? [{ label: L('drawnTime', lang), value: c.drawnTime }] : []),
    ...(c?.mark !== undefined ? [{ label: L('mark', lang), value: c.mark }] : []),
    { label: L('targetTime', lang), value: c?.targetTime ?? '—' },
    { label: L('window', lang), value: `${c?.window?.from ?? '—'} → ${c?.window?.to ?? '—'}` },
    ...(c?.candidates !== undefined ? [{ label: L('candidates', lang), value: int(c.candidates) }] : []),
  ];
}

export function backupSetRows(run: RestoreTestRun, lang: Lang): Row[] {
  const s = run.choice?.backupSet;
  return [
    { label: L('label', lang), value: s?.label ?? '—' },
    { label: L('setType', lang), value: s?.type ?? '—' },
    ...(s?.prior ? [{ label: L('prior', lang), value: s.prior }] : []),
    { label: L('setStart', lang), value: s?.startedAt ?? '—' },
    { label: L('setStop', lang), value: s?.stoppedAt ?? '—' },
    { label: L('wal', lang), value: `${s?.walStart ?? '—'} / ${s?.walStop ?? '—'}` },
    { label: L('size', lang), value: bytes(s?.sizeBytes, lang) },
    { label: L('repoSize', lang), value: bytes(s?.repoSizeBytes, lang) },
    { label: L('repo', lang), value: s?.repo === 2 ? L('repo2', lang) : s?.repo === 1 ? L('repo1', lang) : String(s?.repo ?? '—') },
    ...(s?.pageErrors ? [{ label: L('pageErrors', lang), value: L('yes', lang) }] : []),
  ];
}

/** A shell word: as is when it is plain, single-quoted otherwise. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._:@%+=,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that replays the choice: the seed for a random draw, the target time otherwise. */
export function replayCommand(run: RestoreTestRun): string {
  const c = run.choice;
  const base = `hdsctl restore-test --domain ${shellWord(String(run.domain ?? ''))}`;
  if (c?.mode === 'random') return `${base} --random --seed ${shellWord(String(c.seed ?? ''))}`;
  return `${base} --at ${shellWord(String(c?.targetTime ?? ''))}`;
}

export function replayNote(run: RestoreTestRun, lang: Lang): string {
  return L(run.choice?.mode === 'random' ? 'replayRandom' : 'replayAt', lang);
}

export function isolationRows(run: RestoreTestRun, lang: Lang): Row[] {
  const i = run.isolation;
  return [
    { label: L('netns', lang), value: i?.netns ?? '—' },
    { label: L('route', lang), value: i?.route === 'none' ? L('routeNone', lang) : String(i?.route ?? '—') },
    { label: L('tls', lang), value: i?.tls === true ? L('yes', lang) : L('no', lang) },
    { label: L('encryptedAtRest', lang), value: i?.encryptedAtRest || '—' },
    { label: L('access', lang), value: i?.access || '—' },
  ];
}

export interface PhaseRow {
  phase: string;
  start: string;
  duration: string;
  detail: string;
}

export function phaseRows(run: RestoreTestRun, lang: Lang): PhaseRow[] {
  return arr(run.phases).map((p) => ({
    phase: phaseLabel(String(p?.name ?? ''), lang),
    start: p?.startedAt ?? '—',
    duration: span(p?.durationMs, lang),
    detail: p?.detail ?? '',
  }));
}

export function phasesTotal(run: RestoreTestRun, lang: Lang): string {
  const ms = arr(run.phases).reduce((s, p) => s + (Number.isFinite(Number(p?.durationMs)) ? Number(p.durationMs) : 0), 0);
  return span(ms, lang);
}

export interface CheckRow {
  title: string;
  id: string;
  requirements: string;
  verdict: string;
  /** pass / fail / skipped (anything else: fail), for styling. */
  status: 'pass' | 'fail' | 'skipped';
  detail: string;
  evidence: string;
}

export function checkRows(run: RestoreTestRun, lang: Lang): CheckRow[] {
  return arr(run.checks).map((c) => {
    const id = String(c?.id ?? '');
    const status = c?.verdict === 'pass' || c?.verdict === 'skipped' ? c.verdict : 'fail';
    return {
      title: checkTitle(id, c?.title, lang),
      id,
      requirements: checkRequirements(id).join(', '),
      verdict: checkVerdictLabel(String(c?.verdict), lang),
      status,
      detail: c?.detail ?? '',
      evidence: c?.evidence ?? '',
    };
  });
}

/**
 * The validation block: the decision and reserves as recorded; the three signatories (the run's
 * own, the operator's name from the run when not given), each field printed as recorded, blank
 * when not.
 */
export function validation(run: RestoreTestRun, lang: Lang): PvValidation {
  const given = arr(run.validation?.signatories);
  const roles: Signatory['role'][] = ['operator', 'owner', 'auditor'];
  return {
    decision: run.validation?.decision,
    reserves: run.validation?.reserves,
    signatories: roles.map((role) => {
      const s = given.find((x) => x?.role === role);
      const name = s?.name || (role === 'operator' ? run.operator : undefined);
      return { role: roleLabel(role, lang), name: name ?? '', position: s?.position ?? '', date: s?.date ?? '' };
    }),
  };
}

/** Everything the PV shows, computed once; the Markdown and the HTML only lay it out. */
export interface RestorePvView {
  verdict: 'pass' | 'fail';
  /** Why the test failed, as sentences; none when it passed. */
  findings: string[];
  keyFigures: Row[];
  identification: Row[];
  choice: Row[];
  backupSet: Row[];
  replay: { command: string; note: string };
  isolation: Row[];
  phases: PhaseRow[];
  phasesTotal: string;
  rate: string;
  checks: CheckRow[];
  /** The destruction record; none when nothing is recorded destroyed. */
  destroyed?: { at: string; what: string[] };
  validation: PvValidation;
}

export function restoreView(run: RestoreTestRun, lang: Lang): RestorePvView {
  const { verdict, findings } = effectiveVerdict(run);
  const d = run.destroyed;
  return {
    verdict,
    findings: findings.map((f) => findingText(f, run, lang)),
    keyFigures: keyFigureRows(run, lang),
    identification: identificationRows(run, lang),
    choice: choiceRows(run, lang),
    backupSet: backupSetRows(run, lang),
    replay: { command: replayCommand(run), note: replayNote(run, lang) },
    isolation: isolationRows(run, lang),
    phases: phaseRows(run, lang),
    phasesTotal: phasesTotal(run, lang),
    rate: rateText(run, lang),
    checks: checkRows(run, lang),
    ...(d && arr(d.what).length ? { destroyed: { at: d.at, what: arr(d.what) } } : {}),
    validation: validation(run, lang),
  };
}
