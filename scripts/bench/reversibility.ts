/**
 * `npm run bench:reversibility` (issue 15 "Figures"; EXG_REV_1, EXG_REV_9, EXG_REV_14): the
 * reversibility round trip on this machine, with its baseline measured in the same run.
 * Needs root: it brings up its own lab in a temp state directory (and the taker's lab, on
 * another network slot, through the export's own bootstrap.sh), and tears everything down at the
 * end, also on error, SIGINT and SIGTERM. Refuses to start when a lab runs.
 *
 * 1. lab up; BENCH_REV_USERS users (default 1,000,000) of the synthetic dataset into the lab;
 *    BENCH_REV_DOCUMENTS documents (default 200, 64 KiB each) through the WAF;
 * 2. baseline: `pg_dump -Fc` of the same database, to a file, timed;
 * 3. export (`hdsctl reversibility export` in a child process, --recipient a taker key pair made for
 *    the run): its data section time against pg_dump's (goal ≥ 0.8×: the export writes the CSV,
 *    the column descriptions, the DDL, a native dump and hashes everything); the peak memory of the
 *    export process and its children (pg_dump, openssl), sampled from /proc every 100 ms
 *    (goal < 1 GiB); the API's availability during the export;
 * 4. bootstrap.sh of the export (verify, clone the bundle, npm ci, rebuild the lab on its own slot,
 *    load, re-import the documents, verify, smoke, teardown), timed;
 * 5. round trip = export + bootstrap (goal ≤ 10 minutes for 1 M users).
 *
 * Prints a table on stderr and one JSON object on stdout; exit 0 when the round trip found no
 * difference, 1 otherwise, 2 when it refused to start.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadProfile } from '../../modules/dataset/profile.ts';
import { ALL_DOMAINS, generateDataset } from '../../modules/dataset/runner.ts';
import { labComponents } from '../../modules/lab/components/all.ts';
import { labWriteUrl } from '../../modules/lab/dataTarget.ts';
import { edgeSites } from '../../modules/lab/edgeEndpoints.ts';
import { labDown, labUp } from '../../modules/lab/lab.ts';
import { listNetns } from '../../modules/lab/netns.ts';
import { shippedLabPlan } from '../../modules/lab/testing.ts';
import { wafRequest } from '../../modules/lab/wafClient.ts';
import { REPO_ROOT } from '../../modules/loader/paths.ts';
import { takerKeyPair } from '../../modules/reversibility/dryRun.ts';

/** Goals of issue 15. */
export const ROUND_TRIP_GOAL_MS = 10 * 60_000;
export const EXPORT_RATE_GOAL = 0.8;
export const PEAK_MEMORY_GOAL = 1024 * 1024 * 1024;

const log = (l: string) => process.stderr.write(`${l}\n`);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${JSON.stringify(raw)}: a positive whole number (e.g. ${name}=${fallback})`);
  return n;
}

/** RSS of a process and all its descendants, in bytes, from /proc (0 when gone). */
export async function treeRss(pid: number): Promise<number> {
  const children = new Map<number, number[]>();
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const st = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(e));
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    total += kb * 1024;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

async function main(): Promise<number> {
  let users: number;
  let docs: number;
  try {
    users = positive('BENCH_REV_USERS', 1_000_000);
    docs = positive('BENCH_REV_DOCUMENTS', 200);
  } catch (e) {
    log(`bench:reversibility: ${(e as Error).message}`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    log('bench:reversibility: needs root (it brings up its own labs); run it with sudo');
    return 2;
  }
  const probe = shippedLabPlan('/nonexistent');
  const busy = (await listNetns()).filter((n) => probe.sites.some((s) => s.netns === n) || /^hds-s\d+-/.test(n));
  if (busy.length) {
    log(`bench:reversibility: a lab is running (namespaces ${busy.join(', ')}): tear it down first, the bench brings up its own`);
    return 2;
  }
  const base = await mkdtemp(join(process.env.BENCH_REV_DIR ?? tmpdir(), 'hds-bench-rev-'));
  await chmod(base, 0o755);
  // The taker's work directory: short, as bootstrap.sh demands (the rebuilt lab's Unix sockets
  // live under it; Linux limits their paths to 107 bytes), like the dry run's.
  const takeover = await mkdtemp(join(tmpdir(), 'hds-to-'));
  await chmod(takeover, 0o755);
  const plan = shippedLabPlan(join(base, 'state', 'lab'));
  const components = labComponents(plan);
  let up = false;
  let teardownP: Promise<void> | undefined;
  const teardown = () =>
    (teardownP ??= (async () => {
      if (up) await labDown(plan, { components, log: () => undefined, purge: true }).catch((e: Error) => log(`teardown: ${e.message.split('\n')[0]}`));
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
      await rm(takeover, { recursive: true, force: true }).catch(() => undefined);
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      log(`${sig}: tearing the bench's lab down…`);
      void teardown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  try {
    log(`1/5 lab up in ${base}…`);
    up = true;
    const t0 = Date.now();
    await labUp(plan, { components, log: () => undefined });
    log(`    ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const url = await labWriteUrl(plan);
    if (!url) throw new Error('the lab is not up after labUp');
    log(`    dataset: ${users.toLocaleString('en')} users…`);
    const ds = await generateDataset({
      users,
      seed: 'bench-reversibility',
      profile: loadProfile(undefined),
      target: { kind: 'pg', url },
      format: 'pg',
      shard: { index: 1, of: 1 },
      workers: Math.min(2, availableParallelism()),
      chunkSize: 20_000,
      check: false,
      append: false,
      domains: [...ALL_DOMAINS],
    });
    log(`    ${ds.totalRows.toLocaleString('en')} rows in ${ds.seconds.toFixed(0)} s`);
    const edge = edgeSites(plan)[0]!;
    for (let i = 0; i < docs; i++) {
      const r = await wafRequest(plan, `${edge.waf.url}/documents`, {
        method: 'POST',
        body: { title: `Bench ${i}`, patientId: `bench-${i}`, category: 'CR-CONSULT', contentBase64: Buffer.alloc(64 * 1024, i % 251).toString('base64') },
        timeoutMs: 30_000,
      });
      if (r.status !== 201) throw new Error(`POST /documents answered ${r.status}`);
    }

    log('2/5 baseline: pg_dump -Fc of the same database…');
    const dumpFile = join(base, 'baseline.pgcustom');
    const d0 = Date.now();
    await execa('/usr/lib/postgresql/15/bin/pg_dump', ['-Fc', '-f', dumpFile, url.replace(/([?&])uselibpqcompat=true&?/, '$1')]);
    const pgDumpMs = Date.now() - d0;
    log(`    ${(pgDumpMs / 1000).toFixed(1)} s, ${((await stat(dumpFile)).size / 1048576).toFixed(0)} MiB`);
    await rm(dumpFile, { force: true });

    log('3/5 export…');
    const taker = await takerKeyPair(join(base, 'taker'));
    const out = join(base, 'export');
    const e0 = Date.now();
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'hdsctl.js'), 'reversibility', 'export', '--out', out, '--recipient', taker.cert, '--json', '--allow-dirty'],
      {
        env: { ...process.env, HDS_STATE_DIR: join(base, 'state'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // The export's progress goes on to stderr; its `[export] <section>…` lines tell which section
    // each memory sample belongs to (the peak is then attributed, not only measured).
    let section = 'start';
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d);
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^\[export\] (\w+)…$/.exec(l.trim());
        if (m) section = m[1]!;
      }
    });
    let peak = 0;
    const peakBySection: Record<string, number> = {};
    const sampler = setInterval(() => {
      const at = section;
      if (child.pid)
        void treeRss(child.pid).then((b) => {
          peak = Math.max(peak, b);
          peakBySection[at] = Math.max(peakBySection[at] ?? 0, b);
        });
    }, 100);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    clearInterval(sampler);
    const exportMs = Date.now() - e0;
    if (code !== 0) throw new Error(`the export exited ${code}`);
    const exp = JSON.parse(stdout) as { durationsMs: Record<string, number>; bytes: number; availability: unknown };
    const dataMs = exp.durationsMs.data ?? exportMs;

    log('4/5 bootstrap.sh (verify, clone, npm ci, rebuild, load, re-import, verify, smoke, teardown)…');
    const b0 = Date.now();
    const boot = await execa(
      'bash',
      [join(out, 'bootstrap.sh'), '--work', takeover, '--recipient-key', taker.key, '--recipient-cert', taker.cert, '--no-install', '--json'],
      { reject: false, stderr: 'inherit' },
    );
    const bootstrapMs = Date.now() - b0;
    const roundTripMs = exportMs + bootstrapMs;
    // The import's report (bootstrap.sh --json): what differed, by name, and its phases' durations.
    let importReport: { differences?: string[]; phases?: Array<{ name: string; durationMs: number }> } = {};
    try {
      importReport = JSON.parse(boot.stdout) as typeof importReport;
    } catch {
      log(`bootstrap.sh printed no JSON report (exit ${boot.exitCode})`);
    }
    for (const d of importReport.differences ?? []) log(`    difference: ${d}`);
    const figures = {
      users,
      documents: docs,
      exportBytes: exp.bytes,
      pgDumpMs,
      exportMs,
      exportDataMs: dataMs,
      exportRateVsPgDump: pgDumpMs / dataMs,
      peakExportMemoryBytes: peak,
      peakExportMemoryBytesBySection: peakBySection,
      availability: exp.availability,
      bootstrapMs,
      bootstrapExit: boot.exitCode,
      bootstrapPhases: importReport.phases ?? [],
      differences: importReport.differences ?? null,
      roundTripMs,
      goals: { roundTripMs: ROUND_TRIP_GOAL_MS, exportRateVsPgDump: EXPORT_RATE_GOAL, peakMemoryBytes: PEAK_MEMORY_GOAL },
      met: {
        roundTrip: roundTripMs <= ROUND_TRIP_GOAL_MS,
        exportRate: pgDumpMs / dataMs >= EXPORT_RATE_GOAL,
        peakMemory: peak < PEAK_MEMORY_GOAL,
      },
    };
    log('5/5 figures');
    log(
      `  round trip        ${(roundTripMs / 1000).toFixed(0)} s (goal ≤ ${ROUND_TRIP_GOAL_MS / 1000} s): export ${(exportMs / 1000).toFixed(0)} s + bootstrap ${(bootstrapMs / 1000).toFixed(0)} s`,
    );
    log(
      `  export data       ${(dataMs / 1000).toFixed(1)} s vs pg_dump ${(pgDumpMs / 1000).toFixed(1)} s: ${(pgDumpMs / dataMs).toFixed(2)}× (goal ≥ ${EXPORT_RATE_GOAL}×)`,
    );
    log(
      `  peak memory       ${(peak / 1048576).toFixed(0)} MiB (export process and children; goal < 1024 MiB): ${Object.entries(peakBySection)
        .map(([s, b]) => `${s} ${(b / 1048576).toFixed(0)}`)
        .join(', ')} MiB`,
    );
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return boot.exitCode === 0 ? 0 : 1;
  } finally {
    await teardown();
  }
}

main().then(
  (c) => process.exit(c),
  (e: Error) => {
    log(`bench:reversibility: ${e.message}`);
    process.exit(1);
  },
);
