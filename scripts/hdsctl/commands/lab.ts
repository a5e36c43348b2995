/** `hdsctl lab up|status|down|deps`: the platform's data plane running on this machine. */
import type { Command } from 'commander';
import { labComponents } from '../../../modules/lab/components/all.ts';
import { labDown, labStatus, labUp } from '../../../modules/lab/lab.ts';
import { aptInstallCommand, ensureLabPackages, LAB_PACKAGES, missingPackages } from '../../../modules/lab/packages.ts';
import { labSmoke } from '../../../modules/lab/smoke.ts';
import { labEndpoints } from '../../../modules/lab/summary.ts';
import { checkOptions, environmentsDir } from '../args.ts';
import { resolveLabPlan as resolvePlan } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red, yellow } from '../output.ts';
import { table } from '../table.ts';
import { formatAge } from './backup.ts';

interface Common {
  env?: string;
  dir?: string;
}

/** Every option checked before the lab is touched. */
function resolveLabPlan(opts: Common) {
  const { dir } = checkOptions(opts, { dir: environmentsDir });
  return resolvePlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir });
}

export function register(program: Command, setExit: (code: number) => void): void {
  const lab = program.command('lab').description("run the platform's data plane locally in network namespaces (the embedded default)");
  const common = (c: Command) => c.option('--env <name>', 'lab environment (platform lab)', 'lab').option('--dir <path>', 'environments directory');

  common(lab.command('up').description('start the lab and wait until every service is healthy; a no-op when it already runs'))
    .option('--no-install', 'do not install missing Debian packages, fail instead')
    .option('--json', 'print the endpoints as JSON on stdout')
    .action(async (opts: Common & { install: boolean; json?: boolean }) => {
      const plan = resolveLabPlan(opts);
      const r = await labUp(plan, { components: labComponents(plan), installPackages: opts.install });
      const endpoints = labEndpoints(plan);
      if (opts.json) printJson({ alreadyUp: r.alreadyUp, elapsedSeconds: r.elapsedMs / 1000, endpoints });
      else {
        log(r.alreadyUp ? yellow('lab already up: nothing to do') : green(`lab up in ${(r.elapsedMs / 1000).toFixed(1)} s`));
        for (const l of table(['endpoint', 'address'], Object.entries(endpoints))) out(l);
      }
      setExit(EXIT_OK);
    });

  common(lab.command('status').description('show the lab network, processes, service health (Ceph) and endpoints (exit 2 when partly up or degraded)'))
    .option('--json', 'machine-readable output')
    .action(async (opts: Common & { json?: boolean }) => {
      const plan = resolveLabPlan(opts);
      const s = await labStatus(plan, { components: labComponents(plan) });
      const running = s.processes.filter((p) => p.alive).length;
      const state = s.up ? (s.healthy ? 'up' : 'degraded') : running === 0 && !s.network.bridge ? 'down' : 'partial';
      if (opts.json) printJson({ state, ...s, endpoints: labEndpoints(plan) });
      else {
        const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
        out(
          `lab ${state}${s.upSince ? ` since ${s.upSince}` : ''}: ${running}/${s.processes.length} processes, bridge ${s.network.bridge ? 'present' : 'absent'}`,
        );
        if (s.memory.processes > 0)
          out(
            `memory: ${mib(s.memory.rssBytes)} resident in ${s.memory.processes} processes (${s.memory.byCommand
              .slice(0, 5)
              .map((c) => `${c.command} ${mib(c.rssBytes)}`)
              .join(', ')}, …)`,
          );
        for (const l of table(
          ['process', 'state', 'pid', 'restarts', 'last exit'],
          s.processes.map((p) => [
            p.name,
            p.state ?? (p.alive ? 'running' : 'stopped'),
            p.pid ?? '-',
            p.restarts ?? 0,
            p.lastExit ? `${p.lastExit}${p.lastExitAt ? ` at ${p.lastExitAt}` : ''}` : '-',
          ]),
        ))
          out(l);
        if (s.services.length > 0)
          for (const l of table(
            ['service', 'health'],
            s.services.map((x) => [x.name, `${x.healthy ? 'ok' : 'NOT OK'} — ${x.detail}`]),
          ))
            out(l);
        // Backup freshness (issue 14): the last recorded success of each series the hds-backup alerts watch.
        if (s.backups.length > 0)
          for (const l of table(
            ['stanza', 'last', 'repo', 'at', 'age'],
            s.backups.map((b) => [
              b.stanza,
              b.series === 'backup' ? `backup${b.type ? ` (${b.type})` : ''}` : b.series === 'verify' ? 'verify' : 'restore test',
              b.repo ?? '-',
              b.lastSuccess ?? (b.problem ? `unreadable: ${b.problem}` : 'never'),
              b.ageSeconds === undefined ? '-' : formatAge(b.ageSeconds),
            ]),
          ))
            out(l);
        if (s.up) for (const l of table(['endpoint', 'address'], Object.entries(labEndpoints(plan)))) out(l);
      }
      setExit(state === 'partial' || state === 'degraded' ? EXIT_FINDINGS : EXIT_OK);
    });

  common(lab.command('down').description('stop every lab process and delete its namespaces and bridge; safe to run twice or after a crash'))
    .option('--purge', 'also delete the lab state directory (data, logs, certificates, generated secrets)')
    .action(async (opts: Common & { purge?: boolean }) => {
      const plan = resolveLabPlan(opts);
      const r = await labDown(plan, { components: labComponents(plan), purge: Boolean(opts.purge) });
      log(green(`lab down in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.stopped.length} process(es) stopped)`));
      setExit(EXIT_OK);
    });

  common(
    lab
      .command('smoke')
      .description('end-to-end check of the running lab: a document through the WAFs, an attack refused, PostgreSQL pairs (exit 2 when a check fails)'),
  )
    .option('--json', 'machine-readable output')
    .action(async (opts: Common & { json?: boolean }) => {
      const plan = resolveLabPlan(opts);
      const checks = await labSmoke(plan);
      const failed = checks.filter((c) => !c.ok).length;
      if (opts.json) printJson({ ok: failed === 0, checks });
      else for (const c of checks) out(`${c.ok ? green('ok  ', process.stdout) : red('FAIL', process.stdout)} ${c.name}: ${c.detail}`);
      if (!opts.json)
        log(
          failed === 0
            ? green(`smoke check passed (${checks.length} checks)`)
            : red(`${failed} of ${checks.length} checks failed; see \`hdsctl lab status\` and the logs under the state directory`),
        );
      setExit(failed === 0 ? EXIT_OK : EXIT_FINDINGS);
    });

  lab
    .command('deps')
    .description('check the Debian packages the lab and the integration tests need')
    .option('--install', 'install the missing ones with apt-get (root)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { install?: boolean; json?: boolean }) => {
      let missing = await missingPackages();
      if (missing.length && opts.install) {
        const installed = await ensureLabPackages(LAB_PACKAGES, log);
        log(green(`installed ${installed.join(' ')}`));
        missing = await missingPackages();
      }
      if (opts.json) printJson({ required: LAB_PACKAGES, missing });
      else if (missing.length === 0) log(green(`all ${LAB_PACKAGES.length} lab packages are installed`));
      if (missing.length) throw new CliError(`missing Debian packages: ${missing.join(' ')}; install them with: ${aptInstallCommand(missing)}`);
      setExit(EXIT_OK);
    });
}
