/**
 * Service classes and their availability objectives, computed from the CCTP's figures
 * (EXG_DIS_2.1, EXG_DIS_3.1, EXG_DIS_4.1, EXG_DIS_5.1) rather than typed in.
 *
 * The CCTP's monthly budgets follow one convention, which this module makes explicit:
 * a reference month of 30 calendar days, of which 20 are working days.
 *   production     99.9 % x 24 h x 30 d = 43 min 12 s   (EXG_DIS_2.1 states 43 min 12 s)
 *   preprod, other 99.5 % x 12 h x 20 d = 1 h 12 min    (EXG_DIS_4.1, EXG_DIS_5.1 state 1 h 12 min)
 *   certification  99.8 % x 18 h x 30 d = 1 h 4 min 48 s (EXG_DIS_3.1 rounds it to "1 heure")
 */
import type { EnvironmentClass } from './types.ts';

export const REFERENCE_MONTH_DAYS = 30;
export const REFERENCE_MONTH_WORKING_DAYS = 20;

export type ServiceClass = 'production' | 'editor-certification' | 'standard';

export interface ServiceWindow {
  /** Hour the service window opens and closes, local time (0-24). */
  fromHour: number;
  toHour: number;
  days: 'all' | 'working';
}

export interface Slo {
  serviceClass: ServiceClass;
  requirement: string;
  availabilityPct: number;
  window: ServiceWindow;
  /** Hours of committed service in the reference month. */
  committedHoursPerMonth: number;
  /** Maximum cumulated unavailability a month, in seconds (rounded to the second). */
  monthlyBudgetSeconds: number;
  /** The same budget, human-readable (e.g. "43 min 12 s"). */
  monthlyBudget: string;
  windowLabel: string;
}

const CLASSES: Record<ServiceClass, { requirement: string; availabilityPct: number; window: ServiceWindow }> = {
  production: { requirement: 'EXG_DIS_2.1', availabilityPct: 99.9, window: { fromHour: 0, toHour: 24, days: 'all' } },
  'editor-certification': {
    requirement: 'EXG_DIS_3.1',
    availabilityPct: 99.8,
    window: { fromHour: 4, toHour: 22, days: 'all' },
  },
  standard: { requirement: 'EXG_DIS_5.1', availabilityPct: 99.5, window: { fromHour: 8, toHour: 20, days: 'working' } },
};

export function serviceClassOf(envClass: EnvironmentClass): ServiceClass {
  if (envClass === 'production') return 'production';
  if (envClass === 'certification') return 'editor-certification';
  return 'standard';
}

/** Pre-production is held to DIS4, the other non-production classes to DIS5; the figures are the same. */
function requirementOf(envClass: EnvironmentClass, serviceClass: ServiceClass): string {
  return envClass === 'preprod' ? 'EXG_DIS_4.1' : CLASSES[serviceClass].requirement;
}

export function sloFor(envClass: EnvironmentClass): Slo {
  const serviceClass = serviceClassOf(envClass);
  const { availabilityPct, window } = CLASSES[serviceClass];
  const days = window.days === 'all' ? REFERENCE_MONTH_DAYS : REFERENCE_MONTH_WORKING_DAYS;
  const committedHoursPerMonth = (window.toHour - window.fromHour) * days;
  // Work in thousandths of a percent to keep 99.9 % exact.
  const unavailableMilliPct = Math.round((100 - availabilityPct) * 1000);
  const monthlyBudgetSeconds = Math.round((committedHoursPerMonth * 3600 * unavailableMilliPct) / 100_000);
  return {
    serviceClass,
    requirement: requirementOf(envClass, serviceClass),
    availabilityPct,
    window,
    committedHoursPerMonth,
    monthlyBudgetSeconds,
    monthlyBudget: formatDuration(monthlyBudgetSeconds),
    windowLabel: `${pad(window.fromHour)}:00-${pad(window.toHour)}:00 ${window.days === 'all' ? '7/7' : 'working days'}`,
  };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s || parts.length === 0) parts.push(`${s} s`);
  return parts.join(' ');
}
