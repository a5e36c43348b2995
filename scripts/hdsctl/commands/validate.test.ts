import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editYaml, runCli, scratchEnvironments } from '../testing.ts';

/** Snapshot of a directory (names, sizes, mtimes) to prove validate writes nothing. */
function listing(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      const s = statSync(p);
      return s.isDirectory() ? walk(p) : [`${p}:${s.size}:${s.mtimeMs}`];
    });
  return walk(dir).sort();
}

async function validateWith(mutate: (dir: string) => void, args: string[] = ['--all']) {
  const dir = scratchEnvironments();
  mutate(dir);
  const before = listing(dir);
  const run = await runCli(['validate', ...args, '--dir', dir]);
  expect(listing(dir)).toEqual(before);
  return {
    ...run,
    lines: run.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(`${dir}/`, '')),
  };
}

describe('hdsctl validate', () => {
  it('accepts every shipped template (exit 0)', async () => {
    const run = await runCli(['validate', '--all']);
    expect(run.stderr).toContain('ok: 11 environment(s) valid');
    expect(run.code).toBe(0);
  });

  it('reports invalid YAML with its position', async () => {
    const r = await validateWith((d) => appendFileSync(join(d, 'dev.yaml'), 'services: [unclosed\n'));
    expect(r.code).toBe(1);
    expect(r.lines.some((l) => /^dev\.yaml:\d+:\d+ \/: invalid YAML: /.test(l))).toBe(true);
  });

  it('reports an unclosed quote at its opening quote, a duplicate key by name, an alias bomb in its own file only', async () => {
    const quote = await validateWith((d) => writeFileSync(join(d, 'dev.yaml'), readFileSync(join(d, 'dev.yaml'), 'utf8').replace('class: dev', 'class: "dev')));
    expect(quote.lines).toEqual([
      'dev.yaml:5:8 /class: unclosed double quote: the string that starts here is never closed (close it with " on the same line, or remove the opening quote)',
    ]);
    const dup = await validateWith((d) => appendFileSync(join(d, 'demo.yaml'), 'name: other\n'));
    expect(dup.lines).toEqual(['demo.yaml:91:1 /name: duplicate key "name" (first at line 4; keep one of them)']);
    const bomb = await validateWith((d) =>
      writeFileSync(
        join(d, 'bomb.yaml'),
        [
          'a: &a [x, x, x, x, x, x, x, x, x]',
          'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
          'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
          'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
          '',
        ].join('\n'),
      ),
    );
    expect(bomb.lines).toEqual([
      'bomb.yaml:4:5 /d/0: too many YAML aliases: more than 100 expansions, *c alone stands for 820 nodes (an alias bomb? aliases of aliases multiply: write the values out or nest fewer aliases)',
    ]);
    expect(bomb.code).toBe(1);
    expect(bomb.stderr).toContain('1 error(s); nothing was written');
  });

  it('reports schema errors: unknown property and value out of the enum, all at once', async () => {
    const r = await validateWith((d) => {
      editYaml(join(d, 'dev.yaml'), ['services', 'postgresql', 'replikation'], 'synchronous');
      editYaml(join(d, 'dev.yaml'), ['class'], 'staging');
    });
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'dev.yaml:5:1 /class: value "staging" is not allowed (use one of: production, preprod, certification, recette, formation, demo, integration, bench, dev, lab)',
    );
    expect(r.lines).toContain(
      'dev.yaml:26:5 /services/postgresql/replikation: unknown property "replikation" (known properties here: replication, onStandbyLoss, witnessSite, node, witness, domains)',
    );
    expect(r.lines).toHaveLength(2);
  });

  it('reports overlapping address blocks between two environments', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'demo.yaml'), ['network', 'slot'], 4));
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      'formation.yaml:10:3 /network/slot: address block 10.39.64.0/20 (slot 4) overlaps environment demo (slot 4) (pick a free slot (hdsctl env new picks one for you)) [EXG_PSE_4]',
    ]);
  });

  it('reports overlapping class supernets', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'platforms', 'national.yaml'), ['network', 'non-production', 'supernet'], '10.38.128.0/17'));
    expect(r.lines).toContain(
      'platforms/national.yaml:46:5 /network/non-production/supernet: non-production supernet 10.38.128.0/17 overlaps production supernet 10.38.0.0/16 (production and non-production never share a network: give them disjoint supernets) [EXG_PSE_4]',
    );
    expect(r.code).toBe(1);
  });

  it('reports a VLAN used twice on a site', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'dev.yaml'), ['network', 'vlans'], { DC1: { front: 1500, back: 1500 } }));
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(['dev.yaml:14:7 /network/vlans/DC1/back: VLAN 1500 is used twice on DC1 (zones front and back) (give each zone its own VLAN)']);
  });

  it('reports a VLAN of one environment reused by another on the same site', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'dev.yaml'), ['network', 'vlans'], { DC2: { front: 1000 } }));
    expect(r.lines).toContain(
      'dev.yaml:13:7 /network/vlans/DC2/front: VLAN 1000 on DC2 (zone front) is already used by preprod-n zone front (use a VLAN id free on that site, or let the slot choose it)',
    );
  });

  it('reports a service placed on a site that does not exist', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'dev.yaml'), ['services', 'kafka', 'sites'], ['DC1', 'DC9']));
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'dev.yaml:29:9 /services/kafka/sites/1: service placed on site "DC9", which the environment does not use (use one of the environment\'s sites: DC1, DC2, DC3, or add DC9 to sites)',
    );
  });

  it('reports an environment site unknown to the platform', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'dev.yaml'), ['sites'], ['DC1', 'DC2', 'DC4']));
    expect(r.lines).toContain('dev.yaml:11:5 /sites/2: site "DC4" does not exist on platform "national" (use one of: DC1, DC2, DC3)');
  });

  it('reports anti-affinity that cannot be met', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'lab.yaml'), ['services', 'waf', 'perSite'], 3));
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'lab.yaml:27:14 /services/waf/sites/0: anti-affinity cannot be met: group waf-dc1 needs 3 distinct nodes on lab-dc1, which has 2 (add nodes to the hypervisor cluster or lower the member count on that site)',
    );
  });

  it('reports production sharing a bridge, a firewall or a hypervisor cluster with non-production', async () => {
    const r = await validateWith((d) => {
      const f = join(d, 'platforms', 'national.yaml');
      editYaml(f, ['securityChains', 3, 'bridge'], 'zprod');
      editYaml(f, ['securityChains', 4, 'firewall'], 'fw-dc2-prod');
      editYaml(f, ['hypervisorClusters', 3, 'name'], 'pve-dc1-prod');
    });
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'platforms/national.yaml:145:7 /securityChains/3/bridge: bridge "zprod" is shared by production (chain chain-dc1-prod) and non-production (chain chain-dc1-nonprod) (production needs its own bridge; only anti-DDoS may be shared) [EXG_PSE_2, EXG_PSE_4, EXG_PSE_5]',
    );
    expect(r.lines).toContain(
      'platforms/national.yaml:151:7 /securityChains/4/firewall: firewall "fw-dc2-prod" is shared by production (chain chain-dc2-prod) and non-production (chain chain-dc2-nonprod) (production needs its own firewall; only anti-DDoS may be shared) [EXG_PSE_2, EXG_PSE_4, EXG_PSE_5]',
    );
    expect(r.lines).toContain(
      'platforms/national.yaml:79:7 /hypervisorClusters/3/name: hypervisor cluster pve-dc1-prod is shared by production and non-production (give production its own hypervisor cluster) [EXG_PSE_2, EXG_PSE_4, EXG_PSE_5]',
    );
  });

  it('reports a backup site closer than 150 km (EXG_PSE_1)', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'platforms', 'national.yaml'), ['sites', 2, 'location'], { lat: 49.6, lon: 2.25 }));
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'platforms/national.yaml:37:5 /sites/2/location: backup site DC3 is 78 km from DC1, less than 150 km (choose a backup site at least 150 km from every primary datacenter) [EXG_PSE_1, EXG_PRA_1]',
    );
    expect(r.lines).toContain(
      'platforms/national.yaml:37:5 /sites/2/location: backup site DC3 is 106 km from DC2, less than 150 km (choose a backup site at least 150 km from every primary datacenter) [EXG_PSE_1, EXG_PRA_1]',
    );
  });

  it('reports a primary and its synchronous standby in the same site (EXG_PCA_2)', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'production.yaml'), ['services', 'postgresql', 'domains', 1, 'standbySite'], 'DC2'));
    expect(r.code).toBe(1);
    expect(r.lines).toContain(
      'production.yaml:35:46 /services/postgresql/domains/1/standbySite: domain documents: primary and synchronous standby are both in DC2 (put the standby in the other primary datacenter so a site loss loses no data) [EXG_PCA_2]',
    );
  });

  it('reports address exhaustion', async () => {
    const r = await validateWith((d) => editYaml(join(d, 'dev.yaml'), ['network', 'slot'], 16));
    expect(r.lines).toContain(
      'dev.yaml:10:3 /network/slot: slot 16 is outside 10.39.0.0/16, which holds 16 environment blocks of /20 (slots 0-15) (pick a free slot inside the supernet (hdsctl env new picks one for you) or enlarge the supernet)',
    );
  });

  it('--env checks one environment and says so; unknown environments are one clear line', async () => {
    const ok = await runCli(['validate', '--env', 'production']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('ok: 1 environment(s) valid (production)');
    const bad = await runCli(['validate', '--env', 'prodution']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'error: --env: "prodution" is not an environment of environments (known: bench, certification, demo, dev, formation, integration, lab, preprod-n, preprod-n1, production, recette); use one of them, or create it with `hdsctl env new --from <template> --name prodution`',
    );
  });

  it('--json gives the errors as data', async () => {
    const dir = scratchEnvironments();
    editYaml(join(dir, 'dev.yaml'), ['services', 'kafka', 'sites'], ['DC1', 'DC9']);
    const r = await runCli(['validate', '--all', '--json', '--dir', dir]);
    const json = JSON.parse(r.stdout);
    expect(json.ok).toBe(false);
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0]).toMatchObject({ pointer: '/services/kafka/sites/1', code: 'E_SITE_UNKNOWN', line: 29, col: 9 });
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'dev.yaml'), 'utf8')).toContain('DC9');
  });
});
