/**
 * `hdsctl baremetal seeds --env NAME [--out DIR] [--uplinks LIST] [--bond-mode MODE] [--json]`:
 * the cloud-init NoCloud seed of every bare-metal server of an environment (the Ceph OSD hosts;
 * issue 13), `<out>/<host>/{user-data,meta-data,network-config}` with `SHA256SUMS`, for the
 * servers' installer: served over HTTP (`ds=nocloud-net;s=http://<seed-server>/<host>/`) or burned
 * on a seed ISO labelled `cidata` (docs/storage.md, "Production hosts").
 *
 * The user-data is the VMs' own (modules/proxmox/cloudinit/userData.ts) with the stacks' hook and
 * options (stacks/serviceConfig.ts, stacks/options.ts: HDS_DNS_DOMAIN, HDS_SECRET_STORE,
 * HDS_ADMIN_SSH_KEYS), so a server gets exactly what the policies judge. Every argument is checked
 * and every seed rendered before anything is written; the output directory is replaced in one
 * rename, and only when it is absent, empty or written by this command (modules/loader/safeOutput.ts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { checkReplaceableDir, type OutputTarget, replaceOutputDir } from '../../../modules/loader/safeOutput.ts';
import type { Topology } from '../../../modules/model/topology.ts';
import {
  type BareMetalNetworkOptions,
  bareMetalHosts,
  DEFAULT_BAREMETAL_NETWORK,
  INTERFACE_NAME,
  type NoCloudSeed,
  noCloudSeeds,
  SEED_FILES,
  seedContents,
} from '../../../modules/proxmox/cloudinit/nocloud.ts';
import { stackOptionsFromEnv } from '../../../stacks/options.ts';
import { ArgProblem, checkOptions, environmentsDir, oneOf, outputPath, text } from '../args.ts';
import { bold, CliError, EXIT_OK, green, log, out, printJson } from '../output.ts';
import { table } from '../table.ts';
import { evaluateEnvironments } from '../workspace.ts';

const DEFAULT_OUT = 'out/baremetal-seeds';
const COMMAND = 'baremetal seeds';
const BOND_MODES = ['802.3ad', 'active-backup'] as const;

/** `--uplinks eno1,eno2`: interface names, distinct. */
const uplinks = (raw: string, flag: string): string[] => {
  const list = raw.split(',').map((s) => s.trim());
  const fix = `give the server's ports cabled to the switches, comma-separated interface names (e.g. ${flag} ${DEFAULT_BAREMETAL_NETWORK.uplinks.join(',')})`;
  const bad = list.find((n) => !INTERFACE_NAME.test(n) || n === DEFAULT_BAREMETAL_NETWORK.bond);
  if (bad !== undefined) throw new ArgProblem(`${JSON.stringify(raw)} holds ${JSON.stringify(bad)}, not a port name (up to 15 letters, digits, _ . -); ${fix}`);
  const dup = list.find((n, k) => list.indexOf(n) !== k);
  if (dup) throw new ArgProblem(`${JSON.stringify(raw)} names ${JSON.stringify(dup)} twice; ${fix}`);
  return list;
};

/** Environments with bare-metal servers, for the fixes. */
const withBareMetal = (topologies: Map<string, Topology>): string[] =>
  [...topologies.entries()]
    .filter(([, t]) => bareMetalHosts(t).length)
    .map(([n]) => n)
    .sort();

interface SeedsOptions {
  env?: string;
  out: string;
  uplinks?: string;
  bondMode?: string;
  dir?: string;
  json?: boolean;
}

function seeds(opts: SeedsOptions, setExit: (code: number) => void): void {
  const a = checkOptions(opts, {
    env: { check: text(64, 'production'), required: 'name the environment (e.g. hdsctl baremetal seeds --env production)' },
    out: outputPath(DEFAULT_OUT),
    uplinks,
    bondMode: oneOf(BOND_MODES, 'bonding mode'),
    dir: environmentsDir,
  });
  const target: OutputTarget = { command: COMMAND, flag: '--out', value: a.out!, example: DEFAULT_OUT };
  checkReplaceableDir(a.out!, target);
  let stack: ReturnType<typeof stackOptionsFromEnv>;
  try {
    stack = stackOptionsFromEnv(process.env, { backend: 'local' });
  } catch (e) {
    throw new CliError(`${(e as Error).message}; nothing was written`);
  }
  const evaluation = evaluateEnvironments({ dir: a.dir }, a.env);
  if (evaluation.diagnostics.length)
    throw new CliError(
      `the environments are not valid, nothing was written (hdsctl validate --env ${a.env}):\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  const t = evaluation.topologies.get(a.env)!;
  if (!bareMetalHosts(t).length) {
    const others = withBareMetal(evaluation.topologies);
    throw new CliError(
      `--env: "${a.env}" has no bare-metal server (Ceph OSD hosts come with services.ceph); ${others.length ? `use one of: ${others.join(', ')}` : 'no environment declares one'}`,
    );
  }
  const network: BareMetalNetworkOptions = {
    ...DEFAULT_BAREMETAL_NETWORK,
    ...(a.uplinks ? { uplinks: a.uplinks } : {}),
    ...(a.bondMode ? { bondMode: a.bondMode } : {}),
  };
  let rendered: NoCloudSeed[];
  try {
    rendered = noCloudSeeds({ topology: t, options: stack.proxmox, configFor: stack.configFor, network });
  } catch (e) {
    // A renderer's refusal (an inline secret, a file escaping its root, two files on one path): one line, nothing written.
    throw new CliError(`${a.env}: ${(e as Error).message.split('\n')[0]}; nothing was written`);
  }
  const sums: string[] = [];
  const { dir } = replaceOutputDir(a.out!, target, (staging) => {
    for (const s of rendered) {
      mkdirSync(join(staging, s.host));
      for (const f of SEED_FILES) {
        writeFileSync(join(staging, s.host, f), s.files[f]);
        sums.push(`${createHash('sha256').update(s.files[f]).digest('hex')}  ${s.host}/${f}`);
      }
    }
    writeFileSync(join(staging, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  });
  const outdir = displayPath(dir);
  const rows = rendered.map((s) => ({
    host: s.host,
    site: s.site,
    service: s.service,
    role: s.role,
    instanceId: s.instanceId,
    directory: join(outdir, s.host),
    ...seedContents(s),
  }));
  if (opts.json) printJson({ ok: true, environment: a.env, outdir, network, seeds: rows });
  else {
    out(
      bold(
        `NoCloud seeds of ${a.env} in ${outdir} (serve ${outdir}/ over HTTP: ds=nocloud-net;s=http://<seed-server>/<host>/, or burn each on an ISO labelled cidata)`,
        process.stdout,
      ),
    );
    out(
      table(
        ['host', 'site', 'role', 'instance-id', 'files', 'with placeholders'],
        rows.map((r) => [r.host, r.site, `${r.service} ${r.role}`, r.instanceId, r.paths.length, r.withPlaceholders.length]),
        [4, 5],
      ).join('\n'),
    );
  }
  const secretHosts = rows.filter((r) => r.withPlaceholders.length).map((r) => r.host);
  if (secretHosts.length)
    log(
      `note: ${secretHosts.join(', ')}: hds-secrets waits at first boot for a wrapped secret-id in /run/hds/bao-wrapped-secret-id (no guest agent on bare metal: deliver it through the bastion or the BMC console)`,
    );
  log(green(`ok: ${rendered.length} seed(s), ${rendered.length * SEED_FILES.length} files and SHA256SUMS`));
  setExit(EXIT_OK);
}

export function register(program: Command, setExit: (code: number) => void): void {
  const baremetal = program
    .command('baremetal')
    .description('bare-metal servers (Ceph OSD hosts): their file channel, cloud-init NoCloud seeds')
    .exitOverride();
  baremetal
    .command('seeds')
    .description(
      "write the cloud-init NoCloud seed of every bare-metal server of an environment: the VMs' own user-data (the same renderers), meta-data (instance-id = digest of the files) and network-config (bond, a VLAN per NIC of the model)",
    )
    .option('--env <name>', 'the environment (required)')
    .option(
      '--out <dir>',
      'output directory, replaced atomically (<host>/{user-data,meta-data,network-config} and SHA256SUMS); only an absent or empty one, or one this command wrote (marker .hdsctl-output)',
      DEFAULT_OUT,
    )
    .option('--uplinks <names>', `the servers' ports bonded to the switches, comma-separated (default: ${DEFAULT_BAREMETAL_NETWORK.uplinks.join(',')})`)
    .option('--bond-mode <mode>', `${BOND_MODES.join(' | ')} (default: ${DEFAULT_BAREMETAL_NETWORK.bondMode})`)
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'the summary as JSON on stdout')
    .exitOverride()
    .action((opts: SeedsOptions) => seeds(opts, setExit));
}
