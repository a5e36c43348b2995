/**
 * Restore-test planning (EXG_PRA_3): pgBackRest 2.45 `info --output=json` parsing, the restore
 * window, the choice of a backup set and a target time (given, seeded, latest), the ledger's
 * expectations at the target, table fingerprints, and the verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseRestorePoint,
  compareTableFingerprints,
  ledgerExpectation,
  markForTarget,
  parseAtFlag,
  parseBackupInfo,
  RestorePlanError,
  recoverableFrom,
  restoreChoice,
  restoreTestVerdict,
  restoreWindow,
  seededDraws,
  verdictFindings,
  waitBeforeMarkMs,
} from './plan.ts';
import type { BackupSet, RestoreCheck, RestoreTestRun } from './types.ts';

const epoch = (isoText: string) => Date.parse(isoText) / 1000;

/** One backup entry as pgBackRest 2.45 writes it (src/command/info/info.c, test/src/module/command/infoTest.c). */
function backup(label: string, type: string, start: string, stop: string, o: { prior?: string; repo?: number; wal?: [string, string] | null } = {}) {
  return {
    archive: o.wal === null ? { start: null, stop: null } : { start: o.wal?.[0] ?? '000000010000000000000002', stop: o.wal?.[1] ?? '000000010000000000000002' },
    backrest: { format: 5, version: '2.45' },
    database: { id: 1, 'repo-key': o.repo ?? 1 },
    info: { delta: 1000, repository: { delta: 300, size: 3_159_776 }, size: 26_897_030 },
    label,
    lsn: { start: '0/2000028', stop: '0/2000100' },
    prior: o.prior ?? null,
    reference: o.prior ? [o.prior] : null,
    timestamp: { start: epoch(start), stop: epoch(stop) },
    type,
  };
}

/** `pgbackrest info --output=json` with two stanzas; the documents stanza lists its sets out of order. */
function infoJson() {
  const full = backup('20261129-010000F', 'full', '2026-11-29T01:00:00Z', '2026-11-29T01:00:30Z');
  const diff = backup('20261129-010000F_20261130-010000D', 'diff', '2026-11-30T01:00:00Z', '2026-11-30T01:00:20Z', { prior: '20261129-010000F' });
  const incr = backup('20261129-010000F_20261130-050000I', 'incr', '2026-11-30T05:00:00Z', '2026-11-30T05:00:10Z', {
    prior: '20261129-010000F_20261130-010000D',
    repo: 2,
    wal: null,
  });
  const stanza = (name: string, backups: unknown[]) => ({
    archive: [{ database: { id: 1, 'repo-key': 1 }, id: '15-1', max: '000000010000000000000009', min: '000000010000000000000001' }],
    backup: backups,
    cipher: 'aes-256-cbc',
    db: [{ id: 1, 'repo-key': 1, 'system-id': 7_300_000_000_000_000_000, version: '15' }],
    name,
    repo: [{ cipher: 'aes-256-cbc', key: 1, status: { code: 0, message: 'ok' } }],
    status: { code: 0, lock: { backup: { held: false } }, message: 'ok' },
  });
  return [stanza('accounts', [full]), stanza('documents', [incr, full, diff])];
}

const SETS = () => parseBackupInfo(infoJson(), 'documents');
const NOW = new Date('2026-11-30T09:00:00Z');

function errorOf(f: () => unknown): RestorePlanError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RestorePlanError);
    return e as RestorePlanError;
  }
  throw new Error('expected an error');
}

describe('parseBackupInfo (pgBackRest 2.45 info --output=json)', () => {
  it('reads every set of the stanza, oldest first, with its times, sizes, repository and WAL', () => {
    const sets = SETS();
    expect(sets.map((s) => s.label)).toEqual(['20261129-010000F', '20261129-010000F_20261130-010000D', '20261129-010000F_20261130-050000I']);
    expect(sets[0]).toEqual({
      label: '20261129-010000F',
      type: 'full',
      startedAt: '2026-11-29T01:00:00.000Z',
      stoppedAt: '2026-11-29T01:00:30.000Z',
      sizeBytes: 26_897_030,
      repoSizeBytes: 3_159_776,
      repo: 1,
      walStart: '000000010000000000000002',
      walStop: '000000010000000000000002',
    });
    expect(sets[1]!.prior).toBe('20261129-010000F');
    expect(sets[2]).toMatchObject({ type: 'incr', repo: 2 });
    expect(sets[2]!.walStart).toBeUndefined();
    expect(parseBackupInfo(infoJson(), 'accounts')).toHaveLength(1);
  });

  it('gives no set for a stanza with no valid backup (status 2), and keeps a set with page errors flagged', () => {
    const json = infoJson();
    json[0]!.backup = [];
    json[0]!.status = { code: 2, lock: { backup: { held: false } }, message: 'no valid backups' };
    expect(parseBackupInfo(json, 'accounts')).toEqual([]);
    const withError = infoJson();
    (withError[1]!.backup[0] as Record<string, unknown>).error = true;
    expect(parseBackupInfo(withError, 'documents').find((s) => s.type === 'incr')!.pageErrors).toBe(true);
  });

  it('takes a block-incremental size map without a repository size', () => {
    const json = infoJson();
    const info = (json[0]!.backup[0] as { info: { repository: Record<string, unknown> } }).info;
    delete info.repository.size;
    info.repository['size-map'] = 1234;
    expect(parseBackupInfo(json, 'accounts')[0]!.repoSizeBytes).toBeUndefined();
  });

  it('names the JSON pointer of a missing or wrong field, what it expected and how to fix it', () => {
    const missingStop = infoJson();
    delete (missingStop[1]!.backup[1] as { timestamp: Record<string, unknown> }).timestamp.stop;
    const e = errorOf(() => parseBackupInfo(missingStop, 'documents'));
    expect(e.where).toBe('/1/backup/1/timestamp/stop');
    expect(e.message).toMatch(
      /^pgbackrest info --output=json \/1\/backup\/1\/timestamp\/stop: missing, expected epoch seconds .*; pass the output of `pgbackrest --stanza=<domain> info --output=json`/,
    );
    expect(e.message).not.toContain('\n');

    const badType = infoJson();
    (badType[1]!.backup[2] as Record<string, unknown>).type = 'snapshot';
    expect(errorOf(() => parseBackupInfo(badType, 'documents')).message).toContain(
      '/1/backup/2/type: "snapshot" is not valid, expected one of full, diff, incr',
    );

    const repo3 = infoJson();
    (repo3[1]!.backup[0] as { database: Record<string, unknown> }).database['repo-key'] = 3;
    expect(errorOf(() => parseBackupInfo(repo3, 'documents')).where).toBe('/1/backup/0/database/repo-key');

    const noSize = infoJson();
    delete (noSize[0]!.backup[0] as { info: Record<string, unknown> }).info.size;
    expect(errorOf(() => parseBackupInfo(noSize, 'accounts')).where).toBe('/0/backup/0/info/size');

    const backwards = infoJson();
    (backwards[0]!.backup[0] as { timestamp: { stop: number } }).timestamp.stop = 1;
    expect(errorOf(() => parseBackupInfo(backwards, 'accounts')).message).toContain('is before timestamp.start');

    expect(errorOf(() => parseBackupInfo({ name: 'documents' }, 'documents')).message).toContain('/: expected an array of stanzas, got an object');
    const missing = errorOf(() => parseBackupInfo(infoJson(), 'billing'));
    expect(missing.message).toContain('no stanza "billing" (found: "accounts", "documents")');

    const broken = infoJson();
    broken[1]!.status = { code: 3, lock: { backup: { held: false } }, message: 'missing stanza data' };
    expect(errorOf(() => parseBackupInfo(broken, 'documents')).message).toContain('/1/status: stanza "documents" is not usable: code 3 (missing stanza data)');

    const located = infoJson();
    delete (located[1]!.backup[0] as Record<string, unknown>).label;
    expect(errorOf(() => parseBackupInfo(located, 'documents', 'evidence/info.json')).message).toMatch(/^evidence\/info\.json \/1\/backup\/0\/label: missing/);
  });
});

describe('restoreWindow', () => {
  it('runs from the oldest set’s stop + 1 s to now − the archive lag', () => {
    expect(restoreWindow(SETS(), NOW, 90_000)).toEqual({ from: '2026-11-29T01:00:31.000Z', to: '2026-11-30T08:58:30.000Z' });
    expect(recoverableFrom(SETS()[0]!)).toBe(Date.parse('2026-11-29T01:00:31Z'));
  });

  it('refuses no set, a bad lag, and an archive that does not reach the oldest set yet', () => {
    expect(errorOf(() => restoreWindow([], NOW, 0)).message).toContain('no backup set');
    expect(errorOf(() => restoreWindow(SETS(), NOW, -1)).message).toContain('archive lag -1 ms is not valid');
    expect(errorOf(() => restoreWindow(SETS(), NOW, Number.NaN)).message).toContain('not valid');
    expect(errorOf(() => restoreWindow(SETS(), new Date('2026-11-29T01:00:30Z'), 0)).message).toContain('the restore window is empty');
  });
});

describe('waitBeforeMarkMs: a mark every set can reach', () => {
  const set = (stop: string): BackupSet => ({ label: stop, type: 'full', startedAt: stop, stoppedAt: stop, sizeBytes: 1, repo: 1 });
  it('waits until the newest set’s stop + 1 s (+ margin) has passed, then a mark taken lies inside the window for every set', () => {
    const sets = [set('2026-12-01T08:10:00Z'), set('2026-12-01T08:10:27Z')];
    // The CI failure: a run 0.875 s after the newest set ended found the window empty.
    const now = Date.parse('2026-12-01T08:10:27.875Z');
    const wait = waitBeforeMarkMs(sets, now);
    expect(wait).toBe(225);
    // Marked at once: with the newest set alone the window is empty; with both, the newest set holds no mark.
    expect(errorOf(() => restoreWindow([sets[1]!], new Date(now), 0)).message).toContain('the restore window is empty');
    const early = restoreWindow(sets, new Date(now + 1500), 0);
    expect(errorOf(() => markForTarget([{ name: 'm', at: new Date(now).toISOString() }], sets[1]!, new Date(now), early)).message).toContain('no restore mark');
    const markAt = now + wait;
    expect(restoreWindow([sets[1]!], new Date(markAt), 0).from <= new Date(markAt).toISOString()).toBe(true);
    const window = restoreWindow(sets, new Date(markAt + 500), 0);
    for (const s of sets) expect(markForTarget([{ name: 'm', at: new Date(markAt).toISOString() }], s, new Date(markAt), window).name).toBe('m');
  });

  it('waits for nothing when the newest set ended long enough ago, or there is no set', () => {
    expect(waitBeforeMarkMs([set('2026-12-01T08:10:00Z')], Date.parse('2026-12-01T08:10:01.100Z'))).toBe(0);
    expect(waitBeforeMarkMs([set('2026-12-01T08:10:00Z')], Date.parse('2026-12-01T09:00:00Z'))).toBe(0);
    expect(waitBeforeMarkMs([], Date.parse('2026-12-01T09:00:00Z'))).toBe(0);
  });
});

describe('chooseRestorePoint', () => {
  const window = () => restoreWindow(SETS(), NOW, 90_000);

  it('--at: the most recent set whose stop + 1 s is at or before the time', () => {
    const at = (t: string) => chooseRestorePoint(SETS(), window(), { mode: 'at', at: new Date(t) });
    expect(at('2026-11-30T03:00:00Z').set.type).toBe('diff');
    expect(at('2026-11-30T03:00:00Z').target.toISOString()).toBe('2026-11-30T03:00:00.000Z');
    // At the incremental's stop second itself, the copy may not be consistent yet: the diff serves.
    expect(at('2026-11-30T05:00:10Z').set.type).toBe('diff');
    expect(at('2026-11-30T05:00:11Z').set.type).toBe('incr');
    expect(at('2026-11-29T01:00:31Z').set.type).toBe('full');
    expect(at('2026-11-30T08:58:30Z').set.type).toBe('incr');
  });

  it('--at outside the window: one line located on the flag, with the window', () => {
    for (const t of ['2026-11-29T01:00:30Z', '2026-11-30T08:58:30.001Z', '2025-01-01T00:00:00Z']) {
      const e = errorOf(() => chooseRestorePoint(SETS(), window(), { mode: 'at', at: new Date(t), given: t }));
      expect(e.where).toBe('--at');
      expect(e.message).toBe(
        `--at ${t}: outside the restore window 2026-11-29T01:00:31.000Z → 2026-11-30T08:58:30.000Z (the oldest backup set's end + 1 s to the last archived WAL); give a time within it`,
      );
    }
  });

  it('parseAtFlag wants a date, a time and a zone', () => {
    expect(parseAtFlag('2026-11-30T03:00:00+01:00').toISOString()).toBe('2026-11-30T02:00:00.000Z');
    expect(parseAtFlag('2026-11-30T02:00Z').toISOString()).toBe('2026-11-30T02:00:00.000Z');
    for (const bad of ['2026-11-30', '2026-11-30T02:00:00', 'yesterday', '2026-13-40T02:00:00Z']) {
      const e = errorOf(() => parseAtFlag(bad));
      expect(e.where).toBe('--at');
      expect(e.message).toContain(`--at ${JSON.stringify(bad)}: not a date and time with its zone`);
    }
  });

  it('--random: the draw an auditor replays with sha256sum', () => {
    // printf 'hds-restore-test:v1:audit-2026-11:0' | sha256sum → f9d2d9b361ee1f4f…: mod 3 = 1 (the diff);
    // draw 1 → 924c4661effda20d… = 10541878214219637261, mod 14 390 000 ms (diff + 1 s → incr + 1 s) = 10 517 261.
    const p = chooseRestorePoint(SETS(), window(), { mode: 'random', seed: 'audit-2026-11' });
    expect(p.set.label).toBe('20261129-010000F_20261130-010000D');
    expect(p.target.toISOString()).toBe('2026-11-30T03:55:38.261Z');
    expect(p.candidates).toBe(3);
    const c = restoreChoice({ mode: 'random', seed: 'audit-2026-11' }, window(), p);
    expect(c).toMatchObject({ mode: 'random', seed: 'audit-2026-11', targetTime: '2026-11-30T03:55:38.261Z', window: window(), candidates: 3 });
    expect(c.requestedAt).toBeUndefined();
  });

  it('--random ignores the order of the sets and spreads over every set', () => {
    const reversed = [...SETS()].reverse();
    for (const seed of ['a', 'b', 'c', 'd']) {
      expect(chooseRestorePoint(reversed, window(), { mode: 'random', seed })).toEqual(chooseRestorePoint(SETS(), window(), { mode: 'random', seed }));
    }
    const picked = new Set(Array.from({ length: 60 }, (_, i) => chooseRestorePoint(SETS(), window(), { mode: 'random', seed: `s${i}` }).set.type));
    expect([...picked].sort()).toEqual(['diff', 'full', 'incr']);
  });

  it('latest: the latest set and the window’s end', () => {
    const p = chooseRestorePoint(SETS(), window(), { mode: 'latest' });
    expect(p.set.type).toBe('incr');
    expect(p.target.toISOString()).toBe(window().to);
    expect(restoreChoice({ mode: 'at', at: p.target }, window(), p).requestedAt).toBe(window().to);
  });

  it('skips a set the archive does not reach yet, and refuses a window no set can serve', () => {
    const w = { from: '2026-11-29T01:00:31.000Z', to: '2026-11-30T05:00:05.000Z' };
    expect(chooseRestorePoint(SETS(), w, { mode: 'latest' }).set.type).toBe('diff');
    expect(errorOf(() => chooseRestorePoint(SETS(), { from: '2026-11-29T00:00:00Z', to: '2026-11-29T00:30:00Z' }, { mode: 'latest' })).message).toContain(
      'no backup set is usable',
    );
    expect(errorOf(() => chooseRestorePoint(SETS(), { from: 'x', to: 'y' }, { mode: 'latest' })).message).toContain('is not valid');
  });

  it('seededDraws is uniform enough and never out of range', () => {
    const d = seededDraws('uniform');
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[d.below(5)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(900);
    expect(() => d.below(0)).toThrow(RestorePlanError);
  });

  /** Sets from a list of gaps (s) between stop times, each lasting 1 to 600 s. */
  const setsArb = fc
    .array(fc.tuple(fc.integer({ min: 2, max: 7 * 86_400 }), fc.integer({ min: 1, max: 600 }), fc.constantFrom('full', 'diff', 'incr')), {
      minLength: 1,
      maxLength: 8,
    })
    .map((gaps) => {
      let stop = epoch('2026-11-01T00:00:00Z');
      return gaps.map(([gap, length, type], i): BackupSet => {
        stop += gap;
        return {
          label: `set-${String(i).padStart(2, '0')}`,
          type: type as BackupSet['type'],
          startedAt: new Date((stop - length) * 1000).toISOString(),
          stoppedAt: new Date(stop * 1000).toISOString(),
          sizeBytes: 1,
          repo: 1,
        };
      });
    });

  it('property: the target is always inside the window, after its set’s stop + 1 s, and the same seed gives the same choice', () => {
    fc.assert(
      fc.property(setsArb, fc.integer({ min: 0, max: 3 * 86_400_000 }), fc.integer({ min: 0, max: 600_000 }), fc.string(), (sets, after, lag, seed) => {
        const last = Math.max(...sets.map(recoverableFrom));
        const now = new Date(last + lag + after);
        const w = restoreWindow(sets, now, lag);
        const p = chooseRestorePoint(sets, w, { mode: 'random', seed });
        const t = p.target.getTime();
        expect(t).toBeGreaterThanOrEqual(Date.parse(w.from));
        expect(t).toBeLessThanOrEqual(Date.parse(w.to));
        expect(Number.isInteger(t)).toBe(true);
        expect(recoverableFrom(p.set)).toBeLessThanOrEqual(t);
        expect(chooseRestorePoint([...sets].reverse(), w, { mode: 'random', seed })).toEqual(p);
        // Replaying the target with --at picks the same set.
        expect(chooseRestorePoint(sets, w, { mode: 'at', at: p.target }).set).toEqual(p.set);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ledgerExpectation', () => {
  const T = new Date('2026-11-30T03:00:00.000Z');
  const at = (s: number) => new Date(T.getTime() + s * 1000).toISOString();

  it('present: acknowledged before target − margin; absent: sent after target + margin; the rest ambiguous', () => {
    const r = ledgerExpectation(
      [
        { id: 'w1', sentAt: at(-10), ackedAt: at(-9) },
        { id: 'w2', sentAt: at(-3), ackedAt: at(-2) },
        { id: 'w3', sentAt: at(-1), ackedAt: at(1) },
        { id: 'w4', sentAt: at(1), ackedAt: at(1.5) },
        { id: 'w5', sentAt: at(3), ackedAt: at(4) },
        { id: 'w6', sentAt: at(-20), ackedAt: null },
        { id: 'w7', sentAt: at(20) },
        { id: 'w8', sentAt: new Date(T.getTime() - 2000), ackedAt: new Date(T.getTime() - 2000) },
      ],
      T,
      2000,
    );
    expect(r).toEqual({ present: ['w1', 'w2', 'w8'], absent: ['w5', 'w7'], ambiguous: ['w3', 'w4', 'w6'] });
    // Without a margin, a write acknowledged exactly at the target counts as present, one sent just after as absent.
    expect(
      ledgerExpectation(
        [
          { id: 'a', sentAt: at(-1), ackedAt: at(0) },
          { id: 'b', sentAt: at(0.001) },
        ],
        T,
        0,
      ),
    ).toEqual({
      present: ['a'],
      absent: ['b'],
      ambiguous: [],
    });
  });

  it('refuses duplicate ids, bad dates, an acknowledgement before the send and a negative margin, naming the entry', () => {
    expect(
      errorOf(() =>
        ledgerExpectation(
          [
            { id: 'a', sentAt: at(0) },
            { id: 'a', sentAt: at(1) },
          ],
          T,
          0,
        ),
      ).where,
    ).toBe('/1/id');
    expect(errorOf(() => ledgerExpectation([{ id: 'a', sentAt: 'soon' }], T, 0)).message).toContain('ledger /0/sentAt: "soon" is not a date');
    expect(errorOf(() => ledgerExpectation([{ id: 'a', sentAt: at(1), ackedAt: at(0) }], T, 0)).where).toBe('/0/ackedAt');
    expect(errorOf(() => ledgerExpectation([], T, -5)).message).toContain('margin -5 ms');
  });

  it('property: the three lists partition the ledger', () => {
    const entry = fc.tuple(fc.integer({ min: -60_000, max: 60_000 }), fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), fc.integer({ min: 0, max: 5000 }), (raw, margin) => {
        const entries = raw.map(([sent, took], i) => ({
          id: `w${i}`,
          sentAt: new Date(T.getTime() + sent),
          ackedAt: took === undefined ? undefined : new Date(T.getTime() + sent + took),
        }));
        const r = ledgerExpectation(entries, T, margin);
        const all = [...r.present, ...r.absent, ...r.ambiguous];
        expect(all.sort()).toEqual(entries.map((e) => e.id).sort());
        expect(new Set(all).size).toBe(entries.length);
        for (const id of r.present) expect(entries.find((e) => e.id === id)!.ackedAt!.getTime()).toBeLessThanOrEqual(T.getTime() - margin);
        for (const id of r.absent) expect(entries.find((e) => e.id === id)!.sentAt.getTime()).toBeGreaterThan(T.getTime() + margin);
      }),
    );
  });
});

describe('compareTableFingerprints', () => {
  it('reports tables missing, unexpected, with other row counts or other content, by name', () => {
    const source = {
      'documents.document': { rows: 10, hash: 'aa' },
      'accounts.user': { rows: 5, hash: 'bb' },
      'accounts.consent': { rows: 3, hash: 'cc' },
      'documents.access_log': { rows: 7, hash: 'dd' },
      'documents.same': { rows: 1, hash: 'ee' },
    };
    const restored = {
      'documents.document': { rows: 9, hash: 'a0' },
      'accounts.user': { rows: 5, hash: 'b0' },
      'documents.access_log': { rows: 7, hash: 'dd' },
      'documents.same': { rows: 1, hash: 'ee' },
      'public.extra': { rows: 0, hash: '00' },
    };
    expect(compareTableFingerprints(source, restored)).toEqual([
      { table: 'accounts.consent', kind: 'missing', source: { rows: 3, hash: 'cc' } },
      { table: 'accounts.user', kind: 'content', source: { rows: 5, hash: 'bb' }, restored: { rows: 5, hash: 'b0' } },
      { table: 'documents.document', kind: 'rows', source: { rows: 10, hash: 'aa' }, restored: { rows: 9, hash: 'a0' } },
      { table: 'public.extra', kind: 'unexpected', restored: { rows: 0, hash: '00' } },
    ]);
    expect(compareTableFingerprints(source, { ...source })).toEqual([]);
    // An inherited property is not a table.
    expect(compareTableFingerprints({}, Object.create({ inherited: { rows: 1, hash: 'x' } }))).toEqual([]);
  });
});

describe('verdict', () => {
  const passing = (): Pick<RestoreTestRun, 'checks' | 'destroyed' | 'isolation' | 'verdict'> => ({
    checks: (['physical.checksums', 'physical.amcheck', 'logical.ledger-before', 'logical.ledger-after', 'logical.table-hashes'] as const).map(
      (id): RestoreCheck => ({ id, verdict: 'pass', detail: 'ok' }),
    ),
    destroyed: { at: '2026-11-30T02:40:00Z', what: ['data directory'] },
    isolation: { netns: 'hds-restore', route: 'none', tls: true, encryptedAtRest: 'LUKS2', access: 'operator only' },
    verdict: 'pass',
  });

  it('passes when every required check passed, the copy was destroyed and the site was isolated', () => {
    expect(verdictFindings(passing())).toEqual([]);
    expect(restoreTestVerdict(passing())).toBe('pass');
    const withSkip = passing();
    withSkip.checks.push({ id: 'service.document-read', verdict: 'skipped', detail: 'no document in this domain' });
    expect(restoreTestVerdict(withSkip)).toBe('pass');
  });

  it('fails on a failed check, a missing or skipped required check, no destruction, no isolation, or a recorded failure', () => {
    const failed = passing();
    failed.checks[1] = { id: 'physical.amcheck', verdict: 'fail', detail: 'corruption in documents.document' };
    expect(verdictFindings(failed)).toEqual([{ code: 'check-failed', check: 'physical.amcheck' }]);
    const missing = passing();
    missing.checks = missing.checks.filter((c) => c.id !== 'logical.table-hashes');
    missing.checks.push({ id: 'logical.ledger-after', verdict: 'skipped', detail: '' });
    missing.checks = missing.checks.filter((c) => !(c.id === 'logical.ledger-after' && c.verdict === 'pass'));
    expect(verdictFindings(missing)).toEqual([
      { code: 'check-skipped', check: 'logical.ledger-after' },
      { code: 'check-missing', check: 'logical.table-hashes' },
    ]);
    const { destroyed: _, ...kept } = passing();
    expect(verdictFindings(kept)).toEqual([{ code: 'not-destroyed' }]);
    expect(verdictFindings({ ...passing(), destroyed: { at: '2026-11-30T02:40:00Z', what: [] } })).toEqual([{ code: 'not-destroyed' }]);
    expect(verdictFindings({ ...passing(), isolation: { ...passing().isolation, tls: false } })).toEqual([{ code: 'not-isolated' }]);
    expect(verdictFindings({ ...passing(), verdict: 'fail' })).toEqual([{ code: 'recorded-fail' }]);
    const odd = passing();
    odd.checks.push({ id: 'custom', verdict: 'maybe' as never, detail: '' });
    expect(restoreTestVerdict(odd)).toBe('fail');
  });
});

describe('markForTarget', () => {
  const set = (label: string, stop: string): BackupSet => ({ label, type: 'full', startedAt: stop, stoppedAt: stop, sizeBytes: 1, repo: 1 });
  const w = { from: '2026-11-30T01:00:01.000Z', to: '2026-11-30T12:00:00.000Z' };
  const s1 = set('A', '2026-11-30T01:00:00Z');
  const marks = [
    { name: 'm0', at: '2026-11-30T00:30:00.000Z' },
    { name: 'm1', at: '2026-11-30T02:00:00.000Z' },
    { name: 'm2', at: '2026-11-30T05:00:00.000Z' },
    { name: 'm3', at: '2026-11-30T13:00:00.000Z' },
  ];
  it('takes the latest mark at or before the time the set reaches', () => {
    expect(markForTarget(marks, s1, new Date('2026-11-30T04:59:59Z'), w).name).toBe('m1');
    expect(markForTarget(marks, s1, new Date('2026-11-30T05:00:00Z'), w).name).toBe('m2');
  });
  it('takes the first later mark inside the window when none comes before', () => {
    expect(markForTarget(marks, s1, new Date('2026-11-30T01:30:00Z'), w).name).toBe('m1');
    const late = set('B', '2026-11-30T03:00:00Z');
    expect(markForTarget(marks, late, new Date('2026-11-30T03:30:00Z'), w).name).toBe('m2');
  });
  it('ignores marks before the set or outside the window, and says what to do when none is left', () => {
    const late = set('C', '2026-11-30T06:00:00Z');
    expect(() => markForTarget(marks, late, new Date('2026-11-30T07:00:00Z'), w)).toThrow(
      /no restore mark between 2026-11-30T06:00:01.000Z and .* \(set C\).*hdsctl restore-test/,
    );
  });
});
