/**
 * `hdsctl reversibility dry-run` — the tir à blanc (blank run) of a reversibility (EXG_REV_9,
 * EXG_REV_11: a blank switchover every year): export the environment, run the export's own
 * bootstrap.sh as a taker would (verify, rebuild the toolkit from the bundle, rebuild the lab in its
 * own namespaces, load, re-import the documents under new keys, verify, smoke), tear the copy
 * down, and write the report (JSON + Markdown + HTML, French by default).
 *
 * The taker's key pair is generated for the run (0600, deleted with the run's working files); the
 * export holds the data in clear CSV: it is deleted at the end unless --keep-export (its files'
 * hashes stay in the report).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { execa } from 'execa';
import type { LabPlan } from '../lab/types.ts';
import { redactMachinePaths } from '../reports/pv/redact.ts';
import { type ExportOptions, type ExportResult, exportEnvironment } from './export.ts';
import type { ImportResult } from './import.ts';
import { EXPORT_SECTIONS, type ReversibilityDryRun } from './pv/types.ts';

const run = promisify(execFile);

export interface DryRunOptions {
  plan: LabPlan;
  environmentsDir: string;
  waiversPath?: string;
  repoDir: string;
  hdsctl: ExportOptions['hdsctl'];
  operator: string;
  keepExport?: boolean;
  /** Platform files of every environment (default) or of the exported one only. */
  platformScope?: ExportOptions['platformScope'];
  /** Bundle HEAD although tracked files changed (said in the manifest). */
  allowDirty?: boolean;
  /**
   * bootstrap.sh --toolkit: use this checkout (at the export's commit, its node_modules installed)
   * instead of cloning the bundle and running npm ci — quicker; the report says the toolkit was not rebuilt.
   */
  toolkitDir?: string;
  log: (line: string) => void;
  onProgress?: ExportOptions['onProgress'];
}

export function dryRunsDir(plan: LabPlan): string {
  return join(dirname(plan.stateDir), 'reversibility');
}

/** A throw-away taker key pair (EC P-256, self-signed, key 0600) for a blank run or a bench. */
export async function takerKeyPair(dir: string): Promise<{ key: string; cert: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = join(dir, 'taker-key.pem');
  const cert = join(dir, 'taker-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-subj',
    '/O=Repreneur (tir a blanc)/CN=reversibility dry-run taker',
  ]);
  await chmod(key, 0o600);
  return { key, cert };
}

export async function reversibilityDryRun(o: DryRunOptions): Promise<{ run: ReversibilityDryRun; dir: string }> {
  const started = new Date();
  const env = o.plan.topology.environment.name;
  const id = `${started.toISOString().replace(/[:.]/g, '-')}-dry-run-${env}`;
  const dir = join(dryRunsDir(o.plan), id);
  await mkdir(dir, { recursive: true });
  // Traversable, not listable: the rebuilt lab's services (postgres, etcd, ceph) reach takeover/ through them.
  await chmod(dryRunsDir(o.plan), 0o711);
  await chmod(dir, 0o711);
  const phases: ReversibilityDryRun['phases'] = [];
  const differences: string[] = [];
  const lessons: string[] = [];
  const phase = async <T>(name: string, f: () => Promise<T>, detail?: (t: T) => string): Promise<T> => {
    const t0 = Date.now();
    o.log(`[dry-run] ${name}…`);
    try {
      const r = await f();
      phases.push({ name, durationMs: Date.now() - t0, result: 'passed', ...(detail ? { detail: detail(r) } : {}) });
      return r;
    } catch (e) {
      phases.push({ name, durationMs: Date.now() - t0, result: 'failed', detail: (e as Error).message.split('\n')[0]! });
      throw e;
    }
  };
  const taker = await takerKeyPair(join(dir, 'taker'));
  const exportDir = join(dir, 'export');
  // A short path: the rebuilt lab's Unix sockets (PostgreSQL, Ceph) live under it (import.ts MAX_STATE_PATH).
  const work = await mkdtemp(join(tmpdir(), 'hds-to-'));
  await chmod(work, 0o755);
  let exp: ExportResult | undefined;
  let imp: ImportResult | undefined;
  let failure: string | undefined;
  try {
    exp = await phase(
      'export',
      () =>
        exportEnvironment({
          plan: o.plan,
          environmentsDir: o.environmentsDir,
          ...(o.waiversPath ? { waiversPath: o.waiversPath } : {}),
          out: exportDir,
          recipientCert: taker.cert,
          repoDir: o.repoDir,
          hdsctl: o.hdsctl,
          log: o.log,
          ...(o.platformScope ? { platformScope: o.platformScope } : {}),
          ...(o.allowDirty ? { allowDirty: true } : {}),
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        }),
      (r) => `${r.files} files, ${(r.bytes / 1048576).toFixed(1)} MiB`,
    );
    // The taker's side: the export's own bootstrap.sh, nothing else from us.
    await phase('bootstrap', async () => {
      const b = await execa(
        'bash',
        [
          join(exportDir, 'bootstrap.sh'),
          '--export',
          exportDir,
          '--work',
          work,
          '--recipient-key',
          taker.key,
          '--recipient-cert',
          taker.cert,
          '--no-install',
          '--json',
          ...(o.toolkitDir ? ['--toolkit', o.toolkitDir] : []),
        ],
        { reject: false, all: true, env: { ...process.env, NO_COLOR: '1' }, timeout: 60 * 60_000 },
      );
      for (const l of String(b.all ?? '')
        .split('\n')
        .slice(-400))
        if (l.trim()) o.log(`[bootstrap] ${l}`);
      imp = await readFile(join(work, 'import-report.json'), 'utf8')
        .then((t) => JSON.parse(t) as ImportResult)
        .catch(() => undefined);
      if (b.exitCode !== 0) throw new Error(`bootstrap.sh exited ${b.exitCode}: ${lastLines(String(b.all ?? ''))}`);
      return b;
    });
  } catch (e) {
    failure = (e as Error).message.split('\n')[0]!;
    differences.push(failure);
  } finally {
    await phase('teardown', async () => {
      // The import tears its lab down itself; the working copy and (unless kept) the export go.
      await rm(work, { recursive: true, force: true });
      await rm(join(dir, 'taker'), { recursive: true, force: true });
      if (!o.keepExport) await rm(exportDir, { recursive: true, force: true });
    }).catch(() => undefined);
  }
  if (imp) for (const d of imp.differences) if (!differences.includes(d)) differences.push(d);
  if (exp?.availability && exp.availability.errors > 0)
    lessons.push(
      `the API answered ${exp.availability.errors} of ${exp.availability.requests} probes with an error during the export: look at the first errors in the availability section`,
    );
  const evidence = exp
    ? [
        { path: 'export/SHA256SUMS', what: 'the signed list of every exported file', sha256: exp.sums.sha256, bytes: exp.sums.bytes },
        {
          path: 'export/manifest.json',
          what: 'the export manifest (tables, row counts, content hashes)',
          sha256: exp.sums.manifestSha256,
          bytes: exp.sums.manifestBytes,
        },
      ]
    : [];
  const sections: ReversibilityDryRun['volumes']['sections'] = {};
  for (const k of EXPORT_SECTIONS) if (exp?.bytesBySection[k] !== undefined) sections[k] = { bytes: exp.bytesBySection[k]!, files: exp.filesBySection[k] ?? 0 };
  const report: ReversibilityDryRun = {
    kind: 'hds-platform-reversibility-dry-run',
    version: 1,
    id,
    environment: env,
    operator: o.operator,
    startedAt: started.toISOString(),
    endedAt: new Date().toISOString(),
    verdict: differences.length === 0 && imp?.ok === true ? 'passed' : 'failed',
    ...(exp
      ? {
          export: {
            manifestSha256: exp.sums.manifestSha256,
            commit: exp.manifest.toolkit.commit,
            snapshotAt: exp.manifest.snapshotAt,
            ...(exp.manifest.documents.recipient ? { recipient: exp.manifest.documents.recipient.subject } : {}),
          },
        }
      : {}),
    isolation: imp
      ? `rebuilt on network slot ${imp.rebuilt.slot}: namespaces ${imp.rebuilt.netns.join(', ')}, its own bridge and address block, new secrets, PKI and HSM tokens; no route between the copy and the source`
      : 'no copy was rebuilt',
    phases: [
      ...phases.filter((p) => p.name === 'export'),
      ...(exp ? Object.entries(exp.durationsMs).map(([k, v]) => ({ name: `export: ${k}`, durationMs: v ?? 0, result: 'passed' as const })) : []),
      ...phases.filter((p) => p.name === 'bootstrap'),
      ...(imp
        ? imp.phases.map((p) => ({
            name: `bootstrap: ${p.name}`,
            durationMs: p.durationMs,
            result: 'passed' as const,
            ...(p.detail ? { detail: p.detail } : {}),
          }))
        : []),
      ...phases.filter((p) => p.name === 'teardown'),
    ],
    volumes: {
      files: exp?.files ?? 0,
      bytes: exp?.bytes ?? 0,
      tables: imp?.tables ?? 0,
      rows: imp?.rows ?? 0,
      documents: exp?.manifest.documents.count ?? 0,
      sections,
    },
    differences,
    availability: exp?.availability ?? null,
    rebuilt: imp ? { slot: imp.rebuilt.slot, netns: imp.rebuilt.netns, smoke: imp.smoke } : null,
    exportKept: Boolean(o.keepExport),
    evidence,
    notIncluded: exp?.manifest.notIncluded ?? [],
    notDone: [
      ...(o.toolkitDir
        ? [`the toolkit was not rebuilt from the bundle (bootstrap.sh --toolkit ${o.toolkitDir}: the checkout at the same commit, npm ci not run)`]
        : []),
      'packages not installed by bootstrap.sh (--no-install: the exporting machine already has them)',
      ...(imp?.notDone ?? []),
    ],
    lessons,
    rex: '',
    validation: { signatures: [] },
  };
  // No absolute path of this machine in the report (error texts and --toolkit quote paths).
  return { run: redactMachinePaths(report), dir };
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ');
}

export function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}
