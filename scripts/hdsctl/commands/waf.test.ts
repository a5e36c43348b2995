import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { runCli, scratchEnvironments, treeSnapshot } from '../testing.ts';

const ADD = [
  'waf',
  'patch',
  'add',
  '--id',
  'VP-2099-0001-struts',
  '--cve',
  'CVE-2099-0001',
  '--description',
  'Struts class loader manipulation in arguments',
  '--variables',
  'ARGS,ARGS_NAMES',
  '--contains',
  'class.module.classLoader',
  '--contains',
  'class.classLoader',
  '--added',
  '2026-11-30',
  '--expires',
  '2027-02-28',
];
const comments = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('#'));

describe('hdsctl waf patch', () => {
  it('every shipped environment with a WAF carries the Log4Shell and SSRF patches, active as of the fixture date', async () => {
    const run = await runCli(['waf', 'patch', 'list', '--json', '--today', '2026-11-23']);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<{ environment: string; id: string; ruleId: number; expired: boolean }>;
    const envs = [...new Set(rows.map((r) => r.environment))];
    expect(envs).toHaveLength(11);
    for (const e of envs)
      expect(
        rows.filter((r) => r.environment === e).map((r) => r.id),
        e,
      ).toEqual(expect.arrayContaining(['VP-2021-44228-log4shell', 'VP-ssrf-metadata']));
    expect(rows.find((r) => r.id === 'VP-2021-44228-log4shell')?.ruleId).toBe(19157);
  });

  it('add -> list shows it -> the file still validates and keeps every comment; remove gives back the same bytes', async () => {
    const dir = scratchEnvironments();
    const file = join(dir, 'production.yaml');
    const before = readFileSync(file, 'utf8');
    const add = await runCli([...ADD, '--env', 'production', '--dir', dir]);
    expect(add.stderr).toContain('added VP-2099-0001-struts (rule ');
    expect(add.code).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(comments(after)).toEqual(comments(before));
    // Only an insertion: the rest of the text is byte for byte the same.
    const doc = parse(after);
    const patch = doc.services.waf.virtualPatches.at(-1);
    expect(patch).toEqual({
      id: 'VP-2099-0001-struts',
      cve: ['CVE-2099-0001'],
      description: 'Struts class loader manipulation in arguments',
      target: { variables: ['ARGS', 'ARGS_NAMES'] },
      match: { contains: ['class.module.classLoader', 'class.classLoader'] },
      added: '2026-11-30',
      expires: '2027-02-28',
    });
    expect(after.length).toBeGreaterThan(before.length);
    const inserted = after.length - before.length;
    const at = [...before].findIndex((c, k) => after[k] !== c);
    expect(after.slice(0, at) + after.slice(at + inserted)).toBe(before);

    expect((await runCli(['validate', '--env', 'production', '--dir', dir])).code).toBe(0);
    const list = await runCli(['waf', 'patch', 'list', '--env', 'production', '--json', '--today', '2026-12-01', '--dir', dir]);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{
      id: string;
      environment: string;
      ruleId: number;
      match: { regex: string };
      expired: boolean;
      line: number;
    }>;
    expect(rows.map((r) => r.id)).toEqual(['VP-2021-44228-log4shell', 'VP-ssrf-metadata', 'VP-template-injection', 'VP-2099-0001-struts']);
    expect(rows[3]).toMatchObject({ environment: 'production', expired: false, match: { regex: '(?:class\\.module\\.classloader|class\\.classloader)' } });
    const table = await runCli(['waf', 'patch', 'list', '--env', 'production', '--today', '2026-12-01', '--dir', dir]);
    expect(table.stdout).toMatch(/production\s+VP-2099-0001-struts\s+CVE-2099-0001\s+\d{5}\s+deny 403\s+all\s+ARGS,ARGS_NAMES\s+contains/);

    const rm = await runCli(['waf', 'patch', 'remove', '--env', 'production', '--id', 'VP-2099-0001-struts', '--dir', dir]);
    expect(rm.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('add --all patches every environment with a WAF at once; list exits 2 once a patch has expired', async () => {
    const dir = scratchEnvironments();
    const run = await runCli([...ADD, '--all', '--dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(11);
    expect((await runCli(['validate', '--all', '--dir', dir])).code).toBe(0);
    const late = await runCli(['waf', 'patch', 'list', '--env', 'dev', '--today', '2027-03-01', '--dir', dir]);
    expect(late.code).toBe(2);
    expect(late.stdout).toMatch(/VP-2099-0001-struts .* EXPIRED/);
    expect(late.stderr).toContain('1 virtual patch(es) expired as of 2027-03-01: dev/VP-2099-0001-struts (2027-02-28)');
  });

  it('bad input is one located line, exit 1, and leaves every file byte for byte', async () => {
    const dir = scratchEnvironments();
    const snapshot = treeSnapshot(dir);
    const without = (flag: string) => {
      const k = ADD.indexOf(flag);
      return [...ADD.slice(0, k), ...ADD.slice(k + 2)];
    };
    const cases: Array<[string[], string]> = [
      [
        [...without('--expires'), '--expires', '2027-02-30', '--env', 'production'],
        'error: --expires: "2027-02-30" is not a calendar date (no such month or day); use YYYY-MM-DD (e.g. --expires 2027-05-31)',
      ],
      [
        [...without('--expires'), '--expires', '31/05/2027', '--env', 'production'],
        'error: --expires: "31/05/2027" is not a date; use YYYY-MM-DD (e.g. --expires 2027-05-31)',
      ],
      [
        [...without('--expires'), '--expires', '2026-11-01', '--env', 'production'],
        'error: --expires: "2026-11-01" is not after the day the patch is added (2026-11-30); give a later review date (e.g. 6 months ahead)',
      ],
      [
        [...without('--id'), '--id', 'VP-2021-44228-log4shell', '--env', 'production'],
        'error: --id: "VP-2021-44228-log4shell" is already a patch of production (production.yaml:',
      ],
      [[...ADD, '--env', 'nope'], 'error: --env: "nope" is not an environment of'],
      [[...without('--variables'), '--variables', 'ARGS,TX', '--env', 'production'], 'error: --variables: unknown variable "TX"; use one of: REQUEST_HEADERS,'],
      [
        [...ADD.slice(0, 11), ...ADD.slice(15), '--regex', 'a"b', '--env', 'production'],
        'error: --regex: the regex holds a double quote; write \\x22 for a double quote',
      ],
      [
        [...ADD.slice(0, 11), ...ADD.slice(15), '--regex', 'a\nSecRuleEngine Off', '--env', 'production'],
        'error: --regex: the regex holds a control character (a newline?); write it on one line; match a newline with \\n',
      ],
      [[...ADD.slice(0, 11), ...ADD.slice(15), '--regex', '(unclosed', '--env', 'production'], 'error: --regex: the regex does not compile: '],
      [
        [...without('--description'), '--description', 'x\ny', '--env', 'production'],
        'error: --description: "x\\ny" is not accepted; use up to 300 printable characters',
      ],
      [
        [...without('--cve'), '--env', 'production'],
        'error: --cve: patch VP-2099-0001-struts has neither a CVE nor a justification; give --cve CVE-YYYY-NNNN, or --justification "why"',
      ],
      [[...ADD, '--signature', 'log4shell', '--env', 'production'], 'error: --signature and --contains: give exactly one way to match'],
      [
        [...ADD, '--route', 'DELETE /documents', '--env', 'production'],
        '/services/waf/virtualPatches: the WAF renderer refuses the patches for production-dc1-waf-node-01: virtual patch VP-2099-0001-struts: route "DELETE /documents" is not a declared route',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli([...args, '--dir', dir]);
      expect(run.code, message).toBe(1);
      expect(run.stderr.replaceAll(`${dir}/`, ''), message).toContain(message);
      expect(run.stderr.trim().split('\n'), message).toHaveLength(1);
    }
    expect(treeSnapshot(dir)).toBe(snapshot);
  });

  it('a derived rule id collision is refused with a free id to use, which then works', async () => {
    const dir = scratchEnvironments();
    const first = await runCli([...ADD.slice(0, 3), ...ADD.slice(5), '--id', 'VP-test-5', '--env', 'dev', '--dir', dir]);
    expect(first.code).toBe(0);
    const clash = await runCli([...ADD.slice(0, 3), ...ADD.slice(5), '--id', 'VP-test-58', '--env', 'dev', '--dir', dir]);
    expect(clash.code).toBe(1);
    expect(clash.stderr.trim()).toBe(
      'error: --id: patch VP-test-58 gets rule id 19956, already used by VP-test-5 (environment dev); rename the patch, or give --rule-id 19100',
    );
    const ok = await runCli([...ADD.slice(0, 3), ...ADD.slice(5), '--id', 'VP-test-58', '--rule-id', '19100', '--env', 'dev', '--dir', dir]);
    expect(ok.code).toBe(0);
  });

  it('removing the last patch leaves an empty list that validates; removing an unknown id is an error', async () => {
    const dir = scratchEnvironments();
    for (const id of ['VP-2021-44228-log4shell', 'VP-ssrf-metadata', 'VP-template-injection'])
      expect((await runCli(['waf', 'patch', 'remove', '--env', 'lab', '--id', id, '--dir', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'lab.yaml'), 'utf8')).toMatch(/\n {4}virtualPatches: \[\]\n {2}hsm:/);
    expect((await runCli(['validate', '--env', 'lab', '--dir', dir])).code).toBe(0);
    const snapshot = treeSnapshot(dir);
    const missing = await runCli(['waf', 'patch', 'remove', '--env', 'lab', '--id', 'VP-ssrf-metadata', '--dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('error: --id: "VP-ssrf-metadata" is not a patch of lab; see hdsctl waf patch list');
    // And a patch can be added back to the empty list.
    expect((await runCli([...ADD, '--env', 'lab', '--dir', dir])).code).toBe(0);
    expect(parse(readFileSync(join(dir, 'lab.yaml'), 'utf8')).services.waf.virtualPatches).toHaveLength(1);
    expect(treeSnapshot(dir)).not.toBe(snapshot);
  });

  it('hdsctl validate reports a bad patch written by hand as one located line per problem', async () => {
    const dir = scratchEnvironments();
    const file = join(dir, 'production.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const base = {
      id: 'VP-2099-0002-demo',
      cve: ['CVE-2099-0002'],
      description: 'demo',
      target: { variables: ['ARGS'] },
      added: '2026-11-30',
      expires: '2027-05-31',
    };
    doc.setIn(
      ['services', 'waf', 'virtualPatches'],
      [
        { ...base, match: { regex: 'a"b' } },
        { ...base, id: 'VP-2099-0003-demo', target: { variables: ['NOPE'] }, match: { signature: 'log4shell' }, expires: '2027-13-01' },
      ],
    );
    writeFileSync(file, doc.toString());
    const run = await runCli(['validate', '--env', 'production', '--dir', dir]);
    expect(run.code).toBe(1);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(`${dir}/`, ''));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^production\.yaml:\d+:\d+ \/services\/waf\/virtualPatches\/0\/match\/regex: the regex holds a double quote \(write \\x22 for a double quote\) \[EXG_WAF_1\]$/,
    );
    expect(lines[1]).toMatch(
      /^production\.yaml:\d+:\d+ \/services\/waf\/virtualPatches\/1\/target\/variables\/0: unknown variable "NOPE" \(use one of: REQUEST_HEADERS, /,
    );
    expect(lines[2]).toMatch(
      /^production\.yaml:\d+:\d+ \/services\/waf\/virtualPatches\/1\/expires: expires "2027-13-01" is not a calendar date \(no such month or day\) \(use YYYY-MM-DD, e\.g\. expires: 2027-05-31\) \[EXG_WAF_1\]$/,
    );
  });
});
