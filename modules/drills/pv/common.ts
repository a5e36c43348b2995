/**
 * What the Markdown and the HTML of the PV both show, computed once from the run: figures as
 * formatted strings (raw values from the run, not yet escaped: each renderer escapes), the
 * timeline of a fault relative to its injection, the lists capped at 50 entries.
 */
import type { Lang } from '../../../policies/types.ts';
import { arr, duration, int, num, percent, seconds } from '../../reports/pv/format.ts';
import type { PvValidation, Row } from '../../reports/pv/types.ts';
import type { DrillRun, FaultResult, TimelineEvent } from '../types.ts';
import { eventLabel, faultLabel, label as L } from './labels.ts';

/** Lists (lost ids, split-brain evidence) show at most this many entries, then "… and N more". */
export const LIST_CAP = 50;

export function capped<T>(list: T[] | undefined): { shown: T[]; rest: number } {
  const all = arr(list);
  return { shown: all.slice(0, LIST_CAP), rest: Math.max(0, all.length - LIST_CAP) };
}

export const verdictText = (v: string, lang: Lang) => L(v === 'pass' ? 'pass' : 'fail', lang);
export const verdictShort = (v: string, lang: Lang) => L(v === 'pass' ? 'passShort' : 'failShort', lang);

/** `perte d’un site — DC1`. */
export function faultTitle(f: FaultResult, lang: Lang): string {
  const site = f?.site ?? f?.spec?.site;
  return `${faultLabel(f?.spec?.kind ?? '', lang)}${site ? ` — ${site}` : ''}`;
}

/** Run duration in seconds, when both dates parse. */
export function runSeconds(run: DrillRun): number | undefined {
  const a = Date.parse(run.startedAt);
  const b = Date.parse(run.endedAt);
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? (b - a) / 1000 : undefined;
}

/** The scope line: the faults injected and the workload. */
export function scopeText(run: DrillRun, lang: Lang): string {
  const faults = arr(run.faults);
  const writers = arr(run.workload?.writers);
  return `${faults.length} ${L('faultsInjected', lang)} (${faults.map((f) => faultTitle(f, lang)).join(lang === 'fr' ? ' ; ' : '; ')}) · ${writers.length} ${L('writers', lang)}, ${num(run.workload?.ratePerWriter, 0, lang)} ${L('perWriter', lang)}`;
}

export function identificationRows(run: DrillRun, lang: Lang): Row[] {
  const d = runSeconds(run);
  return [
    { label: L('runId', lang), value: run.id },
    { label: L('kind', lang), value: run.kind === 'campaign' ? L('campaign', lang) : run.kind === 'single' ? L('single', lang) : String(run.kind ?? '') },
    { label: L('runTitle', lang), value: run.title },
    { label: L('scope', lang), value: scopeText(run, lang) },
    { label: L('environment', lang), value: run.environment },
    { label: L('startedAt', lang), value: run.startedAt },
    { label: L('endedAt', lang), value: run.endedAt },
    { label: L('duration', lang), value: d === undefined ? '—' : duration(d, lang) },
    { label: L('operator', lang), value: run.operator },
    {
      label: L('workload', lang),
      value: `${num(run.workload?.ratePerWriter, 0, lang)} ${L('perWriter', lang)} · ${arr(run.workload?.writers).join(', ')}`,
    },
  ];
}

export function targetRows(run: DrillRun, lang: Lang): Row[] {
  return [
    { label: L('rtoTarget', lang), value: `≤ ${duration(run.targets?.rtoSeconds, lang)}` },
    { label: L('lostTarget', lang), value: `= ${int(run.targets?.lostWrites)}` },
    { label: L('dimaTarget', lang), value: duration(run.targets?.dimaMonthSeconds, lang) },
  ];
}

const gap = (ms: number | undefined, lang: Lang) => (ms === undefined || ms === null ? `— (${L('neverStopped', lang)})` : seconds(ms, lang));

/** The DIMA share and what it stands for: `0,44 % (11,4 s sur 43 min 12 s)`. */
export function dimaText(f: FaultResult, run: DrillRun, lang: Lang): string {
  const budget = Number(run.targets?.dimaMonthSeconds);
  const used = Number(f?.dimaShare) * budget;
  return `${percent(f?.dimaShare, lang)}${Number.isFinite(used) ? ` (${seconds(used * 1000, lang)} ${L('of', lang)} ${duration(budget, lang)})` : ''}`;
}

export function figureRows(f: FaultResult, run: DrillRun, lang: Lang): Row[] {
  return [
    { label: L('rto', lang), value: gap(f?.rtoMs, lang) },
    ...(f?.failbackRtoMs !== undefined ? [{ label: L('failbackRto', lang), value: gap(f.failbackRtoMs, lang) }] : []),
    { label: L('writeGap', lang), value: gap(f?.writeGapMs, lang) },
    { label: L('rpoExposure', lang), value: seconds(f?.rpoExposureMs, lang) },
    { label: L('lost', lang), value: int(f?.lost) },
    { label: L('dimaShare', lang), value: dimaText(f, run, lang) },
    { label: L('verdict', lang), value: verdictShort(f?.verdict, lang) },
  ];
}

/** Spec rows of a fault. */
export function specRows(f: FaultResult, lang: Lang): Row[] {
  return [
    { label: L('faultKind', lang), value: `${faultLabel(f?.spec?.kind ?? '', lang)} (${f?.spec?.kind ?? ''})` },
    { label: L('siteAimed', lang), value: f?.spec?.site ?? '—' },
    { label: L('siteHit', lang), value: f?.site ?? '—' },
    { label: L('hold', lang), value: duration(f?.spec?.holdSeconds, lang) },
  ];
}

/** Total DIMA share of the run's faults. */
export function dimaTotal(run: DrillRun): number {
  return arr(run.faults).reduce((s, f) => s + (Number.isFinite(Number(f?.dimaShare)) ? Number(f.dimaShare) : 0), 0);
}

export interface TimelineRow {
  event: string;
  /** Seconds since the injection, one decimal. */
  t: string;
  detail: string;
  kind: string;
}

/** The events of a fault in time order, with the time since its injection (the first event when none is marked). */
export function timelineRows(f: FaultResult, lang: Lang): TimelineRow[] {
  const events = arr<TimelineEvent>(f?.events)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (Number(a.e.at) || 0) - (Number(b.e.at) || 0) || a.i - b.i)
    .map(({ e }) => e);
  const origin = Number(events.find((e) => e.kind === 'injected')?.at ?? events[0]?.at ?? 0);
  return events.map((e) => ({ event: eventLabel(e.kind, lang), t: num((Number(e.at) - origin) / 1000, 1, lang), detail: e.detail, kind: e.kind }));
}

/** The validation block, blank: the operator's name from the run, every other field to fill in by hand. */
export function validation(run: DrillRun, lang: Lang): PvValidation {
  return { signatories: [{ role: L('roleOperator', lang), name: run.operator }, { role: L('roleOwner', lang) }, { role: L('roleAuditor', lang) }] };
}
