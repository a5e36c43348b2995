/**
 * Service configurations as evidence: for every guest of the topology, exactly the files its
 * cloud-init writes — the one adapter (modules/services/fromTopology, production profile) that
 * cloud-init and the lab also call. So a rule judges the configuration a VM receives, byte for
 * byte (policies/evidence/services.test.ts checks it against the decoded user-data).
 *
 * What this proves: the configuration the platform ships for this topology has the property
 * (synchronous_mode_strict, TLS floor, cipher type, CRS on, alert rules). What it cannot prove:
 * that a running host uses it — that is the lab's and the drills' job. Secrets are placeholders
 * (`@@secret:…@@`), never values.
 */
import { CEPH_CLUSTER } from '../../modules/model/ceph.ts';
import { isDcsMember, isHaproxy } from '../../modules/model/roles.ts';
import type { Guest, Topology } from '../../modules/model/topology.ts';
import { guestFiles } from '../../modules/services/fromTopology/index.ts';
import { PRODUCTION } from '../../modules/services/fromTopology/profile.ts';
import type { RenderedConfig } from '../types.ts';

/**
 * The service label of the files of a guest, as guestFiles (fromTopology/index.ts) labels them:
 * what a renderer's refusal is filed under, so a rule on that service sees it. A PostgreSQL guest
 * is `etcd` or `haproxy` by its role; a data node's refusal (Patroni or its pgBackRest client) is
 * `postgresql`. Undefined for the services that have no renderer (their guests get no file, so
 * nothing can refuse).
 */
export function renderedServiceOf(g: Pick<Guest, 'service' | 'role' | 'domain' | 'cluster'>): RenderedConfig['service'] | undefined {
  switch (g.service) {
    case 'postgresql':
      return isDcsMember(g) ? 'etcd' : isHaproxy(g) ? 'haproxy' : 'postgresql';
    case 'waf':
    case 'monitoring':
    case 'backup':
    case 'kafka':
    case 'hsm':
      return g.service;
    case 'ceph':
      // The stretched cluster's hosts (not the external DC3 cluster's, which has no renderer yet).
      return g.cluster === CEPH_CLUSTER ? 'ceph' : undefined;
    case 'bastion':
    case 'openshift':
      return undefined;
    default: {
      const never: never = g.service;
      return never;
    }
  }
}

/** Every service file of every guest of this topology (model order), as the guests receive them. */
export function renderedEvidence(t: Topology): RenderedConfig[] {
  return t.guests.flatMap((g): RenderedConfig[] => {
    try {
      return guestFiles(t, g, PRODUCTION).map((f) => ({
        service: f.service,
        owner: g.name,
        guestService: g.service,
        file: f.path,
        path: `${g.name}:${f.path}`,
        content: f.content,
      }));
    } catch (e) {
      // A renderer that refuses the input the topology implies: the refusal is evidence too,
      // filed under the guest's own service. A service without a renderer cannot refuse: a bug.
      const service = renderedServiceOf(g);
      if (!service) throw e;
      return [
        { service, owner: g.name, guestService: g.service, file: '', path: `${g.name}:`, content: '', error: e instanceof Error ? e.message : String(e) },
      ];
    }
  });
}
