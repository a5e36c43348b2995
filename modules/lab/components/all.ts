/**
 * Every component of the lab, in start order: the data plane (etcd, Patroni, HAProxy,
 * pgBackRest), then the HSM tokens, the reference service, the WAF and supervision.
 */

import type { LabComponent } from '../context.ts';
import { defaultLabComponents } from '../lab.ts';
import type { LabPlan } from '../types.ts';
import { hsmComponent } from './hsm.ts';
import { monitoringComponent } from './monitoring.ts';
import { refserviceComponent } from './refservice.ts';
import { wafComponent } from './waf.ts';

export function labComponents(plan: LabPlan): LabComponent[] {
  return [...defaultLabComponents(plan), hsmComponent(), refserviceComponent(), wafComponent(), monitoringComponent()];
}
