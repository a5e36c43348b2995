import { describe, expect, it } from 'vitest';
import { runInOrder } from './schedule.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

/** Runs the schedule with each table taking `ms[t]` ticks; returns the start/end log and the peak concurrency. */
async function trace(tables: string[], deps: Record<string, string[]>, size: Record<string, number>, sessions: number, fail?: string) {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const used = new Set<number>();
  const p = runInOrder(
    tables,
    new Map(tables.map((t) => [t, new Set(deps[t] ?? [])])),
    (t) => size[t] ?? 0,
    sessions,
    async (t, i) => {
      used.add(i);
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${t}`);
      for (let k = 0; k < (size[t] ?? 1); k++) await tick();
      running--;
      log.push(`end ${t}`);
      if (t === fail) throw new Error(`${t} failed`);
    },
  );
  return { p, log, peak: () => peak, used };
}

describe('runInOrder: tables on several sessions, each after the tables it depends on', () => {
  it('starts the largest ready table first and keeps every session busy', async () => {
    const t = await trace(['a', 'b', 'c', 'd'], {}, { a: 1, b: 5, c: 3, d: 2 }, 2);
    await t.p;
    expect(t.log.slice(0, 2)).toEqual(['start b', 'start c']);
    expect(t.peak()).toBe(2);
    expect(t.used).toEqual(new Set([0, 1]));
    expect(t.log.filter((l) => l.startsWith('end')).sort()).toEqual(['end a', 'end b', 'end c', 'end d']);
  });

  it('a table starts only once every table it depends on has ended, even when a session is idle', async () => {
    // child is the largest but waits for parent; other runs meanwhile.
    const t = await trace(['child', 'parent', 'other'], { child: ['parent'] }, { child: 9, parent: 4, other: 2 }, 3);
    await t.p;
    expect(t.log.indexOf('start child')).toBeGreaterThan(t.log.indexOf('end parent'));
    expect(t.log.slice(0, 2).sort()).toEqual(['start other', 'start parent']);
  });

  it('one session runs the tables one at a time in that order', async () => {
    const t = await trace(['x', 'y', 'z'], { x: ['z'] }, { x: 3, y: 1, z: 2 }, 1);
    await t.p;
    expect(t.log).toEqual(['start z', 'end z', 'start x', 'end x', 'start y', 'end y']);
    expect(t.peak()).toBe(1);
  });

  it('the first failure is thrown, and no table starts after it', async () => {
    const t = await trace(['a', 'b', 'c', 'd'], {}, { a: 4, b: 1, c: 3, d: 2 }, 2, 'b');
    await expect(t.p).rejects.toThrow('b failed');
    const failedAt = t.log.indexOf('end b');
    expect(t.log.slice(failedAt).filter((l) => l.startsWith('start'))).toEqual([]);
    // The running one ends before the failure is thrown.
    expect(t.log).toContain('end a');
  });

  it('no table is started twice, and a schedule with no table resolves', async () => {
    const t = await trace(['p', 'q', 'r', 's', 'u'], { q: ['p'], r: ['p'], s: ['q', 'r'] }, { p: 2, q: 2, r: 2, s: 2, u: 1 }, 4);
    await t.p;
    const starts = t.log.filter((l) => l.startsWith('start'));
    expect(new Set(starts).size).toBe(starts.length);
    expect(starts).toHaveLength(5);
    expect(t.log.indexOf('start s')).toBeGreaterThan(Math.max(t.log.indexOf('end q'), t.log.indexOf('end r')));
    await expect(
      runInOrder(
        [],
        new Map(),
        () => 0,
        2,
        async () => undefined,
      ),
    ).resolves.toBeUndefined();
  });

  it('tables that wait for each other are refused, not waited for forever', async () => {
    const t = await trace(['a', 'b', 'c'], { a: ['b'], b: ['a'] }, { a: 1, b: 1, c: 1 }, 2);
    await expect(t.p).rejects.toThrow(/tables a, b wait for each other/);
    expect(t.log).toEqual(['start c', 'end c']);
  });
});
