/**
 * What the Markdown and the HTML of the reversibility documents both show, computed once from the
 * record: the effective verdict (never "passed" or "destroyed" when the record itself shows a
 * failure: a difference, a failed, skipped or missing required phase, a failed smoke check; an item
 * not destroyed, a key still on a token, a listing not empty, a document that still decrypts, a
 * signature that does not match), key-value rows and table rows as raw strings (each renderer
 * escapes), the validation block.
 */
import type { Lang, Text } from '../../../policies/types.ts';
import { arr, int, num, percent } from '../../reports/pv/format.ts';
import type { PvValidation, Row } from '../../reports/pv/types.ts';
import { span } from '../../restore/pv/common.ts';
import { byteRate, bytes } from '../../restore/pv/labels.ts';
import {
  DECOMMISSION_MONTHS,
  DESTRUCTION_FINDINGS,
  DESTRUCTION_REQUIREMENTS,
  DRY_RUN_FINDINGS,
  DRY_RUN_REQUIREMENTS,
  destroyedLabel,
  differenceLabel,
  label as L,
  phaseLabel,
  RATE_GOAL,
  roleLabel,
  SECTIONS,
  SIGNATURE_FAILURE_TEXT,
} from './labels.ts';
import { destructionSignedSha256, type SignatureCheck, verifyDestructionSignature } from './signature.ts';
import {
  type DestructionCertificate,
  type DestructionFindingCode,
  type DryRunFindingCode,
  EXPORT_SECTIONS,
  type Finding,
  REQUIRED_PHASES,
  REVERSIBILITY_ROLES,
  type ReversibilityDryRun,
  type ReversibilityValidation,
  type Throughput,
} from './types.ts';

export type Status = 'pass' | 'fail' | 'skipped';

const text = (v: unknown) => (v === undefined || v === null || v === '' ? '—' : String(v));

const msBetween = (a: unknown, b: unknown) => {
  const x = Date.parse(String(a));
  const y = Date.parse(String(b));
  return Number.isFinite(x) && Number.isFinite(y) && y >= x ? y - x : undefined;
};

/** `{name}` placeholders of a sentence filled from `values`. */
const fill = (sentence: string, values: Record<string, string>) => sentence.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);

/** `112,4 Mio/s (2,1 Gio en 19,1 s)`. */
function throughputText(t: Partial<Throughput> | undefined, lang: Lang): string {
  return fill(L('rateText', lang), { rate: byteRate(t?.bytesPerSecond, lang), bytes: bytes(t?.bytes, lang), duration: span(t?.durationMs, lang) });
}

/** An integer with thin grouping for reading (`1 204 331` / `1,204,331`); '—' for anything else. */
export function count(x: unknown, lang: Lang): string {
  const s = int(x);
  if (s === '—') return s;
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? '\u202f' : ',');
}

const yesNo = (b: unknown, lang: Lang) => (b === true ? L('yes', lang) : b === false ? L('no', lang) : '—');

/** The validation block: the decision and reserves as recorded; the four signatories, the operator's name from the run when not given. */
export function validation(v: ReversibilityValidation | undefined, operator: string, lang: Lang): PvValidation {
  const given = arr(v?.signatures);
  return {
    decision: v?.decision,
    reserves: v?.reserves,
    signatories: REVERSIBILITY_ROLES.map((role) => {
      const s = given.find((x) => x?.role === role);
      const name = s?.name || (role === 'operator' ? operator : undefined);
      return { role: roleLabel(role, lang), name: name ?? '', position: s?.position ?? '', date: s?.date ?? '' };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The dry run
// ---------------------------------------------------------------------------------------------

/** A phase's own name, without its parent (`bootstrap: verify` → `verify`). */
const stepName = (name: unknown) =>
  String(name ?? '')
    .split(': ')
    .at(-1) ?? '';

/** Why the dry run failed, in a stable order; none when it passed. */
export function dryRunFindings(run: ReversibilityDryRun): Finding<DryRunFindingCode>[] {
  const out: Finding<DryRunFindingCode>[] = [];
  if (run.verdict !== 'passed') out.push({ code: 'recorded-fail' });
  const diffs = arr(run.differences).length;
  if (diffs) out.push({ code: 'differences', values: { count: String(diffs) } });
  const phases = arr(run.phases);
  const required = (name: unknown) => (REQUIRED_PHASES as readonly string[]).includes(stepName(name));
  for (const p of phases) {
    if (p?.result === 'passed') continue;
    if (p?.result === 'skipped') {
      if (required(p?.name)) out.push({ code: 'phase-skipped', values: { phase: String(p?.name ?? '') } });
    } else out.push({ code: 'phase-failed', values: { phase: String(p?.name ?? '') } });
  }
  for (const name of REQUIRED_PHASES) if (!phases.some((p) => stepName(p?.name) === name)) out.push({ code: 'phase-missing', values: { phase: name } });
  for (const s of arr(run.rebuilt?.smoke)) if (s?.ok !== true) out.push({ code: 'smoke-failed', values: { name: String(s?.name ?? '') } });
  return out;
}

export function dryRunFindingText(f: Finding<DryRunFindingCode>, lang: Lang): string {
  const v = f.values ?? {};
  return fill(DRY_RUN_FINDINGS[f.code][lang], { ...v, ...(v.phase !== undefined ? { phase: phaseLabel(v.phase, lang) } : {}) });
}

export function dryRunVerdict(run: ReversibilityDryRun): 'passed' | 'failed' {
  return dryRunFindings(run).length ? 'failed' : 'passed';
}

export interface PhaseRow {
  phase: string;
  name: string;
  start: string;
  duration: string;
  status: Status;
  result: string;
  detail: string;
}

const statusOf = (r: unknown): Status => (r === 'passed' ? 'pass' : r === 'skipped' ? 'skipped' : 'fail');
const resultWord = (s: Status, lang: Lang) => L(s === 'pass' ? 'passed' : s === 'skipped' ? 'skipped' : 'failed', lang);

export interface SectionRow {
  section: string;
  name: string;
  files: string;
  bytes: string;
}

export interface DifferenceRow {
  kind: string;
  where: string;
  expected: string;
  found: string;
  detail: string;
}

export interface SmokeRow {
  name: string;
  status: Status;
  result: string;
  detail: string;
}

export interface DryRunView {
  verdict: 'passed' | 'failed';
  findings: string[];
  keyFigures: Row[];
  identification: Row[];
  phases: PhaseRow[];
  phasesTotal: string;
  volumes: Row[];
  sections: SectionRow[];
  differences: DifferenceRow[];
  /** None when not measured. */
  availability?: Row[];
  firstErrors: string[];
  rate: Row[];
  /** None when no copy was rebuilt. */
  rebuilt?: Row[];
  smoke: SmokeRow[];
  notIncluded: Array<{ what: string; why: string }>;
  notDone: string[];
  lessons: string[];
  validation: PvValidation;
}

function availabilityText(run: ReversibilityDryRun, lang: Lang): string {
  const a = run.availability;
  if (!a) return L('notMeasured', lang);
  return fill(L('availabilityText', lang), { availability: percent(a.availability, lang), errors: count(a.errors, lang), requests: count(a.requests, lang) });
}

/** A latency: `4,2 ms` below a second (one decimal), as a duration above. */
const latency = (x: unknown, lang: Lang) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < 1000 ? `${num(x, 1, lang)} ms` : span(x, lang));

const latencyText = (l: { p50?: unknown; p95?: unknown; max?: unknown } | undefined, lang: Lang) =>
  [l?.p50, l?.p95, l?.max].map((x) => latency(x, lang)).join(' / ');

function ratioText(run: ReversibilityDryRun, lang: Lang): string | undefined {
  const base = Number(run.rate?.pgDump?.bytesPerSecond);
  const rate = Number(run.rate?.bytesPerSecond);
  if (!run.rate?.pgDump || !Number.isFinite(base) || base <= 0 || !Number.isFinite(rate)) return undefined;
  const ratio = rate / base;
  return fill(L('ratioText', lang), { ratio: num(ratio, 2, lang), goal: num(RATE_GOAL, 1, lang), met: L(ratio >= RATE_GOAL ? 'goalMet' : 'goalMissed', lang) });
}

const strings = (v: unknown): string[] => arr(v as unknown[]).map((x) => text(x));

export function dryRunView(run: ReversibilityDryRun, lang: Lang): DryRunView {
  const findings = dryRunFindings(run);
  const v = run.volumes;
  const duration = span(msBetween(run.startedAt, run.endedAt), lang);
  const rate = run.rate ? throughputText(run.rate, lang) : L('rateNotMeasured', lang);
  const ratio = ratioText(run, lang);
  const e = run.export;
  const a = run.availability;
  const r = run.rebuilt;
  const sectionsRecord = (v?.sections ?? {}) as Record<string, { files?: unknown; bytes?: unknown } | undefined>;
  const extraSections = Object.keys(sectionsRecord)
    .filter((k) => !(EXPORT_SECTIONS as readonly string[]).includes(k))
    .sort();
  return {
    verdict: findings.length ? 'failed' : 'passed',
    findings: findings.map((f) => dryRunFindingText(f, lang)),
    keyFigures: [
      { label: L('totalDuration', lang), value: duration },
      {
        label: L('volumes', lang),
        value: `${bytes(v?.bytes, lang)} · ${count(v?.files, lang)} ${L('files', lang).toLowerCase()} · ${count(v?.tables, lang)} ${L('tables', lang).toLowerCase()} · ${count(v?.rows, lang)} ${L('rows', lang).toLowerCase()} · ${count(v?.documents, lang)} ${L('documents', lang).toLowerCase()}`,
      },
      { label: L('differencesCount', lang), value: count(arr(run.differences).length, lang) },
      { label: L('availabilityShort', lang), value: availabilityText(run, lang) },
      { label: L('rate', lang), value: ratio ? `${rate} — ${ratio}` : rate },
    ],
    identification: [
      { label: L('runId', lang), value: text(run.id) },
      { label: L('environment', lang), value: text(run.environment) },
      { label: L('operator', lang), value: text(run.operator) },
      { label: L('startedAt', lang), value: text(run.startedAt) },
      { label: L('endedAt', lang), value: text(run.endedAt) },
      { label: L('totalDuration', lang), value: duration },
      { label: L('requirements', lang), value: DRY_RUN_REQUIREMENTS.join(', ') },
      ...(e
        ? [
            { label: L('manifestSha256', lang), value: text(e.manifestSha256) },
            { label: L('commit', lang), value: text(e.commit) },
            { label: L('snapshotAt', lang), value: text(e.snapshotAt) },
            { label: L('recipient', lang), value: e.recipient || L('noRecipient', lang) },
          ]
        : []),
      ...(run.isolation ? [{ label: L('isolation', lang), value: run.isolation }] : []),
      ...(run.exportKept !== undefined ? [{ label: L('exportKept', lang), value: yesNo(run.exportKept, lang) }] : []),
    ],
    phases: arr(run.phases).map((p) => {
      const status = statusOf(p?.result);
      return {
        phase: phaseLabel(p?.name, lang),
        name: text(p?.name),
        start: text(p?.startedAt),
        duration: span(p?.durationMs, lang),
        status,
        result: resultWord(status, lang),
        detail: p?.detail ?? '',
      };
    }),
    // The total counts top-level phases only: a step (`parent: step`) is inside its parent's duration.
    phasesTotal: span(
      arr(run.phases)
        .filter((p) => !String(p?.name ?? '').includes(': '))
        .reduce((s, p) => s + (Number.isFinite(Number(p?.durationMs)) ? Number(p.durationMs) : 0), 0),
      lang,
    ),
    volumes: [
      { label: L('files', lang), value: count(v?.files, lang) },
      { label: L('size', lang), value: bytes(v?.bytes, lang) },
      { label: L('tables', lang), value: count(v?.tables, lang) },
      { label: L('rows', lang), value: count(v?.rows, lang) },
      { label: L('documents', lang), value: count(v?.documents, lang) },
    ],
    sections: [...EXPORT_SECTIONS, ...extraSections].map((name) => {
      const s = sectionsRecord[name];
      return {
        section: (SECTIONS as Record<string, Text | undefined>)[name]?.[lang] ?? name,
        name,
        files: count(s?.files, lang),
        bytes: bytes(s?.bytes, lang),
      };
    }),
    differences: arr(run.differences).map((d) =>
      typeof d === 'string'
        ? { kind: L('difference', lang), where: '', expected: '', found: '', detail: d }
        : { kind: differenceLabel(d?.kind, lang), where: d?.where ?? '', expected: d?.expected ?? '', found: d?.found ?? '', detail: d?.detail ?? '' },
    ),
    ...(a
      ? {
          availability: [
            { label: L('probe', lang), value: text(a.probe) },
            { label: L('interval', lang), value: span(a.intervalMs, lang) },
            ...(a.from || a.to ? [{ label: L('window', lang), value: `${text(a.from)} → ${text(a.to)}` }] : []),
            { label: L('requests', lang), value: count(a.requests, lang) },
            { label: L('errors', lang), value: count(a.errors, lang) },
            { label: L('availabilityRate', lang), value: percent(a.availability, lang) },
            { label: L('latency', lang), value: latencyText(a.latencyMs, lang) },
          ],
        }
      : {}),
    firstErrors: strings(a?.firstErrors),
    rate: [
      { label: L('rate', lang), value: rate },
      { label: L('pgDump', lang), value: run.rate?.pgDump ? throughputText(run.rate.pgDump, lang) : L('pgDumpNotMeasured', lang) },
      ...(ratio ? [{ label: L('ratio', lang), value: ratio }] : []),
    ],
    ...(r
      ? {
          rebuilt: [
            ...(r.slot !== undefined ? [{ label: L('slot', lang), value: text(r.slot) }] : []),
            ...(r.netns !== undefined ? [{ label: L('netns', lang), value: strings(r.netns).join(', ') || '—' }] : []),
          ],
        }
      : {}),
    smoke: arr(r?.smoke).map((s) => {
      const status: Status = s?.ok === true ? 'pass' : 'fail';
      return { name: text(s?.name), status, result: resultWord(status, lang), detail: s?.detail ?? '' };
    }),
    notIncluded: arr(run.notIncluded).map((n) => ({ what: text(n?.what), why: text(n?.why) })),
    notDone: strings(run.notDone),
    lessons: strings(run.lessons),
    validation: validation(run.validation, run.operator, lang),
  };
}

// ---------------------------------------------------------------------------------------------
// The destruction certificate
// ---------------------------------------------------------------------------------------------

/** The kinds whose destruction a listing must prove empty. */
const LISTED_KINDS = new Set(['backup-repository', 'bucket']);

/** The key labels an `hsm-key` item names (one label, or several separated by commas). */
function destroyedKeyLabels(cert: DestructionCertificate): string[] {
  const names = arr(cert.items)
    .filter((i) => i?.kind === 'hsm-key')
    .flatMap((i) => String(i.name ?? '').split(/,\s*/))
    .filter(Boolean);
  return [...new Set(names)];
}

/**
 * The signature checked as far as the record allows: with the certificate it includes (every
 * check), else the signer's recorded SHA-256 against the content's; undefined when unsigned,
 * `unchecked` when nothing can be checked here.
 */
export function signatureCheck(cert: DestructionCertificate): SignatureCheck | 'unchecked' | undefined {
  const s = cert.signature;
  if (!s) return undefined;
  if (s.certificatePem) return verifyDestructionSignature(cert, s.certificatePem);
  if (s.signedSha256 !== undefined && String(s.signedSha256).toLowerCase() !== destructionSignedSha256(cert))
    return { valid: false, reason: 'content-changed' };
  return 'unchecked';
}

/** Why the destruction is not proven, in a stable order; none when it is. */
export function destructionFindings(cert: DestructionCertificate): Finding<DestructionFindingCode>[] {
  const out: Finding<DestructionFindingCode>[] = [];
  if (cert.verdict !== 'destroyed') out.push({ code: 'recorded-fail' });
  const items = arr(cert.items);
  for (const i of items)
    if (i?.result !== 'destroyed' && i?.result !== 'already-absent')
      out.push({ code: 'item-failed', values: { kind: String(i?.kind ?? ''), name: String(i?.name ?? ''), site: String(i?.site ?? '') } });
  const keys = destroyedKeyLabels(cert);
  if (!keys.length) out.push({ code: 'no-key' });
  const tokens = arr(cert.proofs?.tokens);
  if (!tokens.length) out.push({ code: 'no-token' });
  for (const t of tokens) {
    const left = keysLeft(t, keys);
    const where = `${t?.token ?? ''} (${t?.site ?? ''})`;
    for (const k of left) out.push({ code: 'key-present', values: { label: k, token: where } });
    if (!left.length && t?.ok === false) out.push({ code: 'key-present', values: { label: '—', token: where } });
  }
  const listings = arr(cert.proofs?.listings);
  for (const l of listings)
    if (Number(l?.entries) !== 0 || l?.ok === false)
      out.push({ code: 'listing-not-empty', values: { name: String(l?.name ?? ''), entries: Number(l?.entries) >= 0 ? int(l?.entries) : '?' } });
  for (const i of items)
    if (LISTED_KINDS.has(i?.kind) && !listings.some((l) => l?.kind === i.kind && l?.name === i.name))
      out.push({ code: 'listing-missing', values: { name: String(i.name ?? '') } });
  const docs = arr(cert.proofs?.documents);
  if (!docs.length) out.push({ code: 'no-document' });
  for (const d of docs) {
    if (d?.readableAfter !== false || d?.ok === false) out.push({ code: 'document-readable', values: { id: String(d?.id ?? '') } });
    else if (d?.readableBefore !== true) out.push({ code: 'document-not-proven', values: { id: String(d?.id ?? '') } });
  }
  const sig = signatureCheck(cert);
  if (sig && sig !== 'unchecked' && !sig.valid) out.push({ code: 'signature-invalid', values: { reason: sig.reason } });
  return out;
}

/** The destroyed keys still on a token: as the runtime found them, and as the labels found show. */
function keysLeft(t: { labelsFound?: string[]; domainKeysLeft?: string[] } | undefined, keys: string[]): string[] {
  const found = arr(t?.labelsFound);
  return [...new Set([...arr(t?.domainKeysLeft), ...keys.filter((k) => found.includes(k))])];
}

export function destructionFindingText(f: Finding<DestructionFindingCode>, lang: Lang): string {
  const v = f.values ?? {};
  const what = v.kind !== undefined ? `${destroyedLabel(v.kind, lang)} ${v.name ?? ''} (${v.site ?? ''})` : undefined;
  const reason = v.reason !== undefined ? ((SIGNATURE_FAILURE_TEXT as Record<string, Text | undefined>)[v.reason]?.[lang] ?? v.reason) : undefined;
  return fill(DESTRUCTION_FINDINGS[f.code][lang], { ...v, ...(what !== undefined ? { what } : {}), ...(reason !== undefined ? { reason } : {}) });
}

export function destructionVerdict(cert: DestructionCertificate): 'destroyed' | 'incomplete' {
  return destructionFindings(cert).length ? 'incomplete' : 'destroyed';
}

/** `takeover + months` in UTC, the day clamped to the month's last (31 Dec + 2 months → 28/29 Feb). */
function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** EXG_REV_18: days from the takeover to the end of the destruction, the due date, on time or not; none without a takeover date. */
export function decommissionDelay(cert: DestructionCertificate): { days: number; due: string; onTime: boolean } | undefined {
  const from = Date.parse(String(cert.takeoverAt));
  const to = Date.parse(String(cert.endedAt));
  if (!cert.takeoverAt || !Number.isFinite(from) || !Number.isFinite(to)) return undefined;
  const due = addMonths(from, DECOMMISSION_MONTHS);
  return { days: Math.floor((to - from) / 86_400_000), due: new Date(due).toISOString().slice(0, 10), onTime: to <= due };
}

export interface ItemRow {
  kind: string;
  name: string;
  site: string;
  method: string;
  at: string;
  status: Status;
  result: string;
  detail: string;
}

export interface TokenRow {
  token: string;
  site: string;
  labels: string;
  /** Destroyed keys found on this token (must be none). */
  destroyedFound: string[];
  status: Status;
}

export interface ListingRow {
  kind: string;
  name: string;
  site: string;
  command: string;
  entries: string;
  empty: boolean;
  sample: string;
  detail: string;
}

export interface DocumentRow {
  domain: string;
  id: string;
  before: string;
  after: string;
  /** Readable before and not after. */
  proven: boolean;
  error: string;
  api: string;
  hashes: Row[];
}

export interface DestructionView {
  verdict: 'destroyed' | 'incomplete';
  findings: string[];
  keyFigures: Row[];
  identification: Row[];
  /** Shown when no formal agreement is referenced. */
  noApproval: boolean;
  items: ItemRow[];
  afterSignature: string;
  tokens: TokenRow[];
  listings: ListingRow[];
  documents: DocumentRow[];
  notCovered: Array<{ what: string; why: string }>;
  /** None when unsigned. */
  signature?: Row[];
  /** The signature check: valid, invalid (why), unchecked; none when unsigned. */
  signatureStatus?: { status: Status; text: string };
  signedSha256: string;
  validation: PvValidation;
}

export function destructionView(cert: DestructionCertificate, lang: Lang): DestructionView {
  const findings = destructionFindings(cert);
  const items = arr(cert.items);
  const keys = destroyedKeyLabels(cert);
  const listings = arr(cert.proofs?.listings);
  const docs = arr(cert.proofs?.documents);
  const tokens = arr(cert.proofs?.tokens);
  const delay = decommissionDelay(cert);
  const sig = cert.signature;
  const check = signatureCheck(cert);
  const itemStatus = (r: unknown): Status => (r === 'destroyed' || r === 'already-absent' ? 'pass' : 'fail');
  const itemResult = (r: unknown) => L(r === 'destroyed' ? 'resultDestroyed' : r === 'already-absent' ? 'resultAbsent' : 'resultFailed', lang);
  const listingEmpty = (l: { entries?: unknown; ok?: boolean } | undefined) => Number(l?.entries) === 0 && l?.ok !== false;
  const proven = (d: { readableBefore?: unknown; readableAfter?: unknown; ok?: boolean } | undefined) =>
    d?.readableBefore === true && d?.readableAfter === false && d?.ok !== false;
  const deadline = delay
    ? [
        {
          label: fill(L('deadline', lang), { months: String(DECOMMISSION_MONTHS) }),
          value: fill(L('deadlineText', lang), { days: String(delay.days), due: delay.due, met: L(delay.onTime ? 'deadlineMet' : 'deadlineMissed', lang) }),
        },
      ]
    : [];
  const signatureStatus =
    check === undefined
      ? undefined
      : check === 'unchecked'
        ? { status: 'skipped' as const, text: L('signatureUnchecked', lang) }
        : check.valid
          ? { status: 'pass' as const, text: L('signatureValid', lang) }
          : { status: 'fail' as const, text: fill(L('signatureInvalid', lang), { reason: SIGNATURE_FAILURE_TEXT[check.reason][lang] }) };
  return {
    verdict: findings.length ? 'incomplete' : 'destroyed',
    findings: findings.map((f) => destructionFindingText(f, lang)),
    keyFigures: [
      {
        label: L('itemsDestroyed', lang),
        value: `${count(items.filter((i) => itemStatus(i?.result) === 'pass').length, lang)} / ${count(items.length, lang)}`,
      },
      { label: L('keysDestroyed', lang), value: count(keys.length, lang) },
      { label: L('tokensChecked', lang), value: count(tokens.length, lang) },
      { label: L('listingsEmpty', lang), value: `${count(listings.filter(listingEmpty).length, lang)} / ${count(listings.length, lang)}` },
      { label: L('documentsUnreadable', lang), value: `${count(docs.filter(proven).length, lang)} / ${count(docs.length, lang)}` },
      {
        label: L('signatureShort', lang),
        value: sig ? `${L('signed', lang)} (${text(sig.algorithm)})${signatureStatus ? ` — ${signatureStatus.text}` : ''}` : L('unsignedShort', lang),
      },
      ...deadline,
    ],
    identification: [
      { label: L('certificateId', lang), value: text(cert.id) },
      { label: L('environment', lang), value: text(cert.environment) },
      ...(cert.environmentClass ? [{ label: L('environmentClass', lang), value: cert.environmentClass }] : []),
      { label: L('operator', lang), value: text(cert.operator) },
      ...(cert.requestedBy ? [{ label: L('requestedBy', lang), value: cert.requestedBy }] : []),
      { label: L('approvalRef', lang), value: cert.approval ? cert.approval : L('noApproval', lang) },
      ...(cert.approvedAt ? [{ label: L('approvedAt', lang), value: cert.approvedAt }] : []),
      ...(cert.takeoverAt ? [{ label: L('takeoverAt', lang), value: cert.takeoverAt }] : []),
      { label: L('startedAt', lang), value: text(cert.startedAt) },
      { label: L('endedAt', lang), value: text(cert.endedAt) },
      { label: L('totalDuration', lang), value: span(msBetween(cert.startedAt, cert.endedAt), lang) },
      { label: L('requirements', lang), value: DESTRUCTION_REQUIREMENTS.join(', ') },
    ],
    noApproval: !cert.approval,
    items: items.map((i) => {
      const status = itemStatus(i?.result);
      return {
        kind: destroyedLabel(i?.kind, lang),
        name: text(i?.name),
        site: text(i?.site),
        method: text(i?.method),
        at: text(i?.at),
        status,
        result: itemResult(i?.result),
        detail: i?.detail ?? '',
      };
    }),
    afterSignature: cert.afterSignature ?? '',
    tokens: tokens.map((t) => {
      const found = arr(t?.labelsFound);
      const left = keysLeft(t, keys);
      return {
        token: text(t?.token),
        site: text(t?.site),
        labels: found.length ? found.join(', ') : L('noneFound', lang),
        destroyedFound: left,
        status: left.length || t?.ok === false ? 'fail' : 'pass',
      };
    }),
    listings: listings.map((l) => ({
      kind: destroyedLabel(l?.kind, lang),
      name: text(l?.name),
      site: text(l?.site),
      command: text(l?.command),
      entries: Number(l?.entries) >= 0 ? count(l?.entries, lang) : '?',
      empty: listingEmpty(l),
      sample: strings(l?.sample).join(', '),
      detail: l?.detail ?? '',
    })),
    documents: docs.map((d) => ({
      domain: text(d?.domain),
      id: text(d?.id),
      before: yesNo(d?.readableBefore, lang),
      after: yesNo(d?.readableAfter, lang),
      proven: proven(d),
      error: d?.error ?? '',
      api: d?.apiStatusAfter !== undefined ? text(d.apiStatusAfter) : '',
      hashes: [
        ...(d?.contentSha256Before ? [{ label: L('contentSha256Before', lang), value: d.contentSha256Before }] : []),
        ...(d?.ciphertextSha256 ? [{ label: L('ciphertextSha256', lang), value: d.ciphertextSha256 }] : []),
      ],
    })),
    notCovered: arr(cert.notCovered).map((n) => ({ what: text(n?.what), why: text(n?.why) })),
    ...(sig
      ? {
          signature: [
            { label: L('algorithm', lang), value: text(sig.algorithm) },
            { label: L('certificateSha256', lang), value: text(sig.certificateSha256) },
            ...(sig.signedSha256 !== undefined ? [{ label: L('signedSha256Recorded', lang), value: text(sig.signedSha256) }] : []),
          ],
        }
      : {}),
    ...(signatureStatus ? { signatureStatus } : {}),
    signedSha256: destructionSignedSha256(cert),
    validation: validation(cert.validation, cert.operator, lang),
  };
}
