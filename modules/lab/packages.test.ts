import { describe, expect, it } from 'vitest';
import { aptInstallCommand, LAB_PACKAGES, missingPackages } from './packages.ts';

describe('lab packages', () => {
  it('lists the data plane, WAF, HSM and monitoring packages', () => {
    for (const p of ['etcd-server', 'patroni', 'haproxy', 'pgbackrest', 'postgresql-15', 'softhsm2', 'nginx-light', 'modsecurity-crs', 'prometheus']) {
      expect(LAB_PACKAGES).toContain(p);
    }
  });
  it('lists the Ceph 16 packages of the stretched cluster and its gateways', () => {
    for (const p of ['ceph-mon', 'ceph-osd', 'ceph-mgr', 'ceph-common', 'radosgw']) expect(LAB_PACKAGES).toContain(p);
  });
  it('renders the exact apt-get command', () => {
    expect(aptInstallCommand(['a', 'b'])).toBe('apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends a b');
  });
  it('reports a package that does not exist as missing', async () => {
    expect(await missingPackages(['hds-no-such-package-xyz'])).toEqual(['hds-no-such-package-xyz']);
  });
});
