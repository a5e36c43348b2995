/**
 * A fixture `DrillRun` for the PV tests and the docs example: a two-fault campaign on 120 s of
 * series, a site loss that passes and a partition that fails with one acknowledged write lost
 * (and the split-brain evidence that goes with it). Deterministic: no clock, no randomness.
 */
import { fixtureEvidence } from '../../reports/pv/testing.ts';
import type { DrillRun, OpPath, SeriesPoint } from '../types.ts';

const SECONDS = 120;
const RATE = 5;

/** ok / failed / unknown of second `t` on `path`, and the p50 / max latency of the acknowledged ones. */
function second(t: number, path: OpPath): Omit<SeriesPoint, 't' | 'path'> {
  const full = 2 * RATE;
  const base = path === 'api' ? 6 + (t % 5) : 2 + (t % 3);
  const nominal = { ok: full, failed: 0, unknown: 0, p50Ms: base, maxMs: base * 3 + (t % 7) };
  // Fault 1, site loss of DC1 (10 s → 40 s): nothing until the promotion in DC2, then DC2 only.
  if (t >= 10 && t < 40) {
    const back = path === 'api' ? 21 : 20;
    if (t < back) return { ok: 0, failed: t === 10 ? full - 2 : full, unknown: t === 10 ? 2 : 0 };
    if (t === back) return { ok: 3, failed: full - 3, unknown: 0, p50Ms: 380, maxMs: 4200 };
    return { ok: RATE, failed: RATE, unknown: 0, p50Ms: base + 3, maxMs: base * 4 };
  }
  // Fault 2, partition of DC2 (70 s → 90 s): the old leader in DC2 fences itself, DC1 takes over.
  if (t >= 70 && t < 90) {
    if (t === 70) return { ok: 4, failed: 3, unknown: 3, p50Ms: 2900, maxMs: 6000 };
    if (t < 84) return { ok: 0, failed: full - (t % 4 === 0 ? 1 : 0), unknown: t % 4 === 0 ? 1 : 0 };
    if (t === 84) return { ok: 4, failed: full - 4, unknown: 0, p50Ms: 510, maxMs: 3900 };
    return { ok: RATE, failed: RATE, unknown: 0, p50Ms: base + 4, maxMs: base * 5 };
  }
  return nominal;
}

export function fixtureSeries(): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let t = 0; t < SECONDS; t++) for (const path of ['api', 'sql'] as const) out.push({ t, path, ...second(t, path) });
  return out;
}

export function fixtureRun(): DrillRun {
  const series = fixtureSeries();
  const sum = (k: 'ok' | 'failed' | 'unknown') => series.reduce((s, p) => s + p[k], 0);
  const evidence = [
    ['ledger.jsonl', 'registre des opérations / operation ledger', 412_230],
    ['timeline.json', 'chronologie des pannes / fault timelines', 6_811],
    ['observations.jsonl', 'états Patroni, HAProxy, etcd (1 s) / Patroni, HAProxy, etcd states', 98_402],
    ['logs/patroni-lab-dc1-pg-documents-01.log', 'journal Patroni DC1', 41_877],
    ['logs/patroni-lab-dc2-pg-documents-01.log', 'journal Patroni DC2', 39_120],
    ['logs/haproxy-lab-dc1.log', 'journal HAProxy DC1', 12_004],
    ['checker.json', 'vérification du registre / ledger check', 2_318],
  ] as const;
  return {
    id: '2026-11-30T07-30-00Z-campaign-trimestrielle',
    kind: 'campaign',
    title: 'campagne trimestrielle PRA/PCA',
    environment: 'lab',
    operator: 'c.martin',
    startedAt: '2026-11-30T07:30:00.000Z',
    endedAt: '2026-11-30T07:32:00.000Z',
    targets: { rtoSeconds: 30, lostWrites: 0, dimaMonthSeconds: 2592 },
    workload: { ratePerWriter: RATE, writers: ['api-DC1', 'api-DC2', 'sql-DC1', 'sql-DC2'] },
    faults: [
      {
        spec: { kind: 'site-loss', site: 'DC1', holdSeconds: 30 },
        site: 'DC1',
        events: [
          { kind: 'injected', at: 10_000, detail: 'site DC1 cut off: every lab-dc1 process frozen (SIGSTOP)' },
          { kind: 'detected', at: 10_420, detail: 'first failed operation (api-DC1: connect ETIMEDOUT)' },
          { kind: 'leader-lost', at: 13_050, detail: 'no Patroni leader (was pg-documents-dc1-01)' },
          { kind: 'promoted', at: 18_640, detail: 'pg-documents-dc2-01 leads (was pg-documents-dc1-01)' },
          { kind: 'sync-standby-lost', at: 18_640, detail: 'the leader runs without a synchronous standby (RPO exposure)' },
          { kind: 'proxy-switched', at: 19_900, detail: 'HAProxy writes to pg-documents-dc2-01 only' },
          { kind: 'first-write-after', at: 21_350, detail: 'writes acknowledged again through the WAF of DC2' },
          { kind: 'healed', at: 40_000, detail: 'fault healed' },
          { kind: 'sync-standby-back', at: 47_200, detail: 'pg-documents-dc2-01 + synchronous standby pg-documents-dc1-01' },
        ],
        rtoMs: 11_350,
        writeGapMs: 10_900,
        rpoExposureMs: 28_560,
        lost: 0,
        dimaShare: 11.35 / 2592,
        verdict: 'pass',
        reasons: [],
      },
      {
        spec: { kind: 'partition', site: 'DC2', holdSeconds: 20 },
        site: 'DC2',
        events: [
          { kind: 'injected', at: 70_000, detail: 'DC2 isolated from DC1 and DC3 (inter-site links dropped)' },
          { kind: 'detected', at: 70_610, detail: 'first unknown operation (sql-DC2: connection lost after sending)' },
          { kind: 'sync-standby-lost', at: 70_900, detail: 'the leader runs without a synchronous standby (RPO exposure)' },
          { kind: 'leader-lost', at: 81_200, detail: 'no Patroni leader (was pg-documents-dc2-01)' },
          { kind: 'promoted', at: 82_300, detail: 'pg-documents-dc1-01 leads (was pg-documents-dc2-01)' },
          { kind: 'proxy-switched', at: 83_400, detail: 'HAProxy writes to pg-documents-dc1-01 only' },
          { kind: 'first-write-after', at: 84_100, detail: 'writes acknowledged again through the WAF of DC1' },
          { kind: 'healed', at: 90_000, detail: 'fault healed' },
          { kind: 'sync-standby-back', at: 101_500, detail: 'pg-documents-dc1-01 + synchronous standby pg-documents-dc2-01' },
        ],
        rtoMs: 14_100,
        writeGapMs: 14_100,
        rpoExposureMs: 30_600,
        lost: 1,
        dimaShare: 14.1 / 2592,
        verdict: 'fail',
        reasons: ['1 acknowledged write(s) lost'],
      },
    ],
    checker: {
      acknowledged: sum('ok'),
      failed: sum('failed'),
      unknown: sum('unknown'),
      lost: ['sql-DC2-000342'],
      missingOnStandby: [],
      unknownPresent: 3,
      splitBrain: ['sql-DC2-000342 acknowledged by 10.20.2.11 on timeline 3 at +82.6 s, after timeline 4 took writes at +82.4 s'],
      verdict: 'fail',
    },
    series,
    excerpts: [
      {
        fault: 1,
        event: 'promoted',
        source: 'patroni-lab-dc2-pg-documents-01',
        lines: [
          '2026-11-30 07:30:18,602 INFO: Got response from pg-documents-dc1-01: timeout',
          '2026-11-30 07:30:18,640 INFO: promoted self to leader by acquiring session lock',
          '2026-11-30 07:30:18,702 INFO: Lock owner: pg-documents-dc2-01; I am pg-documents-dc2-01',
        ],
      },
      {
        fault: 1,
        event: 'proxy-switched',
        source: 'haproxy-lab-dc2',
        lines: ['[WARNING] (1) : Server pg_documents/pg-documents-dc1-01 is DOWN, reason: Layer7 timeout, check duration: 2001ms. 1 active server left.'],
      },
      {
        fault: 2,
        event: 'promoted',
        source: 'patroni-lab-dc1-pg-documents-01',
        lines: [
          '2026-11-30 07:31:22,288 INFO: no action. I am (pg-documents-dc1-01), a secondary, and following a leader ()',
          '2026-11-30 07:31:22,300 INFO: promoted self to leader by acquiring session lock',
        ],
      },
    ],
    evidence: fixtureEvidence(evidence),
    verdict: 'fail',
    rex: '',
  };
}

/** The fixture with hostile values where the run carries free text: markup, table pipes, backticks. */
export function hostileRun(): DrillRun {
  const run = fixtureRun();
  run.faults[1]!.events[1]!.detail = 'first unknown <script>alert("x")</script> | pipe';
  run.faults[1]!.reasons = ['lost <b>write</b> | sql-DC2-000342'];
  run.excerpts[0]!.lines.push('ERROR <script>alert(1)</script> | a|b ``` fence');
  run.evidence[0]!.what = 'ledger | <img src=x onerror=alert(1)>';
  run.rex = '# not a heading\n- <script>alert(2)</script> | x';
  return run;
}
