/**
 * Kafka in the model (docs/adr/0007-kafka-on-vms-and-strimzi-operators.md): the KRaft
 * controller quorum's arithmetic and the checks JSON Schema cannot express. Pure.
 *
 * A KRaft quorum of n voters commits with a majority m = floor(n / 2) + 1. It survives the loss of
 * a site s holding v(s) voters when n − v(s) ≥ m. Spread over two sites only (p + p voters), the
 * loss of either leaves p < p + 1: no majority, no metadata change (no leader election, no ISR
 * change, no broker registration) until the site is back. With a tie-breaker in a third site
 * (p + p + 1), either datacenter's loss leaves p + 1 = m: production's 2 + 2 + 1 keeps 3 of 5.
 */
import type { EnvironmentDoc } from './types.ts';

export interface SiteLoss {
  site: string;
  /** Voters left when `site` is lost. */
  left: number;
  /** Votes a commit needs: floor(total / 2) + 1. */
  majority: number;
  survives: boolean;
}

/** For each site holding voters: what is left of the quorum when it is lost. */
export function quorumAfterSiteLoss(votersBySite: Readonly<Record<string, number>>): SiteLoss[] {
  const total = Object.values(votersBySite).reduce((a, b) => a + b, 0);
  const majority = Math.floor(total / 2) + 1;
  return Object.entries(votersBySite).map(([site, v]) => ({ site, left: total - v, majority, survives: total - v >= majority }));
}

/** Voters per site the declaration places: `perSite` in each broker site, one in the witness site. */
export function declaredVoters(k: NonNullable<EnvironmentDoc['services']['kafka']>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of k.sites) out[s] = (out[s] ?? 0) + k.controllers.perSite;
  if (k.controllers.witnessSite) out[k.controllers.witnessSite] = (out[k.controllers.witnessSite] ?? 0) + 1;
  return out;
}

export interface KafkaProblem {
  path: Array<string | number>;
  code: string;
  message: string;
  hint: string;
  requirements: string[];
}

/**
 * What an environment's Kafka declaration must satisfy beyond its schema: brokers on two sites at
 * least (racks = datacenters, RPO 0 when one is lost), and a controller quorum that keeps its
 * majority when any one site is lost — a stretched Kafka without a witness site is refused, with
 * the fix in the hint. An environment without a third site can still declare everything else.
 */
export function checkKafka(doc: EnvironmentDoc): KafkaProblem[] {
  const k = doc.services.kafka;
  if (!k) return [];
  const out: KafkaProblem[] = [];
  const at = (...p: Array<string | number>) => ['services', 'kafka', ...p];
  if (k.sites.length < 2) {
    out.push({
      path: at('sites'),
      code: 'E_KAFKA_SITES',
      message: `Kafka brokers on ${k.sites.join(', ')} only: losing that site loses every acknowledged message`,
      hint: 'list both datacenters in services.kafka.sites (replicas are spread with racks = datacenters), and a controllers.witnessSite in a third site',
      requirements: ['EXG_PCA_2'],
    });
    return out;
  }
  const w = k.controllers.witnessSite;
  if (w && k.sites.includes(w)) {
    out.push({
      path: at('controllers', 'witnessSite'),
      code: 'E_WITNESS_SITE',
      message: `the KRaft tie-breaker controller is in ${w}, a broker site`,
      hint: `put it in a site that holds no broker (e.g. ${doc.sites.find((s) => !k.sites.includes(s)) ?? 'DC3'}), so either datacenter can be lost`,
      requirements: ['EXG_PCA_2'],
    });
    return out;
  }
  const lost = quorumAfterSiteLoss(declaredVoters(k)).filter((l) => !l.survives);
  if (lost.length > 0) {
    const voters = declaredVoters(k);
    const spread = Object.entries(voters)
      .map(([s, v]) => `${v} on ${s}`)
      .join(' + ');
    const third = doc.sites.find((s) => !k.sites.includes(s));
    out.push({
      path: w ? at('controllers') : at('controllers', 'perSite'),
      code: 'E_KAFKA_QUORUM',
      message: `the KRaft controller quorum (${spread}) has no majority left when ${lost.map((l) => `${l.site} is lost (${l.left} of ${l.majority} needed)`).join(' or ')}`,
      hint: w
        ? 'give the broker sites the same number of controllers (controllers.perSite) and keep one in the witness site'
        : third
          ? `set services.kafka.controllers.witnessSite: ${third} (one controller-only node there)`
          : 'add a third site to the environment and set services.kafka.controllers.witnessSite to it; a two-site KRaft quorum cannot survive the loss of either site',
      requirements: ['EXG_PCA_2', 'EXG_DIS_2.4'],
    });
  }
  return out;
}
