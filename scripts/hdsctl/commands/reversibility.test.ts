/**
 * hdsctl reversibility: bad input gets one line naming the flag, exit 1, and nothing is touched
 * (no lab is needed to be refused; the refusals come before anything runs).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'hds-rev-cli-'));

describe('hdsctl reversibility refusals', () => {
  it('export: --out is required; a --recipient that is not a file is named; nothing is created', async () => {
    const noOut = await runCli(['reversibility', 'export']);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toMatch(/--out/);
    const d = scratch();
    const out = join(d, 'export');
    const r = await runCli(['reversibility', 'export', '--out', out, '--recipient', join(d, 'missing.pem')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--recipient: ".*missing\.pem" does not exist/);
    expect(existsSync(out)).toBe(false);
    const scope = await runCli(['reversibility', 'export', '--out', out, '--platform', 'some']);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toMatch(/--platform: "some"/);
  });

  it('verify: a directory that does not exist is named (exit 1); a directory that is not a signed export is a finding (exit 2)', async () => {
    const d = scratch();
    const missing = await runCli(['reversibility', 'verify', join(d, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    writeFileSync(join(d, 'data.csv'), 'a,b\n');
    const unsigned = await runCli(['reversibility', 'verify', d]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stdout).toMatch(/SHA256SUMS/);
    expect(readdirSync(d)).toEqual(['data.csv']);
  });

  it('import: the key and the certificate go together; --slot is a number from 1 to 15', async () => {
    const d = scratch();
    mkdirSync(join(d, 'export'));
    writeFileSync(join(d, 'key.pem'), 'x');
    const half = await runCli(['reversibility', 'import', '--from', join(d, 'export'), '--work', join(d, 'work'), '--recipient-key', join(d, 'key.pem')]);
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/--recipient-key and --recipient-cert go together/);
    const slot = await runCli(['reversibility', 'import', '--from', join(d, 'export'), '--work', join(d, 'work'), '--slot', '0']);
    expect(slot.code).toBe(1);
    expect(slot.stderr).toMatch(/--slot: "0" is out of range/);
    expect(existsSync(join(d, 'work'))).toBe(false);
  });

  it('destroy: refused without --confirm, with another name, nothing touched', async () => {
    const d = scratch();
    const none = await runCli(['reversibility', 'destroy'], { HDS_STATE_DIR: d });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--confirm is required: give --confirm lab/);
    const other = await runCli(['reversibility', 'destroy', '--confirm', 'production'], { HDS_STATE_DIR: d });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/does not match the environment "lab"/);
    expect(readdirSync(d)).toEqual([]);
  });
});
