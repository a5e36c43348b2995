/**
 * `hdsctl reversibility export|verify|import|dry-run|destroy` (EXG_REV_*): the hand-over of the
 * platform to a taker (repreneur), its blank run (tir à blanc) and the proven destruction of
 * every copy afterwards. docs/reversibility.md.
 *
 * Exit codes: 0 ok; 1 bad input or an error (nothing changed); 2 findings (an export that does
 * not verify, differences after a rebuild, a destruction whose proofs do not all hold).
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { exportEnvironment, ExportError, type ExportProgress } from '../../../modules/reversibility/export.ts';
import { checkDestroyRequest, DestroyError, destroyEnvironment } from '../../../modules/reversibility/destroy.ts';
import { dryRunsDir, reversibilityDryRun } from '../../../modules/reversibility/dryRun.ts';
import { ImportError, importExport } from '../../../modules/reversibility/import.ts';
import { DataError } from '../../../modules/reversibility/data.ts';
import { KitError } from '../../../modules/reversibility/kit.ts';
import { ManifestError } from '../../../modules/reversibility/manifest.ts';
import { renderDryRun, writeDestructionPv, writeDryRunPv } from '../../../modules/reversibility/pv/index.ts';
import type { ReversibilityDryRun } from '../../../modules/reversibility/pv/types.ts';
import { verifyExport } from '../../../modules/reversibility/signing.ts';
import { checkOptions, environmentsDir, existingDir, existingFile, integer, oneOf, outputPath, text } from '../args.ts';
import { REPO_ROOT, resolveLabPlan, stateRoot } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { operatorOf, registerPvReport } from '../pvReport.ts';

const LANGS = ['fr', 'en'] as const;

/** How the export runs this toolkit's own CLI (synth, workloads, policy): the same node, the same entry point. */
function selfCli() {
  return { command: process.execPath, args: [join(REPO_ROOT, 'bin', 'hdsctl.js')] };
}

function progressSink(enabled: boolean): { update: (p: ExportProgress) => void; stop: () => void } {
  if (!enabled) return { update: (p) => p.done === undefined && log(`[export] ${p.section}: ${p.detail}`), stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'export {section} [{bar}] {value}/{total} {detail}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      if (p.done === undefined || p.total === undefined) {
        if (!started) log(`[export] ${p.section}: ${p.detail}`);
        return;
      }
      if (!started) {
        bar.start(p.total, p.done, { section: p.section, detail: p.detail });
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done, { section: p.section, detail: p.detail });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

function wrap(e: unknown): never {
  if ([ExportError, ImportError, DestroyError, KitError, DataError, ManifestError].some((k) => e instanceof k)) throw new CliError((e as Error).message);
  throw e;
}

export function register(program: Command, setExit: (code: number) => void): void {
  const rev = program
    .command('reversibility')
    .description('hand the platform over to a taker: signed export, rebuild, blank run, proven destruction (EXG_REV_*)');

  rev
    .command('export')
    .description('export everything a taker needs (data, documents for --recipient, platform, inventories, rebuild kit), signed with an HSM key')
    .option('--env <name>', 'lab environment to export', 'lab')
    .option('--dir <path>', 'environments directory')
    .requiredOption('--out <dir>', 'export directory: absent or empty (or an interrupted export of the same environment, resumed)')
    .option('--recipient <cert>', "the taker's X.509 certificate (PEM): the documents are encrypted for it (CMS); without it they are not exported")
    .option('--platform <scope>', 'platform files of every environment (all) or of the exported one (environment)', 'all')
    .option('--no-probe', 'do not measure the API availability during the export')
    .option('--allow-dirty', "bundle the toolkit's HEAD although tracked files have uncommitted changes (said in the manifest)")
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--json', 'print the result as JSON on stdout')
    .action(
      async (opts: {
        env?: string;
        dir?: string;
        out: string;
        recipient?: string;
        platform?: string;
        probe?: boolean;
        allowDirty?: boolean;
        progress?: boolean;
        json?: boolean;
      }) => {
        const o = checkOptions(opts, {
          dir: environmentsDir,
          out: outputPath('/srv/hand-over/export-2026'),
          recipient: existingFile('the taker certificate (PEM)', 'taker-cert.pem'),
          platform: oneOf(['all', 'environment'] as const, 'platform scope'),
        });
        const plan = resolveLabPlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir: o.dir! });
        const bar = progressSink(opts.progress !== false && Boolean(process.stderr.isTTY) && !opts.json);
        let r: Awaited<ReturnType<typeof exportEnvironment>>;
        try {
          r = await exportEnvironment({
            plan,
            environmentsDir: o.dir!,
            ...(existsSync(join(REPO_ROOT, 'policies', 'waivers.yaml')) ? { waiversPath: join(REPO_ROOT, 'policies', 'waivers.yaml') } : {}),
            out: resolve(o.out!),
            ...(o.recipient ? { recipientCert: resolve(o.recipient) } : {}),
            repoDir: REPO_ROOT,
            hdsctl: selfCli(),
            platformScope: o.platform ?? 'all',
            probe: opts.probe !== false,
            allowDirty: Boolean(opts.allowDirty),
            // Test hook of the resume test (modules/reversibility/reversibility.int.test.ts): a SIGKILL after N documents.
            ...(process.env.HDS_TEST_EXPORT_CRASH_AFTER_DOCUMENTS ? { crashAfterDocuments: Number(process.env.HDS_TEST_EXPORT_CRASH_AFTER_DOCUMENTS) } : {}),
            log: (l) => {
              bar.stop();
              log(`[export] ${l}`);
            },
            onProgress: bar.update,
          });
        } catch (e) {
          bar.stop();
          wrap(e);
        }
        bar.stop();
        const rel = relative(process.cwd(), r.out) || '.';
        if (opts.json)
          printJson({
            out: rel,
            files: r.files,
            bytes: r.bytes,
            bytesBySection: r.bytesBySection,
            durationsMs: r.durationsMs,
            resumed: r.resumed,
            availability: r.availability,
            signingCertificateSha256: r.signingCertificateSha256,
            notIncluded: r.manifest.notIncluded,
          });
        else {
          out(`export ${rel}: ${r.files} files, ${(r.bytes / 1048576).toFixed(1)} MiB, signed (certificate SHA-256 ${r.signingCertificateSha256})`);
          if (r.availability)
            out(
              `API during the export: ${(r.availability.availability * 100).toFixed(2)} % of ${r.availability.requests} probes answered, p50 ${r.availability.latencyMs.p50} ms, p95 ${r.availability.latencyMs.p95} ms, max ${r.availability.latencyMs.max} ms`,
            );
          for (const n of r.manifest.notIncluded) out(`not included: ${n.what} — ${n.why}`);
          out(`verify it: hdsctl reversibility verify ${rel}   (or, with stock tools, see ${rel}/README.md)`);
        }
        setExit(EXIT_OK);
      },
    );

  rev
    .command('verify')
    .argument('<export>', 'export directory')
    .description("check an export's signature and every file's hash (what bootstrap.sh does first, with openssl and sha256sum)")
    .option('--trusted-ca <pem>', 'CA certificate the signing certificate must chain to')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (dir: string, opts: { trustedCa?: string; json?: boolean }) => {
      const o = checkOptions(
        { ...opts, export: dir },
        { export: existingDir('the export directory', 'export-2026'), trustedCa: existingFile('the CA certificate (PEM)', 'ca.pem') },
      );
      const { readFile } = await import('node:fs/promises');
      const v = await verifyExport(o.export!, o.trustedCa ? { trustedCaPem: await readFile(o.trustedCa, 'utf8') } : {});
      if (opts.json) printJson(v);
      else if (v.ok) out(green(`${dir}: signature valid, every file intact`));
      else for (const p of v.problems) out(red(p));
      setExit(v.ok ? EXIT_OK : EXIT_FINDINGS);
    });

  rev
    .command('import')
    .description(
      "the taker's rebuild from an export (bootstrap.sh runs it): verify, rebuild the lab in its own namespaces, load, re-import the documents, verify, smoke",
    )
    .requiredOption('--from <export>', 'export directory')
    .requiredOption('--work <dir>', 'work directory (absent, empty, or one of an earlier import)')
    .option('--recipient-key <pem>', "the taker's private key the documents were encrypted for")
    .option('--recipient-cert <pem>', "the taker's certificate")
    .option('--trusted-ca <pem>', 'CA certificate the signing certificate must chain to')
    .option('--slot <n>', 'network slot of the rebuilt lab (default: the first free one)')
    .option('--keep', 'leave the rebuilt lab running')
    .option('--json', 'print the report as JSON on stdout')
    .action(
      async (opts: {
        from: string;
        work: string;
        recipientKey?: string;
        recipientCert?: string;
        trustedCa?: string;
        slot?: string;
        keep?: boolean;
        json?: boolean;
      }) => {
        const o = checkOptions(opts, {
          from: existingDir('the export directory', 'export-2026'),
          work: outputPath('hds-takeover'),
          recipientKey: existingFile("the taker's private key (PEM)", 'taker-key.pem'),
          recipientCert: existingFile("the taker's certificate (PEM)", 'taker-cert.pem'),
          trustedCa: existingFile('the CA certificate (PEM)', 'ca.pem'),
          slot: integer(1, 15, 3),
        });
        if ((o.recipientKey === undefined) !== (o.recipientCert === undefined))
          throw new CliError('--recipient-key and --recipient-cert go together (the key pair the documents were encrypted for)');
        let r: Awaited<ReturnType<typeof importExport>>;
        try {
          r = await importExport({
            from: resolve(o.from!),
            work: resolve(o.work!),
            ...(o.recipientKey ? { recipientKey: resolve(o.recipientKey), recipientCert: resolve(o.recipientCert!) } : {}),
            ...(o.trustedCa ? { trustedCaPem: resolve(o.trustedCa) } : {}),
            ...(o.slot !== undefined ? { slot: o.slot } : {}),
            keep: Boolean(opts.keep),
            log: (l) => log(`[import] ${l}`),
          });
        } catch (e) {
          wrap(e);
        }
        if (opts.json) printJson(r);
        else {
          out(
            `rebuilt ${r.environment} on network slot ${r.rebuilt.slot} (${r.rebuilt.netns.join(', ')}): ${r.tables} tables, ${r.rows} rows loaded${r.documents ? `, ${r.documents.imported} documents re-imported, ${r.documents.verified} read back intact` : ''}`,
          );
          for (const p of r.phases) out(`  ${p.name.padEnd(10)} ${(p.durationMs / 1000).toFixed(1).padStart(7)} s  ${p.detail ?? ''}`);
          for (const n of r.notDone) out(`not done: ${n}`);
          for (const d of r.differences) out(red(`difference: ${d}`));
        }
        log(r.ok ? green('import: no difference') : red(`import: ${r.differences.length} difference(s)`));
        setExit(r.ok ? EXIT_OK : EXIT_FINDINGS);
      },
    );

  const dry = rev
    .command('dry-run')
    .description('tir à blanc: export, bootstrap into an isolated lab as a taker would, verify, tear down, write the report (EXG_REV_9, EXG_REV_11)')
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .option('--platform <scope>', 'platform files of every environment (all) or of the exported one (environment)', 'all')
    .option('--keep-export', 'keep the export (it holds the data in clear CSV) instead of deleting it after the run')
    .option('--toolkit <dir>', "bootstrap.sh uses this checkout (at the export's commit, node_modules installed) instead of the bundle + npm ci")
    .option('--lang <fr|en>', 'language of the report', 'fr')
    .option('--operator <name>', 'who runs it (default: $SUDO_USER or $USER)')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (opts: { env?: string; dir?: string; platform?: string; keepExport?: boolean; toolkit?: string; lang?: string; operator?: string; json?: boolean }) => {
      const o = checkOptions(opts, {
        dir: environmentsDir,
        lang: oneOf(LANGS, 'language'),
        operator: text(80, 'jdupont'),
        platform: oneOf(['all', 'environment'] as const, 'platform scope'),
        toolkit: existingDir('a checkout of the toolkit', '.'),
      });
      const plan = resolveLabPlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir: o.dir! });
      let res: Awaited<ReturnType<typeof reversibilityDryRun>>;
      try {
        res = await reversibilityDryRun({
          plan,
          environmentsDir: o.dir!,
          ...(existsSync(join(REPO_ROOT, 'policies', 'waivers.yaml')) ? { waiversPath: join(REPO_ROOT, 'policies', 'waivers.yaml') } : {}),
          repoDir: REPO_ROOT,
          hdsctl: selfCli(),
          operator: operatorOf(o.operator),
          keepExport: Boolean(opts.keepExport),
          platformScope: o.platform ?? 'all',
          ...(o.toolkit ? { toolkitDir: resolve(o.toolkit) } : {}),
          log,
        });
      } catch (e) {
        wrap(e);
      }
      writeDryRunPv(res.dir, res.run, o.lang ?? 'fr');
      const rel = relative(process.cwd(), res.dir) || '.';
      if (opts.json) printJson({ dir: rel, ...res.run });
      else {
        for (const p of res.run.phases) out(`  ${p.name.padEnd(24)} ${(p.durationMs / 1000).toFixed(1).padStart(7)} s  ${p.detail ?? ''}`);
        for (const d of res.run.differences) out(red(`difference: ${d}`));
        out(`report: ${rel}/pv.html (also pv.md, pv.json)`);
      }
      log(res.run.verdict === 'passed' ? green(`dry run ${res.run.id}: passed`) : red(`dry run ${res.run.id}: FAILED`));
      setExit(res.run.verdict === 'passed' ? EXIT_OK : EXIT_FINDINGS);
    });
  registerPvReport(
    dry,
    {
      runsHelp: '.state/reversibility/',
      runsDir: (plan) => dryRunsDir(plan),
      render: renderDryRun,
      write: (dir, run: ReversibilityDryRun, lang) => writeDryRunPv(dir, run, lang),
    },
    setExit,
  );

  rev
    .command('destroy')
    .description(
      'after the hand-over: crypto-shred the HSM domain keys, drop the databases, delete backups and buckets, prove it, sign the destruction certificate',
    )
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .option('--confirm <name>', "the environment's exact name (required)")
    .option('--allow-production', 'required as well when the environment is production')
    .option('--approval <ref>', "reference of the hand-over's approval (recorded in the certificate)")
    .option('--lang <fr|en>', 'language of the certificate', 'fr')
    .option('--operator <name>', 'who runs it (default: $SUDO_USER or $USER)')
    .option('--json', 'print the certificate as JSON on stdout')
    .action(
      async (opts: {
        env?: string;
        dir?: string;
        confirm?: string;
        allowProduction?: boolean;
        approval?: string;
        lang?: string;
        operator?: string;
        json?: boolean;
      }) => {
        const o = checkOptions(opts, {
          dir: environmentsDir,
          lang: oneOf(LANGS, 'language'),
          operator: text(80, 'jdupont'),
          approval: text(200, 'COPIL-2027-03'),
        });
        const plan = resolveLabPlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir: o.dir! });
        try {
          checkDestroyRequest({ name: plan.topology.environment.name, class: plan.topology.environment.class }, opts.confirm, Boolean(opts.allowProduction));
        } catch (e) {
          wrap(e);
        }
        let r: Awaited<ReturnType<typeof destroyEnvironment>>;
        try {
          r = await destroyEnvironment({
            plan,
            confirm: opts.confirm,
            allowProduction: Boolean(opts.allowProduction),
            operator: operatorOf(o.operator),
            ...(o.approval ? { approval: o.approval } : {}),
            log: (l) => log(`[destroy] ${l}`),
          });
        } catch (e) {
          wrap(e);
        }
        const dir = join(stateRoot(), 'reversibility', r.certificate.id);
        writeDestructionPv(dir, r.certificate, o.lang ?? 'fr');
        const rel = relative(process.cwd(), dir) || '.';
        if (opts.json) printJson({ dir: rel, certificate: r.certificate, wipe: r.wipe });
        else {
          for (const i of r.certificate.items) out(`  ${i.result.padEnd(9)} ${i.kind.padEnd(17)} ${i.name} — ${i.method}${i.detail ? ` (${i.detail})` : ''}`);
          out(`after the signature: ${r.wipe.detail}; namespaces ${r.wipe.namespacesGone ? 'gone' : 'STILL PRESENT'}`);
          out(`certificate: ${rel}/pv.html (also pv.md, pv.json)`);
        }
        const ok = r.certificate.verdict === 'destroyed' && r.wipe.stateDirGone && r.wipe.namespacesGone;
        log(
          ok
            ? green(`destruction of ${plan.topology.environment.name}: complete and proven`)
            : red('destruction: some proofs do not hold (see the certificate)'),
        );
        setExit(ok ? EXIT_OK : EXIT_FINDINGS);
      },
    );
}
