/**
 * One drill of each main kind against the real lab (root, namespaces): site loss, DC1↔DC2
 * partition, postmaster crash, Patroni crash. Each must keep every acknowledged write (0 lost,
 * no split brain), bring writes through a surviving site's WAF back within the RTO bound
 * (30 s, EXG_PCA_2 / ADR 0006) and end with a leader and a synchronous standby again on its
 * own. The API writes go through the object store too (the documents' contents are objects in
 * the stretched Ceph cluster, issue 13): the RTO covers Ceph's recovery, and every acknowledged
 * document is read back intact through the WAFs afterwards. The campaign of many drills is `hdsctl drill campaign runbooks/drills/global.yaml`
 * (docs/drills.md); this is its short version for CI.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labComponents } from '../lab/components/all.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { listNetns } from '../lab/netns.ts';
import { shippedLabPlan } from '../lab/testing.ts';
import { cleanupDrillData, RTO_TARGET_SECONDS, runDrill } from './run.ts';
import type { DrillRun, FaultSpec } from './types.ts';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('drills against the real lab (root)', () => {
  const stateDir = mkdtempSync('/tmp/hds-drill-int-');
  chmodSync(stateDir, 0o755);
  const plan = shippedLabPlan(join(stateDir, 'lab'));
  const components = labComponents(plan);
  const runsDir = join(stateDir, 'drills');
  const log = (l: string) => process.stderr.write(`[drill] ${l}\n`);

  beforeAll(async () => {
    const busy = (await listNetns()).filter((n) => plan.sites.some((s) => s.netns === n));
    if (busy.length > 0) throw new Error(`another lab is running (namespaces ${busy.join(', ')} exist): run its labDown first`);
    await labUp(plan, { components, log });
  }, 600_000);

  afterAll(async () => {
    // Never the other lab's: a beforeAll that refused to start leaves no state dir of ours running.
    if (!existsSync(join(stateDir, 'lab', 'run'))) return;
    await labDown(plan, { components, log }).catch(() => undefined);
  }, 300_000);

  /**
   * Every drill is held to the design's 30 s (RTO_TARGET_SECONDS). A leader-site loss once took
   * 36.8 s in CI: the standby's Patroni kept its etcd watch on the lost site's member until TCP
   * gave up. Patroni now lists only its own site's and the tie-breaker's members (etcdHosts,
   * `use_proxies`), so no watch can sit on the lost site (docs/drills.md).
   */
  async function drill(spec: FaultSpec): Promise<DrillRun> {
    const rtoBoundMs = RTO_TARGET_SECONDS * 1000;
    const { run, dir } = await runDrill({
      plan,
      title: spec.kind,
      kind: 'single',
      faults: [spec],
      rate: 4,
      operator: 'ci',
      runsDir,
      lang: 'fr',
      log,
      warmupSeconds: 3,
    });
    for (const f of ['pv.json', 'pv.md', 'pv.html', 'ledger.ndjson', 'observations.ndjson']) expect(existsSync(join(dir, f)), f).toBe(true);
    const f = run.faults[0]!;
    log(
      `${spec.kind}: RTO ${f.rtoMs === undefined ? 'never' : (f.rtoMs / 1000).toFixed(1)} s, gap ${f.writeGapMs === undefined ? 'never' : (f.writeGapMs / 1000).toFixed(1)} s, lost ${f.lost}, ${run.checker.acknowledged} acknowledged`,
    );
    expect(run.checker.lost, 'acknowledged writes lost').toEqual([]);
    expect(run.checker.splitBrain).toEqual([]);
    expect(run.checker.acknowledged).toBeGreaterThan(20);
    // Every acknowledged document read back through the WAFs: its content (an object in Ceph) intact (issue 13).
    expect(run.checker.contents?.bad, 'documents missing or altered').toEqual([]);
    expect(run.checker.contents?.checked ?? 0).toBeGreaterThan(10);
    expect(f.rtoMs, 'writes through a surviving WAF came back').toBeDefined();
    expect(f.rtoMs!).toBeLessThanOrEqual(rtoBoundMs);
    expect(f.events.some((e) => e.kind === 'healed')).toBe(true);
    expect(f.lost).toBe(0);
    expect(
      f.reasons.filter((r) => !r.startsWith('RTO ')),
      f.reasons.join('; '),
    ).toEqual([]);
    // The PV's evidence hashes are those of the files beside it.
    const pv = JSON.parse(readFileSync(join(dir, 'pv.json'), 'utf8')) as DrillRun;
    expect(pv.evidence.map((e) => e.path).sort()).toEqual(['excerpts.json', 'ledger.ndjson', 'observations.ndjson']);
    return run;
  }

  it('site loss of the leader’s DC: the other DC takes over, 0 writes lost, the site rejoins as synchronous standby', async () => {
    const r = await drill({ kind: 'site-loss', site: 'DC1', holdSeconds: 45 });
    expect(r.faults[0]!.events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['injected', 'promoted', 'first-write-after', 'healed', 'site-back', 'sync-standby-back']),
    );
  });

  it('DC1↔DC2 partition with DC3 seeing both: the leader goes on alone, 0 writes lost', async () => {
    await drill({ kind: 'partition', holdSeconds: 30 });
  });

  it('kill -9 of the leader postmaster', async () => {
    await drill({ kind: 'postmaster-crash', holdSeconds: 15 });
  });

  it('kill -9 of the leader’s Patroni: restarted by the supervisor, the orphan gets no writes', async () => {
    await drill({ kind: 'patroni-crash', holdSeconds: 15 });
  });

  it('cleanup drops the drill data', async () => {
    const r = await cleanupDrillData(plan);
    expect(r.documents).toBeGreaterThan(0);
    // Each drill document's content object goes with it.
    expect(r.objects).toBe(r.documents);
  });
});
