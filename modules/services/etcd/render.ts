/**
 * etcd renderer: a 3-member cluster (DC1, DC2 and the witness in DC3) that is Patroni's DCS.
 * Client and peer traffic are TLS with client-certificate authentication (EXG_SEC: no
 * clear-text administration traffic); the initial cluster is built from the input members.
 * Pure function: input -> one etcd YAML config file (`--config-file`) per member.
 */
import { stringify } from 'yaml';
import type { RenderedFile } from '../types.ts';

export interface EtcdTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface EtcdMemberInput {
  /** Member name, unique in the cluster, e.g. `etcd-dc1`. */
  name: string;
  /** Site of the member (DC1, DC2, DC3 witness): documentation only. */
  site: string;
  address: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  /** Server certificate (serverAuth + clientAuth: it is also the peer client cert) with the member's IP. */
  tls: EtcdTls;
}

export interface EtcdClusterInput {
  /** initial-cluster-token: distinct per cluster so members of two clusters never join. */
  clusterToken: string;
  members: EtcdMemberInput[];
  /** Also listen on 127.0.0.1 for local clients (default false). */
  listenLocalhost?: boolean;
  /** Size the DB quota (bytes); default 2 GiB. */
  quotaBackendBytes?: number;
}

function memberConfigPath(m: EtcdMemberInput): string {
  return `${m.name}.yml`;
}

export function etcdClientUrl(m: Pick<EtcdMemberInput, 'address' | 'clientPort'>): string {
  return `https://${m.address}:${m.clientPort}`;
}

export function etcdPeerUrl(m: Pick<EtcdMemberInput, 'address' | 'peerPort'>): string {
  return `https://${m.address}:${m.peerPort}`;
}

function validate(input: EtcdClusterInput): void {
  const n = input.members.length;
  if (n < 3 || n % 2 === 0) throw new Error(`etcd needs an odd number of members, at least 3 (got ${n}): quorum survives one site loss only with a witness`);
  const names = new Set(input.members.map((m) => m.name));
  if (names.size !== n) throw new Error('etcd member names must be unique');
  const sites = new Set(input.members.map((m) => m.site));
  if (sites.size !== n) throw new Error('etcd members must be on distinct sites (one per DC plus the witness)');
  if (!/^[A-Za-z0-9-]+$/.test(input.clusterToken)) throw new Error('invalid etcd cluster token');
}

export function renderEtcd(input: EtcdClusterInput): RenderedFile[] {
  validate(input);
  const initialCluster = input.members.map((m) => `${m.name}=${etcdPeerUrl(m)}`).join(',');
  return input.members.map((m) => {
    const clientUrls = [etcdClientUrl(m), ...(input.listenLocalhost ? [`https://127.0.0.1:${m.clientPort}`] : [])];
    const security = (t: EtcdTls) => ({
      'cert-file': t.certFile,
      'key-file': t.keyFile,
      'trusted-ca-file': t.caFile,
      'client-cert-auth': true,
      'auto-tls': false,
    });
    const config = {
      name: m.name,
      'data-dir': m.dataDir,
      'listen-client-urls': clientUrls.join(','),
      'advertise-client-urls': etcdClientUrl(m),
      'listen-peer-urls': etcdPeerUrl(m),
      'initial-advertise-peer-urls': etcdPeerUrl(m),
      'initial-cluster': initialCluster,
      'initial-cluster-token': input.clusterToken,
      'initial-cluster-state': 'new',
      'client-transport-security': security(m.tls),
      'peer-transport-security': security(m.tls),
      'enable-v2': false,
      // Patroni's etcd3 client speaks the v3 JSON gateway; a config file does not enable it by default.
      'enable-grpc-gateway': true,
      'quota-backend-bytes': input.quotaBackendBytes ?? 2 * 1024 ** 3,
      'auto-compaction-mode': 'periodic',
      'auto-compaction-retention': '1h',
      'heartbeat-interval': 100,
      'election-timeout': 1000,
      // Pre-vote (ADR 0006): a member cut off from the leader but not from the witness (the DC1↔DC2
      // partition, DC3 seeing both) asks before campaigning and is refused while the leader still
      // holds a quorum; without it each of its elections deposed the leader in turn, the DCS
      // flapped and Patroni could not release the lost synchronous standby: writes stopped for
      // the whole partition (campaign of 2026-11-30: ~43 s for 40 s partitions).
      'pre-vote': true,
      'cipher-suites': [
        'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
        'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
        'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
        'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      ],
      logger: 'zap',
      'log-outputs': ['stderr'],
    };
    const header = `# etcd member ${m.name} (${m.site}) — rendered by hds-platform, do not edit.\n# Client and peer TLS with client-certificate auth; DCS of the Patroni clusters (EXG_PCA_2).\n`;
    return { path: memberConfigPath(m), content: header + stringify(config, { lineWidth: 0 }), mode: 0o640 };
  });
}
