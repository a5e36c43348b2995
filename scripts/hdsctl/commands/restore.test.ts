import { describe, expect, it } from 'vitest';
import { CliError } from '../output.ts';
import { choiceOf, repoOf } from './restore.ts';

describe('hdsctl restore-test flags', () => {
  it('default: the latest point; --at a time with its zone; --random with a seed or a fresh one', () => {
    expect(choiceOf({})).toEqual({ mode: 'latest' });
    const at = choiceOf({ at: '2026-11-30T02:00:00Z' });
    expect(at.mode === 'at' && at.at.toISOString()).toBe('2026-11-30T02:00:00.000Z');
    expect(choiceOf({ random: true, seed: 'audit-2026' })).toEqual({ mode: 'random', seed: 'audit-2026' });
    const r = choiceOf({ random: true });
    expect(r.mode === 'random' && /^[0-9a-f]{16}$/.test(r.seed)).toBe(true);
  });

  it('refuses conflicting or malformed flags on one line naming the flag', () => {
    expect(() => choiceOf({ at: '2026-11-30T02:00:00Z', random: true })).toThrow(CliError);
    expect(() => choiceOf({ at: '2026-11-30T02:00:00Z', random: true })).toThrow(/--at and --random/);
    expect(() => choiceOf({ seed: 'x' })).toThrow(/--seed "x": only with --random/);
    expect(() => choiceOf({ random: true, seed: 'a b' })).toThrow(/--seed "a b"/);
    expect(() => choiceOf({ at: 'yesterday' })).toThrow(/--at "yesterday".*ISO 8601/);
    expect(() => choiceOf({ at: '2026-11-30T02:00:00' })).toThrow(/with its zone/);
    for (const e of [() => choiceOf({ at: 'x' }), () => repoOf('3')]) expect(e).toThrow(/^[^\n]+$/);
  });

  it('--repo: 1 (DC3) or 2 (the offline copy)', () => {
    expect(repoOf(undefined)).toBe(1);
    expect(repoOf('2')).toBe(2);
    expect(() => repoOf('3')).toThrow(/--repo "3": 1 .* or 2/);
  });
});
