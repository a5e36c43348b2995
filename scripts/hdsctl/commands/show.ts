/** `hdsctl show --env NAME [--json]`: the expanded topology, readable or as JSON. */
import type { Command } from 'commander';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import type { Topology } from '../../../modules/model/topology.ts';
import { checkOptions, environmentsDir } from '../args.ts';
import { bold, CliError, EXIT_OK, out, printJson } from '../output.ts';
import { table } from '../table.ts';
import { evaluateEnvironments } from '../workspace.ts';

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('show')
    .description('print the expanded topology of an environment: sites, zones and subnets, clusters, guests, totals, SLO')
    .requiredOption('--env <name>', 'environment to show')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'the whole topology as JSON on stdout (flow matrix included)')
    .action((opts: { env: string; dir?: string; json?: boolean }) => {
      const { dir } = checkOptions(opts, { dir: environmentsDir });
      const result = evaluateEnvironments({ dir }, opts.env);
      const topology = result.topologies.get(opts.env);
      if (result.diagnostics.length || !topology) {
        throw new CliError(`environment ${opts.env} is not valid, fix it first:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
      }
      if (opts.json) printJson(topology);
      else for (const line of renderSummary(topology)) out(line);
      setExit(EXIT_OK);
    });
}

export function renderSummary(t: Topology): string[] {
  const e = t.environment;
  const lines: string[] = [];
  const section = (title: string) => lines.push('', bold(title, process.stdout));
  lines.push(bold(`Environment ${e.name}`, process.stdout) + ` — class ${e.class}, ${e.segregation}, platform ${e.platform}, slot ${e.slot}, block ${e.addressBlock}`);
  lines.push(`SLO: ${t.slo.availabilityPct} % ${t.slo.windowLabel}, budget ${t.slo.monthlyBudget} a month (${t.slo.requirement})`);
  if (e.editorSlots !== undefined) lines.push(`Editor slots: ${e.editorSlots}`);
  lines.push(`Data source: ${e.dataSource}`);

  section('Sites');
  lines.push(
    ...table(
      ['site', 'role', 'code', 'region', 'country', 'tier', 'distances'],
      t.sites.map((s) => [s.id, s.role, s.code ?? '-', s.region, s.country, s.tier, Object.entries(s.distancesKm).map(([id, km]) => `${id} ${km} km`).join(', ')]),
    ),
  );

  section('Zones and subnets');
  lines.push(...table(['site', 'zone', 'subnet', 'vlan', 'bridge', 'gateway', 'guest range'], t.zones.map((z) => [z.site, z.zone, z.cidr, z.vlan, z.bridge, z.gateway, `${z.firstHost} - ${z.lastHost}`]), [3]));

  section('Hypervisor clusters (this environment\'s share)');
  lines.push(
    ...table(
      ['cluster', 'site', 'nodes', 'vCPU used/offered', 'RAM GiB used/offered', 'guests'],
      t.hypervisorClusters.map((c) => {
        const cores = c.nodes.reduce((a, n) => a + n.cores, 0);
        const ram = c.nodes.reduce((a, n) => a + n.ramGiB, 0);
        return [c.name, c.site, c.nodes.length, `${c.allocated.vcpu}/${cores * c.cpuOvercommit}`, `${c.allocated.ramGiB}/${ram}`, c.allocated.guests];
      }),
      [2, 3, 4, 5],
    ),
  );

  section('Services');
  lines.push(...table(['service', 'kind', 'sites', 'members', 'placement'], t.services.map((s) => [s.id, s.kind, s.sites.join('+'), s.members.length, s.summary]), [3]));

  section('Guests and totals per site');
  const rows = Object.entries(t.totals.bySite).map(([site, x]) => [site, x.vms, x.appliances, x.baremetal, x.vcpu, x.ramGiB, x.diskGiB]);
  const a = t.totals.all;
  rows.push(['total', a.vms, a.appliances, a.baremetal, a.vcpu, a.ramGiB, a.diskGiB]);
  lines.push(...table(['site', 'VMs', 'appliances', 'bare metal', 'vCPU', 'RAM GiB', 'disk GiB'], rows, [1, 2, 3, 4, 5, 6]));

  section('Flows');
  lines.push(`${t.flows.length} declared flows, ${t.flowMatrix.length} lines in the IP-level flow matrix (EXG_ART_1.2; \`hdsctl show --json\` has them all)`);
  return lines;
}
