/** `hdsctl drill`: bad input is one located line, exit 1, and nothing is started or written. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing.ts';
import { parseCampaign } from './drill.ts';

describe('hdsctl drill', () => {
  it('list names every fault kind and which need a site', async () => {
    const r = await runCli(['drill', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; needsSite: boolean }>;
    expect(rows.map((x) => x.kind)).toEqual(expect.arrayContaining(['site-loss', 'partition', 'postmaster-crash', 'patroni-crash', 'switchover']));
    expect(rows.find((x) => x.kind === 'site-loss')!.needsSite).toBe(true);
  });

  it('refuses an unknown kind, a bad site, hold, repeat or rate with the flag and the value, before touching the lab', async () => {
    const bad = await runCli(['drill', 'run', 'meteor', '--hold', 'abc', '--site', 'DC9', '--rate', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"meteor" is not');
    expect(bad.stderr).toContain('--hold: "abc" is not a whole number');
    expect(bad.stderr).toContain('--site: "DC9"');
    expect(bad.stderr).toContain('--rate: "0" is out of range');
    const noSite = await runCli(['drill', 'run', 'site-loss']);
    expect(noSite.code).toBe(1);
    expect(noSite.stderr).toContain('--site is required for site-loss');
  });

  it('refuses production: only environments of platform lab', async () => {
    const r = await runCli(['drill', 'run', 'partition', '--env', 'production']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not on the local lab/);
  });

  it('a campaign file is checked whole, every error located by JSON pointer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-drill-'));
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'faults:\n  - { kind: site-loss, hold: 30 }\n  - { kind: partition, hold: -1 }\n  - { kind: nope, hold: 1 }\n');
    const r = await runCli(['drill', 'campaign', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/name: a campaign needs a name');
    expect(r.stderr).toContain('/faults/0/site: site-loss needs a site');
    expect(r.stderr).toContain('/faults/1/hold: -1 is not a whole number of seconds');
    expect(r.stderr).toContain('/faults/2/kind: "nope" is not a fault kind');
    const missing = await runCli(['drill', 'campaign', join(dir, 'absent.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });

  it('a combined fault (whileHealing) needs a previous fault', () => {
    expect(() => parseCampaign('c.yaml', 'name: x\nfaults:\n  - { kind: partition, hold: 5, whileHealing: true }\n')).toThrow(/\/faults\/0\/whileHealing: the first fault has no previous fault/);
    const c = parseCampaign('c.yaml', 'name: x\nfaults:\n  - { kind: site-loss, site: DC1, hold: 30 }\n  - { kind: postmaster-crash, hold: 10, whileHealing: true }\n');
    expect(c.faults[1]).toEqual({ kind: 'postmaster-crash', holdSeconds: 10, whileHealing: true });
  });

  it('parses repeats into as many faults', () => {
    const c = parseCampaign('c.yaml', 'name: Exercice\nrate: 4\nfaults:\n  - { kind: site-loss, site: DC1, hold: 30, repeat: 3 }\n  - { kind: switchover, hold: 10 }\n');
    expect(c.rate).toBe(4);
    expect(c.faults.map((f) => `${f.kind}:${f.site ?? ''}:${f.holdSeconds}`)).toEqual(['site-loss:DC1:30', 'site-loss:DC1:30', 'site-loss:DC1:30', 'switchover::10']);
  });

  it('report refuses a run that does not exist, naming where runs are', async () => {
    const r = await runCli(['drill', 'report', 'no-such-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no PV in .*drills\/no-such-run/);
  });
});
