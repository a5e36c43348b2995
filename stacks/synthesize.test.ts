/** Atomic synthesis: a failed synthesis leaves the previous output as it was, and no temporary directory. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import { MARKER, OutputError } from '../modules/loader/safeOutput.ts';
import { stackOptionsFromEnv } from './options.ts';
import { synthesizeTo, VerificationError } from './synthesize.ts';
import { ENVIRONMENTS_DIR } from './testing.ts';

const ev = evaluate(loadWorkspace(ENVIRONMENTS_DIR));
const options = stackOptionsFromEnv({}, { backend: 'local' });

describe('synthesizeTo', () => {
  it('replaces its own output directory (marked) in one rename', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-atomic-'));
    const out = join(root, 'out');
    synthesizeTo(out, ev.topologies, ['lab'], options);
    expect(existsSync(join(out, MARKER))).toBe(true);
    writeFileSync(join(out, 'stale.txt'), 'old');
    const r = synthesizeTo(out, ev.topologies, ['lab'], options);
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(r.stacks.map((s) => s.stack)).toContain('lab-dc1-compute');
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('refuses a directory it did not write, before any work, and leaves it untouched', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-atomic-'));
    const out = join(root, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'kept');
    expect(() => synthesizeTo(out, ev.topologies, ['lab'], options)).toThrow(OutputError);
    expect(readdirSync(root)).toEqual(['mine']);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });

  it('leaves the previous output untouched when a check fails', () => {
    const root = mkdtempSync(join(tmpdir(), 'hds-atomic-'));
    const out = join(root, 'out');
    synthesizeTo(out, ev.topologies, ['lab'], options);
    writeFileSync(join(out, 'previous.txt'), 'kept');
    expect(() => synthesizeTo(out, ev.topologies, ['lab'], options, () => ['lab-dc1 vcpu: model 1, synthesized 2'])).toThrow(VerificationError);
    expect(readFileSync(join(out, 'previous.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('uses the pg backend by default, without a password in the connection string', () => {
    expect(stackOptionsFromEnv({}).backend).toEqual({ kind: 'pg', connStr: 'postgres://tofu-state.hds.internal/tofu_state?sslmode=verify-full' });
    expect(() => stackOptionsFromEnv({ HDS_STATE_PG: 'postgres://tofu:pw@db/state' })).toThrow(/must not contain a password/);
  });
});
