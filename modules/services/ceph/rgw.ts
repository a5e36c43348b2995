/**
 * The object gateways (RGW) of the stretched cluster (docs/storage.md): each gateway's section of
 * its host's ceph.conf (realm, zonegroup, zone; the `beast` frontend on HTTPS only with the host's
 * TLS pair; server-side encryption), the zone's pools, and the `radosgw-admin` steps that create
 * the realm, the zone and the S3 users of the platform's buckets. Pure.
 *
 * Server-side encryption (EXG_SEC_4.3: the gateway's own encryption on top of the application's
 * envelope encryption and the disks'). Ceph 16 (Pacific) has no SSE-S3 (`rgw_crypt_sse_s3_*`
 * arrived in 17) and no default bucket encryption; it has SSE-C, SSE-KMS (backends barbican,
 * vault, kmip, testing) and `rgw_crypt_default_encryption_key` (one static key in the
 * configuration, "testing only" upstream). Hence:
 * - production: SSE-KMS with the `kmip` backend on the site's HSM cluster (PORTS.hsmKmip, mutual
 *   TLS with the gateway's client certificate): one key per business domain, held by the HSM
 *   (EXG_SEC_4.2), fetched per object; production-grade;
 * - lab: SSE-KMS with the `testing` backend: the same requests (`x-amz-server-side-encryption:
 *   aws:kms` and the domain's key id), the same encryption in RADOS, but the key is a 256-bit
 *   value in the configuration (a placeholder the lab resolves from its state dir: SoftHSM2
 *   speaks no KMIP). Not production-grade: anyone reading the gateway's ceph.conf has the key.
 * The application asks for SSE-KMS on every PUT, and each bucket's policy refuses a PUT that
 * does not (RgwBucket.policy).
 */
import type { CephStep } from './crush.ts';
import type { CephDaemon } from './render.ts';

export type RgwSse =
  | {
      backend: 'kmip';
      /** `host:port` of the KMIP server (the HSM cluster) of each gateway site; the gateway authenticates with its client certificate (CephDaemon.tls). */
      servers: Record<string, string>;
    }
  | {
      backend: 'testing';
      /** Key id → 256-bit key, base64 (a `@@secret:…@@` placeholder). */
      keys: Array<{ id: string; key: string }>;
    };

export interface RgwUser {
  uid: string;
  displayName: string;
  /** Placeholders of the S3 access key and secret key. */
  accessKey: string;
  secretKey: string;
}

export interface RgwBucket {
  name: string;
  /** The user (uid) that owns it. */
  owner: string;
  /** Business domain whose HSM key encrypts its objects. */
  domain: string;
  /** SSE-KMS key id the application sends (`x-amz-server-side-encryption-aws-kms-key-id`). */
  kmsKeyId: string;
  /** Bucket policy (JSON): refuses a PUT without SSE-KMS. */
  policy: string;
}

export interface RgwInput {
  realm: string;
  zonegroup: string;
  zone: string;
  /** HTTPS port of every gateway. */
  port: number;
  /** Every gateway's URL, for the zone's endpoints (multisite to the DC3 external cluster). */
  endpoints: string[];
  sse: RgwSse;
  users: RgwUser[];
  buckets: RgwBucket[];
  /** Initial pg_num of the zone's pools (buckets.data takes 4 times this). */
  pgNum: number;
}

export interface RgwPlan {
  realm: string;
  zonegroup: string;
  zone: string;
  sse: { backend: RgwSse['backend']; productionGrade: boolean };
  /** The zone's pools, created with the stretch rule before stretch mode (crush.ts). */
  pools: Array<{ name: string; pgNum: number; application: 'rgw' }>;
  users: Array<Pick<RgwUser, 'uid' | 'displayName'>>;
  buckets: RgwBucket[];
  steps: CephStep[];
}

/** TLS 1.2+ only, ECDHE with AES-GCM (ANSSI guide TLS, as the WAF and Kafka). */
export const RGW_SSL_OPTIONS = 'no_sslv2:no_sslv3:no_tlsv1:no_tlsv1_1';
export const RGW_SSL_CIPHERS = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256';

const NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** The zone's pools, Ceph's names (`<zone>.rgw.*`) and `.rgw.root` for the realm. */
export function rgwPoolNames(zone: string): string[] {
  return ['.rgw.root', ...['control', 'meta', 'log', 'otp', 'buckets.index', 'buckets.non-ec', 'buckets.data'].map((p) => `${zone}.rgw.${p}`)];
}

/** The policy of a bucket whose every PUT must ask for SSE-KMS. */
export function requireSseKmsPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyUnencryptedPut',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      },
      // Ceph 16's StringNotEquals does not match a request that lacks the header at all (measured on
      // a running cluster: a plain PUT was accepted): deny that case explicitly.
      {
        Sid: 'DenyPutWithoutEncryptionHeader',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
      },
    ],
  });
}

function validate(i: RgwInput): void {
  for (const [what, v] of [
    ['realm', i.realm],
    ['zonegroup', i.zonegroup],
    ['zone', i.zone],
  ] as const)
    if (!NAME.test(v)) throw new Error(`invalid RGW ${what} name ${JSON.stringify(v)}`);
  for (const b of i.buckets) {
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(b.name)) throw new Error(`invalid bucket name ${JSON.stringify(b.name)}`);
    if (!i.users.some((u) => u.uid === b.owner)) throw new Error(`bucket ${b.name} is owned by ${b.owner}, not a user of the gateways`);
    if (i.sse.backend === 'testing' && !i.sse.keys.some((k) => k.id === b.kmsKeyId)) throw new Error(`bucket ${b.name}: no test key ${b.kmsKeyId}`);
  }
  if (i.sse.backend === 'testing')
    for (const k of i.sse.keys) if (!k.key.startsWith('@@secret:')) throw new Error(`RGW test key ${k.id} must be a secret placeholder, never a value`);
}

/** The lines of a gateway's section of its host's ceph.conf. */
export function rgwSection(i: RgwInput, d: CephDaemon): Array<readonly [string, string | number | boolean]> {
  if (!d.tls) throw new Error(`gateway ${d.name} has no TLS pair`);
  const frontend = [
    'beast',
    `ssl_endpoint=${d.address}:${i.port}`,
    `ssl_certificate=${d.tls.certFile}`,
    `ssl_private_key=${d.tls.keyFile}`,
    `ssl_options=${RGW_SSL_OPTIONS}`,
    `ssl_ciphers=${RGW_SSL_CIPHERS}`,
  ].join(' ');
  const lines: Array<readonly [string, string | number | boolean]> = [
    ['rgw_frontends', frontend],
    ['rgw_realm', i.realm],
    ['rgw_zonegroup', i.zonegroup],
    ['rgw_zone', i.zone],
    ['rgw_enable_apis', 's3,admin'],
    ['rgw_crypt_require_ssl', true],
    ['rgw_crypt_s3_kms_backend', i.sse.backend],
  ];
  if (i.sse.backend === 'kmip') {
    const server = i.sse.servers[d.site];
    if (!server) throw new Error(`gateway ${d.name}: no KMIP server (HSM) in ${d.site}`);
    lines.push(
      ['rgw_crypt_kmip_addr', server],
      ['rgw_crypt_kmip_ca_path', d.tls.caFile],
      ['rgw_crypt_kmip_client_cert', d.tls.clientCert],
      ['rgw_crypt_kmip_client_key', d.tls.clientKey],
    );
  } else lines.push(['rgw_crypt_s3_kms_encryption_keys', i.sse.keys.map((k) => `${k.id}=${k.key}`).join(' ')]);
  return lines;
}

export function renderRgw(i: RgwInput): RgwPlan {
  validate(i);
  const run = (why: string, ...argv: string[]): CephStep => ({ phase: 'gateways', kind: 'run', argv, why });
  const endpoints = `--endpoints=${i.endpoints.join(',')}`;
  const steps: CephStep[] = [
    run(`realm ${i.realm}`, 'radosgw-admin', 'realm', 'create', `--rgw-realm=${i.realm}`, '--default'),
    run(
      `zonegroup ${i.zonegroup}, master`,
      'radosgw-admin',
      'zonegroup',
      'create',
      `--rgw-realm=${i.realm}`,
      `--rgw-zonegroup=${i.zonegroup}`,
      endpoints,
      '--master',
      '--default',
    ),
    run(
      `zone ${i.zone} (the stretched cluster), master; the DC3 external cluster joins as a secondary zone`,
      'radosgw-admin',
      'zone',
      'create',
      `--rgw-zonegroup=${i.zonegroup}`,
      `--rgw-zone=${i.zone}`,
      endpoints,
      '--master',
      '--default',
    ),
    run('commit the period', 'radosgw-admin', 'period', 'update', `--rgw-realm=${i.realm}`, '--commit'),
    ...i.users.map((u) =>
      run(
        `S3 user ${u.uid}`,
        'radosgw-admin',
        'user',
        'create',
        `--rgw-realm=${i.realm}`,
        `--uid=${u.uid}`,
        `--display-name=${u.displayName}`,
        `--access-key=${u.accessKey}`,
        `--secret-key=${u.secretKey}`,
      ),
    ),
  ];
  return {
    realm: i.realm,
    zonegroup: i.zonegroup,
    zone: i.zone,
    sse: { backend: i.sse.backend, productionGrade: i.sse.backend === 'kmip' },
    pools: rgwPoolNames(i.zone).map((name) => ({ name, pgNum: name.endsWith('.buckets.data') ? i.pgNum * 4 : i.pgNum, application: 'rgw' as const })),
    users: i.users.map(({ uid, displayName }) => ({ uid, displayName })),
    buckets: i.buckets,
    steps,
  };
}
