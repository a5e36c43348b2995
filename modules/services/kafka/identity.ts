/**
 * Stable identities of a Kafka cluster, derived from the model (docs/adr/0007): the KRaft cluster
 * id, the node ids and the principals. None is a secret; each must never change for a running
 * cluster (the cluster id and node.id are written into every log directory's meta.properties at
 * format time, and a node whose id changed refuses to start). Pure.
 */

import { fnv1a32 } from '../../model/hash.ts';
import { isKafkaController } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Unpadded base64url of bytes (what Kafka's `Uuid.toString()` prints for 16 bytes: 22 characters). */
export function base64Url(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [(n >>> 18) & 63, (n >>> 12) & 63, (n >>> 6) & 63, n & 63].map((k) => B64URL[k]!);
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join('');
  }
  return out;
}

/**
 * The KRaft cluster id of an environment (`kafka-storage format --cluster-id`): 16 bytes, the
 * four FNV-1a hashes of `hds-platform/kafka/<environment>#<k>` (k = 0..3, big-endian), printed as
 * Kafka prints a Uuid (unpadded base64url, 22 characters). Deterministic: the same environment
 * name always gives the same id, two environments never share one by construction of the name.
 * Not a secret (brokers send it to every client in metadata responses); it only has to be stable,
 * which a random `kafka-storage random-uuid` kept in no file would not be.
 */
export function kafkaClusterId(environment: string): string {
  const bytes: number[] = [];
  for (let k = 0; k < 4; k++) {
    const h = fnv1a32(`hds-platform/kafka/${environment}#${k}`);
    bytes.push((h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255);
  }
  // Kafka reserves the all-zero Uuid and Uuid 1 (metadata topic id): not reachable by four FNV
  // hashes in practice, refused anyway.
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15]! <= 1) throw new Error(`the Kafka cluster id of ${environment} would be a reserved Uuid`);
  return base64Url(bytes);
}

/** Controllers' node ids sit 50 above the brokers' of the same site. */
export const CONTROLLER_ID_OFFSET = 50;

/**
 * `node.id` of a Kafka guest: 100 × (position of its site in the environment's sites, from 1)
 * + its index in the site (the guest name's `-NN`), + 50 for a controller. Production: brokers
 * 101-103 and 201-203, controllers 151-152, 251-252 and 351 (DC3). Readable in logs, unique by
 * construction (at most 12 brokers and 3 controllers per site, schema), and stable as long as the
 * environment's `sites` keep their order — which the address plan already requires.
 */
export function kafkaNodeId(t: Topology, g: Guest): number {
  const site = t.sites.findIndex((s) => s.id === g.site);
  const index = /-(\d+)$/.exec(g.name)?.[1];
  if (site < 0 || index === undefined) throw new Error(`${g.name}: no Kafka node id (site ${g.site} not in the environment, or no -NN index)`);
  const n = Number(index);
  if (n < 1 || n >= CONTROLLER_ID_OFFSET) throw new Error(`${g.name}: index ${n} outside 1..${CONTROLLER_ID_OFFSET - 1}`);
  return 100 * (site + 1) + (isKafkaController(g) ? CONTROLLER_ID_OFFSET : 0) + n;
}

/**
 * Principals. Every certificate's subject is mapped to its `CN=<name>` part
 * (`ssl.principal.mapping.rules`, render.ts), whatever else the subject carries: the platform PKI
 * issues `CN=<name>, O=hds-platform`, and Strimzi's User Operator writes the ACLs of a KafkaUser
 * with `tls-external` authentication for `CN=<KafkaUser name>`. Environment names are in every CN,
 * so a certificate of another environment never names a principal of this one.
 */
export function kafkaPrincipal(commonName: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(commonName)) throw new Error(`invalid certificate common name ${JSON.stringify(commonName)}`);
  return `User:CN=${commonName}`;
}

/**
 * The operators' certificate CNs, super users of the cluster besides the Kafka nodes: the
 * Strimzi standalone Topic Operator and User Operator (they create topics and write ACLs, which
 * needs ALTER on the cluster — super users, as in a Strimzi-managed cluster) and the platform
 * team's admin client (runbooks, through the bastion). Their certificates come from the platform
 * PKI (OpenBao), never from the program.
 */
export function kafkaOperatorNames(environment: string): { topicOperator: string; userOperator: string; admin: string } {
  return { topicOperator: `${environment}-kafka-topic-operator`, userOperator: `${environment}-kafka-user-operator`, admin: `${environment}-kafka-admin` };
}
