/**
 * Pure analysis of a drill: the timeline and figures of each fault from the ledger and the
 * observations, the per-second series for the chart, and the checker's verdict from what the
 * final leader and the standby hold. No I/O: the runner gathers, this module judges.
 */
import type { Observation } from './observe.ts';
import type { CheckerResult, FaultResult, FaultSpec, LedgerEntry, SeriesPoint, TimelineEvent } from './types.ts';

/** An acknowledged operation slower than this counts as an interruption (a commit that hung); normal API writes take 0.1-1.3 s on the lab under load. */
export const SLOW_MS = 2500;
/** How long after the heal the site a fault hit may take to write again (judged when the workload ran that long). */
export const HIT_SITE_GRACE_MS = 30_000;

export interface FaultWindow {
  spec: FaultSpec;
  site?: string;
  description: string;
  /** ms since the epoch. */
  injectedAt: number;
  healedAt: number;
  /** When the cluster was back to leader + synchronous standby after healing (undefined: never within the wait). */
  healthyAt?: number;
  /** When the heal began (the hold's end); a switchover's failback starts here. */
  healStartedAt?: number;
  /** Switchover: when the failback completed. */
  failbackAt?: number;
}

export interface Targets {
  rtoSeconds: number;
  dimaMonthSeconds: number;
}

/** The API writers whose writes must come back: every site but the one lost; for a partition, the leader's site. */
export function survivingSites(w: FaultWindow, apiSites: string[], leaderSiteDuring: string | undefined): string[] {
  if (w.spec.kind === 'site-loss' || w.spec.kind === 'dc3-loss' || w.spec.kind === 'waf-loss' || w.spec.kind === 'hsm-loss')
    return apiSites.filter((s) => s !== w.site);
  if (w.spec.kind === 'partition') return leaderSiteDuring ? [leaderSiteDuring] : apiSites;
  return apiSites;
}

const bad = (e: LedgerEntry) => e.outcome !== 'ok' || e.end - e.start > SLOW_MS;

/**
 * End of the interruption of `entries` (sorted by start) after `from`: the end of the first fast
 * acknowledged operation that starts after the last failed, unknown or slow one in [from, until].
 * 0 when nothing was interrupted.
 */
export function interruptionEnd(entries: LedgerEntry[], from: number, until: number): number | undefined {
  const inWindow = entries.filter((e) => e.end >= from && e.start <= until);
  const lastBad = inWindow.filter(bad).reduce<LedgerEntry | undefined>((a, e) => (!a || e.start > a.start ? e : a), undefined);
  if (!lastBad) return 0;
  const after = entries.find((e) => e.start >= lastBad.start && e !== lastBad && !bad(e));
  return after?.end;
}

function firstChange<T>(obs: Observation[], from: number, value: (o: Observation) => T, initial: T): Observation | undefined {
  return obs.find((o) => o.at >= from && value(o) !== initial);
}

/** The last observation at or before `at` that saw exactly one primary. */
export function leaderAt(obs: Observation[], at: number): Observation | undefined {
  let best: Observation | undefined;
  for (const o of obs) if (o.at <= at && o.leader) best = o;
  return best;
}

export function analyseFault(
  w: FaultWindow,
  ledger: LedgerEntry[],
  obs: Observation[],
  lost: number,
  siteOfLeader: (name: string) => string | undefined,
  t: Targets,
): FaultResult {
  const events: TimelineEvent[] = [{ kind: 'injected', at: w.injectedAt, detail: w.description }];
  const before = leaderAt(obs, w.injectedAt);
  const leaderBefore = before?.leader;
  const sorted = [...ledger].sort((a, b) => a.start - b.start);
  const firstBad = sorted.find((e) => e.end >= w.injectedAt && e.start <= w.healedAt && bad(e));
  if (firstBad)
    events.push({
      kind: 'detected',
      at: firstBad.end,
      detail: `first ${firstBad.outcome === 'ok' ? 'slow' : firstBad.outcome} operation (${firstBad.writer}${firstBad.error ? `: ${firstBad.error}` : ''})`,
    });
  const noLeader = obs.find((o) => o.at >= w.injectedAt && o.at <= w.healedAt + 60_000 && o.patroni && !o.leader);
  if (noLeader) events.push({ kind: 'leader-lost', at: noLeader.at, detail: `no reachable primary (was ${leaderBefore ?? '?'})` });
  // A promotion after the heal belongs to the recovery (or to the next fault), not to this one:
  // counting it made a partition's surviving site the wrong one (campaign of 2026-11-30).
  const promoted = leaderBefore ? obs.find((o) => o.at >= w.injectedAt && o.at <= w.healedAt && o.leader && o.leader !== leaderBefore) : undefined;
  if (promoted) events.push({ kind: 'promoted', at: promoted.at, detail: `${promoted.leader} leads (was ${leaderBefore})` });
  const newLeader = promoted?.leader ?? leaderBefore;
  // The HAProxy of a surviving site sends writes to the new leader only.
  const proxy = promoted ? obs.find((o) => o.at >= promoted.at && Object.values(o.writeUp).some((u) => u.length === 1 && u[0] === newLeader)) : undefined;
  if (proxy) events.push({ kind: 'proxy-switched', at: proxy.at, detail: `HAProxy writes to ${newLeader} only` });
  const syncLost = firstChange(obs, w.injectedAt, (o) => Boolean(o.syncStandby), true);
  const syncLostAt = syncLost && syncLost.at <= w.healedAt + 120_000 ? syncLost.at : undefined;
  if (syncLostAt !== undefined)
    events.push({ kind: 'sync-standby-lost', at: syncLostAt, detail: 'the leader runs without a synchronous standby (RPO exposure)' });
  events.push({ kind: 'healed', at: w.healedAt, detail: 'fault healed' });
  const syncBackObs = syncLostAt !== undefined ? obs.find((o) => o.at > syncLostAt && o.syncStandby && o.leader) : undefined;
  // The runner's own wait for leader + synchronous standby also dates it (the observer may have stopped first).
  const syncBackAt = syncLostAt === undefined ? undefined : (syncBackObs?.at ?? w.healthyAt);
  if (syncBackAt !== undefined)
    events.push({
      kind: 'sync-standby-back',
      at: syncBackAt,
      detail: syncBackObs ? `${syncBackObs.leader} + synchronous standby ${syncBackObs.syncStandby}` : 'leader + synchronous standby (Patroni)',
    });
  if (w.failbackAt !== undefined) events.push({ kind: 'failback', at: w.failbackAt, detail: 'failback to the first leader' });

  const apiSites = [...new Set(ledger.filter((e) => e.path === 'api').map((e) => e.site))].sort();
  const duringLeader = newLeader ? siteOfLeader(newLeader) : undefined;
  const surviving = survivingSites(w, apiSites, duringLeader);
  // A switchover's failback is a second interruption, measured on its own from the heal's start:
  // the switch's interruption ends before it.
  const failback = w.failbackAt !== undefined && w.healStartedAt !== undefined;
  const until = failback ? w.healStartedAt! - 1 : w.healedAt;
  const apiEnd = (from: number, to: number): number | undefined => {
    let end = 0;
    for (const site of surviving) {
      const e = interruptionEnd(
        sorted.filter((x) => x.path === 'api' && x.site === site),
        from,
        to,
      );
      if (e === undefined) return undefined;
      end = Math.max(end, e);
    }
    return end;
  };
  const rtoEnd = apiEnd(w.injectedAt, until);
  const rtoMs = rtoEnd === undefined ? undefined : rtoEnd === 0 ? 0 : rtoEnd - w.injectedAt;
  let failbackRtoMs: number | undefined;
  if (failback) {
    const fbEnd = apiEnd(w.healStartedAt!, w.healedAt);
    failbackRtoMs = fbEnd === undefined ? undefined : fbEnd === 0 ? 0 : fbEnd - w.healStartedAt!;
    if (failbackRtoMs !== undefined && failbackRtoMs > 0)
      events.push({
        kind: 'failback-write-after',
        at: w.healStartedAt! + failbackRtoMs,
        detail: `writes acknowledged again after the failback through the WAF of ${surviving.join(', ')}`,
      });
  }
  if (rtoMs !== undefined && rtoMs > 0)
    events.push({ kind: 'first-write-after', at: w.injectedAt + rtoMs, detail: `writes acknowledged again through the WAF of ${surviving.join(', ')}` });
  // The site the fault hit writes again by itself once healed (a returning site rejoins): its
  // first fast acknowledged API write after the heal. Judged only when the workload ran long
  // enough after the heal to tell.
  let hitSiteStuck = false;
  if (w.site && apiSites.includes(w.site) && !surviving.includes(w.site)) {
    const hit = sorted.filter((e) => e.path === 'api' && e.site === w.site && e.start >= w.healedAt);
    const back = hit.find((e) => !bad(e));
    if (back) events.push({ kind: 'site-back', at: back.end, detail: `writes acknowledged again through the WAF of ${w.site}` });
    else if (hit.length > 0 && hit[hit.length - 1]!.start - w.healedAt >= HIT_SITE_GRACE_MS) hitSiteStuck = true;
  }
  // Write gap: the longest interruption of any writer (API or SQL) of the surviving sites.
  let gapEnd: number | undefined = 0;
  for (const writer of new Set(sorted.filter((e) => surviving.includes(e.site)).map((e) => e.writer))) {
    const end = interruptionEnd(
      sorted.filter((e) => e.writer === writer),
      w.injectedAt,
      until,
    );
    gapEnd = end === undefined || gapEnd === undefined ? undefined : Math.max(gapEnd, end);
  }
  const writeGapMs = gapEnd === undefined ? undefined : gapEnd === 0 ? 0 : gapEnd - w.injectedAt;
  const rpoExposureMs = syncLostAt === undefined ? 0 : (syncBackAt ?? obs[obs.length - 1]?.at ?? syncLostAt) - syncLostAt;
  events.sort((a, b) => a.at - b.at);

  const reasons: string[] = [];
  const rtoBound = t.rtoSeconds * 1000;
  // A crash or a switchover has no surviving-site notion: the bound applies to every site.
  if (rtoMs === undefined) reasons.push(`writes through ${surviving.join(', ') || 'the WAF'} did not come back before healing`);
  else if (rtoMs > rtoBound) reasons.push(`RTO ${(rtoMs / 1000).toFixed(1)} s > ${t.rtoSeconds} s`);
  if (failback && failbackRtoMs === undefined) reasons.push('writes did not come back after the failback');
  else if (failbackRtoMs !== undefined && failbackRtoMs > rtoBound) reasons.push(`failback RTO ${(failbackRtoMs / 1000).toFixed(1)} s > ${t.rtoSeconds} s`);
  if (hitSiteStuck) reasons.push(`writes through ${w.site} did not come back within ${HIT_SITE_GRACE_MS / 1000} s of the heal`);
  if (lost > 0) reasons.push(`${lost} acknowledged write(s) lost`);
  if (w.healthyAt === undefined) reasons.push('not back to leader + synchronous standby after healing');
  return {
    spec: w.spec,
    ...(w.site ? { site: w.site } : {}),
    events,
    ...(rtoMs !== undefined ? { rtoMs } : {}),
    ...(writeGapMs !== undefined ? { writeGapMs } : {}),
    ...(failbackRtoMs !== undefined ? { failbackRtoMs } : {}),
    rpoExposureMs,
    lost,
    dimaShare: ((rtoMs ?? w.healedAt - w.injectedAt) + (failbackRtoMs ?? 0)) / (t.dimaMonthSeconds * 1000),
    verdict: reasons.length ? 'fail' : 'pass',
    reasons,
  };
}

/** Operations per second and path, with p50/max latency of the acknowledged ones. */
export function seriesOf(ledger: LedgerEntry[]): SeriesPoint[] {
  const buckets = new Map<string, { t: number; path: LedgerEntry['path']; ok: number; failed: number; unknown: number; lat: number[] }>();
  for (const e of ledger) {
    const t = Math.floor(e.end / 1000);
    const k = `${t}:${e.path}`;
    let b = buckets.get(k);
    if (!b) {
      b = { t, path: e.path, ok: 0, failed: 0, unknown: 0, lat: [] };
      buckets.set(k, b);
    }
    b[e.outcome]++;
    if (e.outcome === 'ok') b.lat.push(e.end - e.start);
  }
  return [...buckets.values()]
    .sort((a, b) => a.t - b.t || a.path.localeCompare(b.path))
    .map(({ lat, ...b }) => {
      const s = [...lat].sort((x, y) => x - y);
      return { ...b, ...(s.length ? { p50Ms: s[Math.floor((s.length - 1) / 2)]!, maxMs: s[s.length - 1]! } : {}) };
    });
}

/**
 * The checker: every acknowledged write is on the final leader and, once healed, on the
 * standby; unknowns are counted apart. Two leaders at once: a write acknowledged on an older
 * timeline although it started after a newer timeline had already acknowledged one (an old
 * primary still taking writes after a promotion).
 */
/**
 * What reading back an acknowledged document gave: the SHA-256 of the content returned, or why
 * none came back (e.g. `HTTP 500`, a timeout).
 */
export type ReadBack = { sha256: string } | { error: string };

/**
 * The checker. `readBack` (optional): for acknowledged API writes that recorded their content's
 * hash, what reading them back after the drill returned; each missing or different one is `bad`.
 */
export function check(ledger: LedgerEntry[], onLeader: Set<string>, onStandby: Set<string>, readBack?: Map<string, ReadBack>): CheckerResult {
  const acked = ledger.filter((e) => e.outcome === 'ok');
  const lost = acked.filter((e) => !onLeader.has(e.id)).map((e) => e.id);
  const missingOnStandby = acked.filter((e) => onLeader.has(e.id) && !onStandby.has(e.id)).map((e) => e.id);
  const unknown = ledger.filter((e) => e.outcome === 'unknown');
  const splitBrain: string[] = [];
  const firstAckOf = new Map<number, number>();
  for (const e of acked) if (e.timeline !== undefined) firstAckOf.set(e.timeline, Math.min(firstAckOf.get(e.timeline) ?? Number.POSITIVE_INFINITY, e.end));
  for (const e of acked) {
    if (e.timeline === undefined) continue;
    for (const [tl, at] of firstAckOf)
      if (tl > e.timeline && e.start > at) {
        splitBrain.push(
          `${e.id} acknowledged by ${e.server} on timeline ${e.timeline} at +${(e.end / 1000).toFixed(1)} s, after timeline ${tl} took writes at +${(at / 1000).toFixed(1)} s`,
        );
        break;
      }
  }
  let contents: CheckerResult['contents'];
  if (readBack) {
    const bad: string[] = [];
    let checked = 0;
    for (const e of acked) {
      if (e.path !== 'api' || e.contentSha256 === undefined || !onLeader.has(e.id)) continue;
      checked++;
      const r = readBack.get(e.id);
      if (!r) bad.push(`${e.id}: not read back`);
      else if ('error' in r) bad.push(`${e.id}: ${r.error}`);
      else if (r.sha256 !== e.contentSha256)
        bad.push(`${e.id}: content differs from what was written (sha256 ${r.sha256.slice(0, 12)}… ≠ ${e.contentSha256.slice(0, 12)}…)`);
    }
    contents = { checked, bad };
  }
  return {
    acknowledged: acked.length,
    failed: ledger.filter((e) => e.outcome === 'failed').length,
    unknown: unknown.length,
    lost,
    missingOnStandby,
    unknownPresent: unknown.filter((e) => onLeader.has(e.id)).length,
    splitBrain,
    ...(contents ? { contents } : {}),
    verdict: lost.length === 0 && missingOnStandby.length === 0 && splitBrain.length === 0 && (contents?.bad.length ?? 0) === 0 ? 'pass' : 'fail',
  };
}
