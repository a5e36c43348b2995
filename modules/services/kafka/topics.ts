/**
 * Kafka topic durability from the topology: replication factor and min.insync.replicas that
 * keep RPO 0 when a datacenter is lost (racks = datacenters). Used by the brokers' KRaft
 * configuration (defaults) and by the KafkaTopic resources of the workloads plan.
 * docs/adr/0007-kafka-on-vms-and-strimzi-operators.md. Pure.
 */
import { kafkaBrokers } from '../../model/roles.ts';
import type { Topology } from '../../model/topology.ts';

export interface KafkaDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Why these figures (one sentence, shown in docs and reports). */
  rationale: string;
  /** The broker sites (racks), in model order. */
  sites: string[];
  /** Replicas of every partition in each site (rack-aware placement). */
  replicasPerSite: number;
  /** Whether acks=all writes go on, without an operator, when any one site is lost. */
  writesSurviveSiteLoss: boolean;
}

/** A site keeps at most this many replicas of a partition: 2 lets one broker of each site be down. */
export const MAX_REPLICAS_PER_SITE = 2;

/**
 * The arithmetic. Brokers carry `broker.rack = <site>`; Kafka's rack-aware assignment places a
 * new partition's replicas on the racks in turn, so with n sites and r replicas per site the
 * replication factor is RF = n·r and no site holds more than r replicas.
 *
 * With acks=all, a write is acknowledged once every replica of the in-sync set (ISR) has it and
 * the ISR has at least min.insync.replicas (M) members. Choose M = r + 1: an ISR of r + 1 members
 * cannot fit in one site (at most r there), so every acknowledged write is on two sites at least
 * and the loss of any one site loses none (RPO 0, EXG_PCA_2). Production: 2 sites × 2 = RF 4,
 * M 3 — a replica in each datacenter for every acknowledged write.
 *
 * r = min(brokers of the smallest site, 2): 2 lets one broker per site be down (rolling restart,
 * failure) while writes go on (ISR 3 of 4); a site of one broker gives RF 2 and M 2, still RPO 0,
 * but any broker down stops the writes of every partition (the smaller environments).
 *
 * When a site is lost (n = 2): n·r − r = r replicas are left, fewer than M = r + 1, so producers
 * get NOT_ENOUGH_REPLICAS (reads go on) until the DC-loss runbook lowers min.insync.replicas to r
 * on the cluster default (ADR 0007) — the same decision as PostgreSQL's continue-alone (ADR 0006),
 * taken by an operator instead of automatically. With three broker sites, writes go on.
 *
 * Throws when the topology cannot give RPO 0: no broker, or brokers on a single site.
 */
export function kafkaDurability(t: Topology): KafkaDurability {
  const brokers = kafkaBrokers(t);
  const env = t.environment.name;
  if (brokers.length === 0) throw new Error(`${env}: no Kafka broker in the topology, so no topic durability (declare services.kafka)`);
  const perSite = new Map<string, number>();
  for (const b of brokers) perSite.set(b.site, (perSite.get(b.site) ?? 0) + 1);
  const sites = [...perSite.keys()];
  if (sites.length < 2)
    throw new Error(
      `${env}: Kafka brokers on ${sites[0]} only — a site loss would lose every acknowledged message; RPO 0 (EXG_PCA_2) needs brokers on two sites (services.kafka.sites, racks = datacenters)`,
    );
  const r = Math.min(MAX_REPLICAS_PER_SITE, ...perSite.values());
  const replicationFactor = sites.length * r;
  const minInsyncReplicas = r + 1;
  const writesSurviveSiteLoss = replicationFactor - r >= minInsyncReplicas;
  const loss = writesSurviveSiteLoss
    ? `losing a site leaves ${replicationFactor - r} replicas, writes go on`
    : `losing a site leaves ${replicationFactor - r} in-sync replica${replicationFactor - r > 1 ? 's' : ''} < ${minInsyncReplicas}: producers get NOT_ENOUGH_REPLICAS until the DC-loss runbook lowers min.insync.replicas to ${r} (ADR 0007)`;
  const tolerance = r > 1 ? 'one broker per site may be down' : 'any broker down stops the writes';
  return {
    replicationFactor,
    minInsyncReplicas,
    sites,
    replicasPerSite: r,
    writesSurviveSiteLoss,
    rationale: `RF ${replicationFactor} = ${r} replica${r > 1 ? 's' : ''} in each of ${sites.join(', ')} (racks = sites); min.insync.replicas ${minInsyncReplicas} > ${r}, so every acks=all write is on two sites at least (RPO 0, EXG_PCA_2); ${tolerance}; ${loss}.`,
  };
}
