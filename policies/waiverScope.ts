/** When a waiver applies: shared by the engine (which finding it covers) and GOV-001 (which ones expired). */
import type { Waiver } from './types.ts';

/** A waiver concerns the target when its environment scope matches it (`*` for all). */
export function waiverInScope(w: Waiver, target: string): boolean {
  return (
    w.scope.environment === '*' ||
    w.scope.environment
      .split(',')
      .map((s) => s.trim())
      .includes(target)
  );
}

export function waiverExpired(w: Waiver, today: string): boolean {
  return w.expires < today;
}
