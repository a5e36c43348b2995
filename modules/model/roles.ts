/**
 * Guest roles, typed, and the predicates every layer uses to recognise a guest: a PostgreSQL
 * data node, a member of the DCS (etcd), a HAProxy, a WAF, a monitoring node, the pgBackRest
 * repository, a Kafka broker or KRaft controller. Declared once here so the configuration
 * adapter, the lab, the stacks and the policies agree on what a guest is. Also the PostgreSQL role names of a business domain.
 */
import type { Guest, Topology } from './topology.ts';

export const GUEST_ROLES = [
  'node',
  'master',
  'infra',
  'worker',
  'etcd',
  'witness',
  'primary',
  'standby',
  'haproxy',
  'broker',
  'controller',
  'osd',
  'external',
  'appliance',
  'server',
] as const;
export type GuestRole = (typeof GUEST_ROLES)[number];

/** The Patroni DCS: the etcd members of the data sites and the witness of the third site. */
export const DCS_CLUSTER = 'pg-dcs';

/** The Kafka cluster of an environment: its brokers and its KRaft controllers (`Guest.cluster`). */
export const KAFKA_CLUSTER = 'kafka';

type G = Pick<Guest, 'service' | 'role' | 'domain' | 'cluster'>;

export const isPgData = (g: G): boolean => g.service === 'postgresql' && (g.role === 'primary' || g.role === 'standby') && g.domain !== undefined;
export const isDcsMember = (g: G): boolean => g.service === 'postgresql' && (g.role === 'etcd' || g.role === 'witness');
export const isHaproxy = (g: G): boolean => g.service === 'postgresql' && g.role === 'haproxy';
export const isWaf = (g: G): boolean => g.service === 'waf';
export const isMonitoring = (g: G): boolean => g.service === 'monitoring';
export const isIngressRouter = (g: G): boolean => g.service === 'openshift' && g.role === 'infra';
export const isHsm = (g: G): boolean => g.service === 'hsm';
/** A Kafka broker (`process.roles=broker`): holds partitions, rack = its site. */
export const isKafkaBroker = (g: G): boolean => g.service === 'kafka' && g.role === 'broker';
/** A KRaft controller-only node (`process.roles=controller`): a voter of the metadata quorum. */
export const isKafkaController = (g: G): boolean => g.service === 'kafka' && g.role === 'controller';

/** The pgBackRest repository (repo1): the first backup server of the environment's backup policy. */
export function repositoryGuest(t: Topology): Guest | undefined {
  const name = t.backup?.servers[0];
  return name ? t.guests.find((g) => g.name === name) : undefined;
}

/** The business domains with PostgreSQL data nodes, in model order (HAProxy port i ↔ domain i). */
export function pgDomains(t: Topology): string[] {
  const out: string[] = [];
  for (const g of t.guests) if (isPgData(g) && !out.includes(g.domain!)) out.push(g.domain!);
  return out;
}

/** The data nodes of a domain, primary first. */
export function pgNodes(t: Topology, domain: string): Guest[] {
  return t.guests.filter((g) => isPgData(g) && g.domain === domain).sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1));
}

export function dcsMembers(t: Topology): Guest[] {
  return t.guests.filter(isDcsMember);
}

/** The Kafka brokers, in model order (site by site). */
export function kafkaBrokers(t: Topology): Guest[] {
  return t.guests.filter(isKafkaBroker);
}

/** The KRaft controllers (the quorum's voters), in model order: broker sites, then the witness. */
export function kafkaControllers(t: Topology): Guest[] {
  return t.guests.filter(isKafkaController);
}

/** PostgreSQL role names of a business domain's cluster (the same in every environment and in the lab). */
export function pgRoleNames(domain: string): { superuser: string; replication: string; rewind: string; app: string; restApi: string; monitor: string } {
  return { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user', app: `${domain}_app`, restApi: 'patroni', monitor: 'monitor' };
}
