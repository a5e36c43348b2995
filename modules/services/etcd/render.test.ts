import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type EtcdClusterInput, renderEtcd } from './render.ts';

const tls = (s: string) => ({ certFile: `/pki/${s}.crt`, keyFile: `/pki/${s}.key`, caFile: '/pki/ca.crt' });
const input: EtcdClusterInput = {
  clusterToken: 'hds-lab-etcd',
  members: [
    { name: 'etcd-dc1', site: 'DC1', address: '10.0.0.1', clientPort: 2379, peerPort: 2380, dataDir: '/d/1', tls: tls('dc1') },
    { name: 'etcd-dc2', site: 'DC2', address: '10.0.1.1', clientPort: 2379, peerPort: 2380, dataDir: '/d/2', tls: tls('dc2') },
    { name: 'etcd-dc3', site: 'DC3', address: '10.0.2.1', clientPort: 2379, peerPort: 2380, dataDir: '/d/3', tls: tls('dc3') },
  ],
};

describe('renderEtcd', () => {
  const files = renderEtcd(input);
  it('renders one config per member with the full initial cluster', () => {
    expect(files.map((f) => f.path)).toEqual(['etcd-dc1.yml', 'etcd-dc2.yml', 'etcd-dc3.yml']);
    const c = parse(files[2]!.content);
    expect(c.name).toBe('etcd-dc3');
    expect(c['initial-cluster']).toBe('etcd-dc1=https://10.0.0.1:2380,etcd-dc2=https://10.0.1.1:2380,etcd-dc3=https://10.0.2.1:2380');
    expect(c['listen-client-urls']).toBe('https://10.0.2.1:2379');
    expect(c['data-dir']).toBe('/d/3');
  });
  it('requires client certificates on client and peer ports', () => {
    const c = parse(files[0]!.content);
    for (const k of ['client-transport-security', 'peer-transport-security']) {
      expect(c[k]['client-cert-auth']).toBe(true);
      expect(c[k]['trusted-ca-file']).toBe('/pki/ca.crt');
      expect(c[k]['cert-file']).toBe('/pki/dc1.crt');
    }
    expect(c['enable-v2']).toBe(false);
    expect(c['enable-grpc-gateway']).toBe(true);
  });
  it('refuses an even member count or two members on one site', () => {
    expect(() => renderEtcd({ ...input, members: input.members.slice(0, 2) })).toThrow(/odd number/);
    expect(() => renderEtcd({ ...input, members: input.members.map((m) => ({ ...m, site: 'DC1' })) })).toThrow(/distinct sites/);
  });
});
