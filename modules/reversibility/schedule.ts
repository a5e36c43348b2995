/**
 * Work over tables on a few sessions at once, in dependency order (the bootstrap's load,
 * modules/reversibility/import.ts): pure scheduling, no database here.
 */

/**
 * Runs `work` for every table on `sessions` at once: a table starts once every table in its
 * dependencies is done (a dependency not in `tables` counts as done), the largest ready one first.
 * The first failure stops the others from starting a table, and is thrown once the running ones
 * end. Tables that depend on each other can never start: refused (Error) instead of waiting forever.
 */
export async function runInOrder(
  tables: string[],
  deps: Map<string, Set<string>>,
  size: (t: string) => number,
  sessions: number,
  work: (t: string, session: number) => Promise<void>,
): Promise<void> {
  const all = new Set(tables);
  const done = new Set<string>();
  const started = new Set<string>();
  let running = 0;
  let failure: { e: unknown } | undefined;
  let wake: () => void = () => undefined;
  const next = (): string | undefined =>
    tables
      .filter((t) => !started.has(t) && [...(deps.get(t) ?? [])].every((p) => done.has(p) || !all.has(p)))
      .sort((x, y) => size(y) - size(x) || (x < y ? -1 : 1))[0];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(sessions, tables.length)) }, async (_, i) => {
      while (!failure && started.size < all.size) {
        const t = next();
        if (t === undefined) {
          if (running === 0) {
            const left = tables.filter((x) => !started.has(x));
            failure ??= { e: new Error(`tables ${left.join(', ')} wait for each other (a cycle of dependencies): no order to load them in`) };
            break;
          }
          // Every ready table is taken: wait for one to end (it may free a dependent).
          await new Promise<void>((res) => {
            const before = wake;
            wake = () => {
              before();
              res();
            };
          });
          continue;
        }
        started.add(t);
        running++;
        try {
          await work(t, i);
          done.add(t);
        } catch (e) {
          failure ??= { e };
        } finally {
          running--;
          const w = wake;
          wake = () => undefined;
          w();
        }
      }
    }),
  );
  if (failure) throw failure.e;
}
