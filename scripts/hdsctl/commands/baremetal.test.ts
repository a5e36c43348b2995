/**
 * `hdsctl baremetal seeds`: bad flags are one line and change nothing; the seeds of every
 * bare-metal server (and of nothing else) are written atomically with their hashes, only into a
 * directory the command owns, with the stacks' own user-data.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { evaluate, loadWorkspace } from '../../../modules/loader/load.ts';
import { bareMetalHosts, noCloudSeed, SEED_FILES } from '../../../modules/proxmox/cloudinit/nocloud.ts';
import type { WriteFile } from '../../../modules/proxmox/cloudinit/userData.ts';
import { guestFiles } from '../../../modules/services/fromTopology/index.ts';
import { CEPH_PATHS } from '../../../modules/services/fromTopology/paths.ts';
import { PRODUCTION } from '../../../modules/services/fromTopology/profile.ts';
import { stackOptionsFromEnv } from '../../../stacks/options.ts';
import { REPO_ENVIRONMENTS, runCliIn, scratchProject, treeSnapshot } from '../testing.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const prod = evaluate(loadWorkspace(REPO_ENVIRONMENTS)).topologies.get('production')!;

describe('hdsctl baremetal seeds', { timeout: 120_000 }, () => {
  it('refuses bad flags with one line, exit 1, and changes nothing', async () => {
    const p = scratchProject();
    mkdirSync(join(p, 'mine'));
    writeFileSync(join(p, 'mine', 'plan.md'), '# mine\n');
    const cases: Array<[string[], string | RegExp]> = [
      [[], 'error: --env is required; name the environment (e.g. hdsctl baremetal seeds --env production)'],
      [['--env', 'nope'], /^error: --env: "nope" is not an environment of environments \(known: bench, certification, .*production.*\); /],
      [
        ['--env', 'dev'],
        /^error: --env: "dev" has no bare-metal server \(Ceph OSD hosts come with services\.ceph\); use one of: bench, certification, .*production/,
      ],
      [
        ['--env', 'production', '--out', 'environments'],
        'error: --out: "environments" holds environment files; baremetal seeds replaces its whole output directory: give a dedicated directory (e.g. --out out/baremetal-seeds)',
      ],
      [
        ['--env', 'production', '--out', 'notes.txt'],
        'error: --out: "notes.txt" is an existing file, expected a directory; give a directory path (e.g. --out out/baremetal-seeds) or remove the file',
      ],
      [
        ['--env', 'production', '--out', 'mine'],
        'error: --out: "mine" is a non-empty directory that baremetal seeds did not write (no .hdsctl-output marker); give a new or empty directory (e.g. --out out/baremetal-seeds), or remove it first',
      ],
      [['--env', 'production', '--out', ''], /^error: --out: "" is empty; give a directory path/],
      [['--env', 'production', '--uplinks', 'eno1,eno 2'], /^error: --uplinks: "eno1,eno 2" holds "eno 2", not a port name .*\(e\.g\. --uplinks eno1,eno2\)$/],
      [['--env', 'production', '--uplinks', 'eno1,eno1'], /^error: --uplinks: "eno1,eno1" names "eno1" twice; /],
      [
        ['--env', 'production', '--bond-mode', 'lacp'],
        'error: --bond-mode: "lacp" is not a known bonding mode; use one of: 802.3ad, active-backup (e.g. --bond-mode 802.3ad)',
      ],
    ];
    for (const [args, message] of cases) {
      const before = treeSnapshot(p);
      const run = await runCliIn(p, ['baremetal', 'seeds', ...args]);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      if (typeof message === 'string') expect(run.stderr.trim()).toBe(message);
      else expect(run.stderr.trim()).toMatch(message);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(treeSnapshot(p)).toBe(before);
    }
  });

  it("writes every bare-metal server's seed with the stacks' user-data and SHA256SUMS, and replaces only its own output", async () => {
    const p = scratchProject();
    const run = await runCliIn(p, ['baremetal', 'seeds', '--env', 'production', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ok: 9 seed\(s\), 27 files and SHA256SUMS/);
    // The bootstrap plan (S3 keys as placeholders) is on the first monitor: its operator is told how the secret-id arrives.
    expect(run.stderr).toMatch(/note: production-dc1-ceph-osd-01: hds-secrets waits at first boot .* through the bastion or the BMC console/);
    const report = JSON.parse(run.stdout) as {
      outdir: string;
      seeds: Array<{ host: string; instanceId: string; paths: string[]; withPlaceholders: string[] }>;
    };
    expect(report.outdir).toBe('out/baremetal-seeds');
    const hosts = bareMetalHosts(prod).map((g) => g.name);
    expect(report.seeds.map((s) => s.host)).toEqual(hosts);
    const root = join(p, 'out', 'baremetal-seeds');
    expect(readdirSync(root).sort()).toEqual(['.hdsctl-output', 'SHA256SUMS', ...hosts].sort());
    // The very seed the pure function gives with the stacks' hook and options (what `synth` gives the VMs).
    const stack = stackOptionsFromEnv(process.env, { backend: 'local' });
    for (const g of bareMetalHosts(prod)) {
      expect(readdirSync(join(root, g.name)).sort()).toEqual([...SEED_FILES].sort());
      const seed = noCloudSeed({ topology: prod, options: stack.proxmox, configFor: stack.configFor }, g);
      for (const f of SEED_FILES) expect(readFileSync(join(root, g.name, f), 'utf8'), `${g.name}/${f}`).toBe(seed.files[f]);
      expect(report.seeds.find((s) => s.host === g.name)!.instanceId).toBe(seed.instanceId);
      if (g.role === 'osd') {
        const files = (parse(seed.files['user-data']) as { write_files: WriteFile[] }).write_files;
        const conf = Buffer.from(files.find((f) => f.path === CEPH_PATHS.config)!.content, 'base64').toString('utf8');
        expect(conf).toBe(guestFiles(prod, g, PRODUCTION)[0]!.content);
      }
    }
    expect(report.seeds.find((s) => s.host === 'production-dc1-ceph-osd-01')!.withPlaceholders).toEqual([CEPH_PATHS.bootstrapPlan]);
    const sums = readFileSync(join(root, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums).toHaveLength(hosts.length * SEED_FILES.length);
    for (const line of sums) {
      const [hash, rel] = line.split('  ');
      expect(
        createHash('sha256')
          .update(readFileSync(join(root, rel!)))
          .digest('hex'),
      ).toBe(hash);
    }
    // The next run replaces its own directory whole: stale files go, other uplinks give another network-config and instance-id.
    writeFileSync(join(root, 'stale'), 'x\n');
    const before = readFileSync(join(root, hosts[0]!, 'meta-data'), 'utf8');
    const again = await runCliIn(p, ['baremetal', 'seeds', '--env', 'production', '--uplinks', 'ens1f0np0,ens1f1np1', '--bond-mode', 'active-backup']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^NoCloud seeds of production in out\/baremetal-seeds/);
    expect(again.stdout).toMatch(/\nproduction-dc2-ceph-osd-03 +DC2 +ceph osd +hds-[0-9a-f]{16} +\d+ +0$/m);
    expect(existsSync(join(root, 'stale'))).toBe(false);
    const net = parse(readFileSync(join(root, hosts[0]!, 'network-config'), 'utf8'));
    expect(net.bonds.bond0).toMatchObject({ interfaces: ['ens1f0np0', 'ens1f1np1'], parameters: { mode: 'active-backup' } });
    expect(readFileSync(join(root, hosts[0]!, 'meta-data'), 'utf8')).not.toBe(before);
  });
});
