/** The object gateways' configuration (EXG_SEC_4.3: the gateway's own encryption; TLS only). */
import { describe, expect, it } from 'vitest';
import type { CephDaemon } from './render.ts';
import { type RgwInput, renderRgw, requireSseKmsPolicy, rgwPoolNames, rgwSection } from './rgw.ts';

const gw: CephDaemon = {
  kind: 'rgw',
  id: 'h1',
  name: 'client.rgw.h1',
  host: 'h1',
  site: 'DC1',
  address: '10.0.0.5',
  ports: [443],
  dataDir: '/var/lib/ceph/radosgw/ceph-rgw.h1',
  keyring: '/var/lib/ceph/radosgw/ceph-rgw.h1/keyring',
  adminSocket: '/var/run/ceph/ceph-client.rgw.h1.asok',
  logFile: '/var/log/ceph/ceph-client.rgw.h1.log',
  confPath: '/etc/ceph/ceph.conf',
  tls: { certFile: '/tls/server.crt', keyFile: '/tls/server.key', caFile: '/tls/ca.crt', clientCert: '/tls/client.crt', clientKey: '/tls/client.key' },
};

const input = (sse: RgwInput['sse']): RgwInput => ({
  realm: 'prod',
  zonegroup: 'prod',
  zone: 'prod-stretched',
  port: 443,
  endpoints: ['https://10.0.0.5:443'],
  sse,
  users: [
    {
      uid: 'documents',
      displayName: 'documents service',
      accessKey: '@@secret:prod/ceph/rgw-documents#access_key@@',
      secretKey: '@@secret:prod/ceph/rgw-documents#secret_key@@',
    },
  ],
  buckets: [{ name: 'documents', owner: 'documents', domain: 'documents', kmsKeyId: 'documents', policy: requireSseKmsPolicy('documents') }],
  pgNum: 8,
});
const kmip = input({ backend: 'kmip', servers: { DC1: '10.0.0.9:5696' } });
const testing = input({ backend: 'testing', keys: [{ id: 'documents', key: '@@secret:lab/ceph/rgw-sse#documents@@' }] });
const section = (i: RgwInput) => new Map(rgwSection(i, gw).map(([k, v]) => [k, String(v)]));

describe('gateway section', () => {
  it('HTTPS only (beast ssl_endpoint, no plain port), TLS 1.2+ with AES-GCM, the host pair', () => {
    const f = section(kmip).get('rgw_frontends')!;
    expect(f).toMatch(/^beast ssl_endpoint=10\.0\.0\.5:443 /);
    expect(f).not.toMatch(/(^| )(port|endpoint)=/);
    expect(f).toContain('ssl_certificate=/tls/server.crt');
    expect(f).toContain('ssl_private_key=/tls/server.key');
    expect(f).toContain('ssl_options=no_sslv2:no_sslv3:no_tlsv1:no_tlsv1_1');
    expect(
      /ssl_ciphers=(\S+)/
        .exec(f)![1]!
        .split(':')
        .every((c) => c.startsWith('ECDHE-') && c.includes('-GCM-')),
    ).toBe(true);
  });

  it('production: SSE-KMS on the site HSM over KMIP with the client certificate; SSL required', () => {
    const s = section(kmip);
    expect(s.get('rgw_crypt_require_ssl')).toBe('true');
    expect(s.get('rgw_crypt_s3_kms_backend')).toBe('kmip');
    expect(s.get('rgw_crypt_kmip_addr')).toBe('10.0.0.9:5696');
    expect([s.get('rgw_crypt_kmip_client_cert'), s.get('rgw_crypt_kmip_client_key'), s.get('rgw_crypt_kmip_ca_path')]).toEqual([
      '/tls/client.crt',
      '/tls/client.key',
      '/tls/ca.crt',
    ]);
    expect(s.has('rgw_crypt_s3_kms_encryption_keys')).toBe(false);
    expect(renderRgw(kmip).sse).toEqual({ backend: 'kmip', productionGrade: true });
  });

  it('lab: the testing backend with the key as a placeholder, flagged not production-grade', () => {
    const s = section(testing);
    expect(s.get('rgw_crypt_s3_kms_backend')).toBe('testing');
    expect(s.get('rgw_crypt_s3_kms_encryption_keys')).toBe('documents=@@secret:lab/ceph/rgw-sse#documents@@');
    expect(renderRgw(testing).sse.productionGrade).toBe(false);
  });

  it('refuses a gateway site without KMIP server, a test key given as a value, a bucket of an unknown owner', () => {
    expect(() => rgwSection(kmip, { ...gw, site: 'DC2' })).toThrow(/no KMIP server \(HSM\) in DC2/);
    expect(() => renderRgw(input({ backend: 'testing', keys: [{ id: 'documents', key: 'c2VjcmV0' }] }))).toThrow(/placeholder, never a value/);
    const orphan = structuredClone(kmip);
    orphan.buckets[0]!.owner = 'nobody';
    expect(() => renderRgw(orphan)).toThrow(/owned by nobody/);
    expect(() => rgwSection(kmip, { ...gw, tls: undefined } as unknown as CephDaemon)).toThrow(/no TLS pair/);
  });
});

describe('renderRgw', () => {
  it("the zone's pools, .rgw.root first, the data pool 4 times the others' pg_num", () => {
    const p = renderRgw(kmip).pools;
    expect(p.map((x) => x.name)).toEqual(rgwPoolNames('prod-stretched'));
    expect(p[0]!.name).toBe('.rgw.root');
    expect(p.find((x) => x.name === 'prod-stretched.rgw.buckets.data')!.pgNum).toBe(32);
    expect(p.filter((x) => !x.name.endsWith('buckets.data')).every((x) => x.pgNum === 8)).toBe(true);
  });

  it('realm → zonegroup → zone → period, then users whose keys are placeholders', () => {
    const s = renderRgw(kmip).steps.map((x) => (x.kind === 'run' ? x.argv.slice(0, 3).join(' ') : ''));
    expect(s).toEqual([
      'radosgw-admin realm create',
      'radosgw-admin zonegroup create',
      'radosgw-admin zone create',
      'radosgw-admin period update',
      'radosgw-admin user create',
    ]);
    const user = renderRgw(kmip).steps.at(-1)!;
    expect(user.kind === 'run' && user.argv.filter((a) => /^--(access|secret)-key=/.test(a)).every((a) => /=@@secret:[^@]+@@$/.test(a))).toBe(true);
  });

  it('the bucket policy refuses a PUT that does not ask for SSE-KMS', () => {
    const doc = JSON.parse(renderRgw(kmip).buckets[0]!.policy);
    expect(doc.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::documents/*',
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
    // and a PUT without the header at all (Ceph 16's StringNotEquals does not match an absent key)
    expect(doc.Statement[1]).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::documents/*',
      Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
    });
  });
});
