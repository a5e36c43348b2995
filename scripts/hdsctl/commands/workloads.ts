/**
 * `hdsctl workloads render --env NAME|--all [--cluster DC1] [--out DIR] [--json]`: the application
 * workloads of an environment's OpenShift clusters (issue 12), as the Pulumi program would send
 * them — run under Pulumi's own mocks, every resource validated against its schema — written as
 * YAML for review or a GitOps tool, with a summary per cluster weighed against its workers.
 *
 * `hdsctl workloads list-stacks [--env NAME] [--json]`: the Pulumi stacks (`<env>-<site>`) of
 * the workloads program, one per environment × OpenShift cluster.
 *
 * Nothing is written unless every resource of every cluster validates and fits: schema errors
 * are listed as `Kind namespace/name /json/pointer: message`, exit 1. The output directory is
 * replaced in one rename, and only when it is absent, empty or written by this command.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { checkReplaceableDir, type OutputTarget, replaceOutputDir } from '../../../modules/loader/safeOutput.ts';
import type { Topology } from '../../../modules/model/topology.ts';
import { PEAK_FACTOR } from '../../../modules/model/workloads.ts';
import { LayoutError, stackName } from '../../../modules/workloads/layout.ts';
import { openshiftSites, WorkloadPlanError } from '../../../modules/workloads/plan/index.ts';
import type { ClusterRender, ClusterSummary } from '../../../modules/workloads/render.ts';
import { ArgProblem, checkOptions, environmentsDir, outputPath, text } from '../args.ts';
import { bold, CliError, EXIT_OK, green, log, out, printJson } from '../output.ts';
import { table } from '../table.ts';
import { evaluateEnvironments } from '../workspace.ts';

const DEFAULT_OUT = 'out/workloads';
const COMMAND = 'workloads render';
/** Schema errors listed in full up to this many; the count is always given. */
const MAX_LISTED = 200;

const site = (raw: string, flag: string): string => {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(raw))
    throw new ArgProblem(`${JSON.stringify(raw)} is not a site name; give an OpenShift site of the environment (e.g. ${flag} DC1)`);
  return raw;
};

/** Environments that run workloads on OpenShift, for the fixes. */
const withWorkloads = (topologies: Map<string, Topology>): string[] =>
  [...topologies.entries()]
    .filter(([, t]) => t.workloads && openshiftSites(t).length)
    .map(([n]) => n)
    .sort();

/** The OpenShift sites to render: every one of the environment, or the one given; throws with the fix. */
function selectSites(env: string, t: Topology, topologies: Map<string, Topology>, cluster: string | undefined): string[] {
  const sites = openshiftSites(t);
  const others = withWorkloads(topologies);
  const elsewhere = others.length ? `use one of: ${others.join(', ')}` : 'no environment declares workloads yet (see docs/workloads.md)';
  if (!sites.length) throw new CliError(`--env: "${env}" has no OpenShift cluster (services.openshift), so no workloads; ${elsewhere}`);
  if (!t.workloads)
    throw new CliError(`--env: "${env}" runs no application workloads (no workloads: section); add one (see docs/workloads.md); or ${elsewhere}`);
  if (cluster === undefined) return sites;
  const found = sites.find((s) => s.toLowerCase() === cluster.toLowerCase());
  if (!found) throw new CliError(`--cluster: "${cluster}" is not an OpenShift site of ${env}; use one of: ${sites.join(', ')} (e.g. --cluster ${sites[0]})`);
  return [found];
}

const vcpu = (millis: number) => (millis / 1000).toFixed(1);
const gib = (mib: number) => (mib / 1024).toFixed(1);

function printSummary(env: string, outdir: string | undefined, summaries: ClusterSummary[]): void {
  out(
    bold(
      `Workloads of ${env}${outdir ? ` in ${outdir}` : ''} (requests read from the manifests; capacity: workers' allocatable from the model)`,
      process.stdout,
    ),
  );
  out(
    table(
      [
        'cluster',
        'stack',
        'namespaces',
        'workloads',
        'resources',
        'pods min/max',
        'CPU req. min/max vCPU',
        'memory req. min/max GiB',
        'allocatable vCPU/GiB',
        'fits',
      ],
      summaries.map((s) => [
        s.site,
        s.stack,
        s.namespaces.length,
        s.workloads,
        s.resources,
        `${s.atMin.pods}/${s.atMax.pods}`,
        `${vcpu(s.atMin.cpuMillis)}/${vcpu(s.atMax.cpuMillis)}`,
        `${gib(s.atMin.memoryMiB)}/${gib(s.atMax.memoryMiB)}`,
        `${vcpu(s.allocatable.cpuMillis)}/${gib(s.allocatable.memoryMiB)}`,
        s.fits ? 'yes' : 'NO',
      ]),
      [2, 3, 4, 5, 6, 7, 8],
    ).join('\n'),
  );
}

function notFitting(s: ClusterSummary): string {
  const over: string[] = [];
  if (s.atMax.cpuMillis > s.allocatable.cpuMillis) over.push(`CPU requests ${vcpu(s.atMax.cpuMillis)} vCPU > ${vcpu(s.allocatable.cpuMillis)} allocatable`);
  if (s.atMax.memoryMiB > s.allocatable.memoryMiB) over.push(`memory requests ${gib(s.atMax.memoryMiB)} GiB > ${gib(s.allocatable.memoryMiB)} allocatable`);
  return `${s.environment} ${s.site}: at the HPA maxima (${PEAK_FACTOR}x the average load, EXG_VOL_5) ${over.join(' and ')} on ${s.workers.count} workers of ${s.workers.vcpu} vCPU / ${s.workers.ramGiB} GiB`;
}

/** Relative path of a cluster's directory in the output: `<env>/<site lower>`. */
const clusterDir = (r: ClusterRender) => join(r.environment, r.site.toLowerCase());

async function render(
  opts: { env?: string; all?: boolean; cluster?: string; out: string; dir?: string; json?: boolean },
  setExit: (code: number) => void,
): Promise<void> {
  if (opts.all && opts.env !== undefined)
    throw new ArgProblem(`--all and --env ${JSON.stringify(opts.env)} exclude each other; give one (e.g. hdsctl workloads render --all)`);
  if (opts.all && opts.cluster !== undefined)
    throw new ArgProblem(`--cluster ${JSON.stringify(opts.cluster)} needs --env (one environment), not --all; drop --cluster or name the environment`);
  const a = checkOptions(opts, {
    env: opts.all
      ? text(64, 'production')
      : {
          check: text(64, 'production'),
          required: 'name the environment (e.g. hdsctl workloads render --env production), or --all for every environment with workloads',
        },
    cluster: site,
    out: outputPath(DEFAULT_OUT),
    dir: environmentsDir,
  });
  const target: OutputTarget = { command: COMMAND, flag: '--out', value: a.out!, example: DEFAULT_OUT };
  checkReplaceableDir(a.out!, target);
  const evaluation = evaluateEnvironments({ dir: a.dir }, a.env);
  if (evaluation.diagnostics.length)
    throw new CliError(
      `the environments are not valid, nothing was written (hdsctl validate${a.env ? ` --env ${a.env}` : ''}):\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  // One environment, or (--all) every environment with workloads, in this one process: the
  // reversibility export renders them all, and a process per environment cost ~5 s of start each.
  const envs = a.env ? [a.env] : withWorkloads(evaluation.topologies);
  if (!envs.length) throw new CliError('--all: no environment declares workloads (a workloads: section and an OpenShift cluster); nothing was written');
  const jobs = envs.map((env) => {
    const t = evaluation.topologies.get(env)!;
    return { env, t, sites: selectSites(env, t, evaluation.topologies, a.cluster) };
  });
  const started = Date.now();
  // Pulumi, the Kubernetes schemas and the CRDs load here only: the other commands start without them.
  const [{ renderCluster }, { CaptureError }, { formatManifestError }] = await Promise.all([
    import('../../../modules/workloads/render.ts'),
    import('../../../modules/workloads/capture.ts'),
    import('../../../modules/workloads/validate/index.ts'),
  ]);
  const renders: ClusterRender[] = [];
  for (const { env, t, sites } of jobs) {
    log(`rendering the workloads of ${env} (${sites.join(', ')}) under Pulumi mocks ...`);
    for (const s of sites) {
      try {
        renders.push(await renderCluster(t, s));
      } catch (e) {
        if (e instanceof LayoutError || e instanceof CaptureError || e instanceof WorkloadPlanError)
          throw new CliError(`${env} ${s} (stack ${stackName(env, s)}): ${e.message}; nothing was written`);
        throw e;
      }
    }
  }
  const errors = renders.flatMap((r) => r.errors.map((e) => `${r.site} ${formatManifestError(e)}`));
  if (errors.length) {
    const listed = errors.slice(0, MAX_LISTED);
    const more = errors.length > listed.length ? `\n... and ${errors.length - listed.length} more` : '';
    throw new CliError(`${errors.length} field(s) of the captured resources do not match their schema, nothing was written:\n${listed.join('\n')}${more}`);
  }
  const summaries = renders.map((r) => r.summary);
  const tooBig = summaries.filter((s) => !s.fits);
  if (tooBig.length) {
    if (opts.json) printJson({ ok: false, environment: a.env ?? null, environments: envs, outdir: null, clusters: summaries });
    else
      for (const env of envs)
        printSummary(
          env,
          undefined,
          summaries.filter((x) => x.environment === env),
        );
    throw new CliError(
      `the workloads do not fit their cluster, nothing was written:\n${tooBig.map(notFitting).join('\n')}\n(add workers or larger workers, lower workloads.loadFactor, or leave components out)`,
    );
  }
  const sums: string[] = [];
  const { dir } = replaceOutputDir(a.out!, target, (staging) => {
    for (const r of renders) {
      for (const f of r.files) {
        const rel = join(clusterDir(r), f.name);
        mkdirSync(dirname(join(staging, rel)), { recursive: true });
        writeFileSync(join(staging, rel), f.content);
        sums.push(`${createHash('sha256').update(f.content).digest('hex')}  ${rel.split('\\').join('/')}`);
      }
    }
    writeFileSync(join(staging, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  });
  const outdir = displayPath(dir);
  if (opts.json) {
    printJson({
      ok: true,
      environment: a.env ?? null,
      environments: envs,
      outdir,
      clusters: renders.map((r) => ({ ...r.summary, directory: join(outdir, clusterDir(r)), files: r.files.map((f) => f.name) })),
    });
  } else
    for (const env of envs)
      printSummary(
        env,
        outdir,
        summaries.filter((x) => x.environment === env),
      );
  for (const s of summaries)
    if (s.atMax.cpuMillis !== s.model.atMax.cpuMillis || s.atMax.memoryMiB !== s.model.atMax.memoryMiB || s.atMax.pods !== s.model.atMax.pods)
      log(
        `note: ${s.site}: the manifests request ${vcpu(s.atMax.cpuMillis)} vCPU / ${gib(s.atMax.memoryMiB)} GiB in ${s.atMax.pods} pods at the HPA maxima, the model (workloadCapacity) ${vcpu(s.model.atMax.cpuMillis)} vCPU / ${gib(s.model.atMax.memoryMiB)} GiB in ${s.model.atMax.pods} pods; the manifests are what the scheduler sees`,
      );
  const resources = renders.reduce((n, r) => n + r.objects.length, 0);
  log(
    green(
      `ok: ${resources} resources in ${renders.length} cluster(s), captured under Pulumi mocks and schema-checked, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ),
  );
  setExit(EXIT_OK);
}

function listStacks(opts: { env?: string; dir?: string; json?: boolean }): void {
  const a = checkOptions(opts, { env: text(64, 'production'), dir: environmentsDir });
  const evaluation = evaluateEnvironments({ dir: a.dir }, a.env);
  if (evaluation.diagnostics.length)
    throw new CliError(`the environments are not valid (hdsctl validate):\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`);
  const names = a.env ? [a.env] : withWorkloads(evaluation.topologies);
  if (a.env) selectSites(a.env, evaluation.topologies.get(a.env)!, evaluation.topologies, undefined);
  const rows = names.flatMap((env) => {
    const t = evaluation.topologies.get(env)!;
    return openshiftSites(t).map((s) => ({
      stack: stackName(env, s),
      environment: env,
      cluster: s,
      catalog: t.workloads!.catalog,
      loadFactor: t.workloads!.loadFactor,
      components: t.workloads!.components.length,
    }));
  });
  if (opts.json) printJson(rows);
  else
    out(
      table(
        ['stack', 'environment', 'cluster', 'catalog', 'load factor', 'components'],
        rows.map((r) => [r.stack, r.environment, r.cluster, r.catalog, r.loadFactor, r.components]),
        [4, 5],
      ).join('\n'),
    );
}

export function register(program: Command, setExit: (code: number) => void): void {
  const workloads = program.command('workloads').description('application workloads on OpenShift (Pulumi program, stacks/workloads/)').exitOverride();
  workloads
    .command('render')
    .description(
      'run the workloads program under Pulumi mocks, validate every resource against its schema and write the YAML manifests (one file per namespace) of each OpenShift cluster, with a summary; exit 1 on a schema error or when a cluster does not fit',
    )
    .option('--env <name>', 'the environment (required unless --all)')
    .option('--all', 'every environment with workloads, in one run (output <env>/<site>/ for each)')
    .option('--cluster <site>', 'one OpenShift site (e.g. DC1); default: every OpenShift site of the environment')
    .option(
      '--out <dir>',
      `output directory, replaced atomically (<env>/<site>/NN-<namespace>.yaml and SHA256SUMS); only an absent or empty one, or one this command wrote (marker .hdsctl-output)`,
      DEFAULT_OUT,
    )
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'the summary as JSON on stdout')
    .exitOverride()
    .action((opts: { env?: string; all?: boolean; cluster?: string; out: string; dir?: string; json?: boolean }) => render(opts, setExit));
  workloads
    .command('list-stacks')
    .description('the Pulumi stacks of the workloads program: one per environment with workloads x OpenShift cluster (<env>-<site>)')
    .option('--env <name>', 'one environment (default: every environment with workloads)')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .action((opts: { env?: string; dir?: string; json?: boolean }) => {
      listStacks(opts);
      setExit(EXIT_OK);
    });
}
