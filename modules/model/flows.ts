/**
 * The flows of the platform, declared once between services, and their expansion to the
 * IP-level flow matrix the CCTP asks to maintain (EXG_ART_1.2). Firewall rules, Kubernetes
 * NetworkPolicies and the flow-matrix document are all rendered from `flowMatrix`.
 */
import type { Endpoint, FlowDeclaration, FlowEntry, Guest, Plane } from './topology.ts';
import { HAPROXY_PORT_RANGE, PORTS } from './ports.ts';
import type { Zone } from './types.ts';

const d = (f: Omit<FlowDeclaration, 'requirements'> & { requirements?: string[] }): FlowDeclaration => ({
  requirements: ['EXG_ART_1.2'],
  ...f,
});

const ALL_GUEST_SERVICES: Endpoint[] = (['waf', 'openshift', 'postgresql', 'kafka', 'ceph', 'monitoring', 'backup', 'bastion'] as const).map((service) => ({
  service,
}));

/**
 * The guests that run the Ceph object gateway (RGW, S3 over TLS on PORTS.cephRgw): the OSD hosts
 * of the stretched cluster, in both data sites. The workloads' `object-storage` egress and the
 * app-to-rgw flow both read it.
 */
export const CEPH_RGW_HOSTS = { service: 'ceph', roles: ['osd'] } as const satisfies Endpoint;

/**
 * The guests that can run a Ceph manager (and its Prometheus exporter on PORTS.cephMgrMetrics): the
 * OSD hosts — model/ceph.ts places one on the first OSD host of each data site (active / standby);
 * the tie-breaker runs a monitor only. The flow monitoring-ceph opens the port on every OSD host
 * (roles are the matrix's finest grain), so moving a manager to another OSD host needs no new rule.
 */
export const CEPH_MANAGER_HOSTS = { service: 'ceph', roles: ['osd'] } as const satisfies Endpoint;

// biome-ignore format: one flow per line, read as a table
export const FLOW_DECLARATIONS: readonly FlowDeclaration[] = [
  d({ id: 'internet-to-waf', from: { external: 'internet' }, to: { service: 'waf' }, protocol: 'tcp', ports: [PORTS.waf], plane: 'application', scope: 'any-site', purpose: 'HTTPS from users and partners, TLS terminated by the WAF', requirements: ['EXG_ART_1.2', 'EXG_WAF_1'] }),
  d({ id: 'waf-to-ingress', from: { service: 'waf' }, to: { service: 'openshift', roles: ['infra'] }, protocol: 'tcp', ports: [PORTS.ingress], plane: 'application', scope: 'same-site', purpose: 'WAF to the OpenShift ingress routers of its own site (re-encrypted)' }),
  d({ id: 'ocp-api', from: { service: 'openshift', roles: ['worker', 'infra'] }, to: { service: 'openshift', roles: ['master'] }, protocol: 'tcp', ports: [PORTS.ocpApi, PORTS.ocpMachineConfig], plane: 'application', scope: 'same-site', purpose: 'Kubernetes API and machine config server' }),
  d({ id: 'ocp-etcd', from: { service: 'openshift', roles: ['master'] }, to: { service: 'openshift', roles: ['master'] }, protocol: 'tcp', ports: [PORTS.ocpEtcd], plane: 'application', scope: 'same-site', purpose: 'OpenShift control-plane etcd' }),
  d({ id: 'ocp-overlay', from: { service: 'openshift' }, to: { service: 'openshift' }, protocol: 'udp', ports: [PORTS.ocpGeneve], plane: 'application', scope: 'same-site', purpose: 'OVN-Kubernetes Geneve overlay' }),
  d({ id: 'app-to-pg-haproxy', from: { service: 'openshift', roles: ['worker'] }, to: { service: 'postgresql', roles: ['haproxy'] }, protocol: 'tcp', ports: [HAPROXY_PORT_RANGE], plane: 'application', scope: 'same-site', purpose: 'Applications to PostgreSQL: write (5000+2i) and read (5001+2i) endpoints of business domain i (at most MAX_PG_DOMAINS domains)' }),
  d({ id: 'pg-haproxy-to-pg', from: { service: 'postgresql', roles: ['haproxy'] }, to: { service: 'postgresql', roles: ['primary', 'standby'] }, protocol: 'tcp', ports: [PORTS.postgres, PORTS.patroniRest], plane: 'application', scope: 'any-site', purpose: 'HAProxy to PostgreSQL and Patroni REST health checks' }),
  d({ id: 'pg-replication', from: { service: 'postgresql', roles: ['primary', 'standby'] }, to: { service: 'postgresql', roles: ['primary', 'standby'] }, protocol: 'tcp', ports: [PORTS.postgres, PORTS.patroniRest], plane: 'application', scope: 'any-site', purpose: 'Synchronous streaming replication and Patroni REST (PDMA 0)', requirements: ['EXG_ART_1.2', 'EXG_PCA_2'] }),
  d({ id: 'pg-to-dcs', from: { service: 'postgresql', roles: ['primary', 'standby'] }, to: { service: 'postgresql', roles: ['etcd', 'witness'] }, protocol: 'tcp', ports: [PORTS.etcdClient], plane: 'application', scope: 'any-site', purpose: 'Patroni to its etcd DCS (leader election)' }),
  d({ id: 'dcs-peers', from: { service: 'postgresql', roles: ['etcd', 'witness'] }, to: { service: 'postgresql', roles: ['etcd', 'witness'] }, protocol: 'tcp', ports: [PORTS.etcdPeer], plane: 'application', scope: 'any-site', purpose: 'etcd peer traffic (quorum with the DC3 witness)' }),
  d({ id: 'pg-to-backup', from: { service: 'postgresql', roles: ['primary', 'standby'] }, to: { service: 'backup' }, protocol: 'tcp', ports: [PORTS.pgbackrestTls], plane: 'backup', scope: 'any-site', purpose: 'pgBackRest WAL archiving and backups to the DC3 repository (TLS)', requirements: ['EXG_ART_1.2', 'EXG_PRA_2'] }),
  d({ id: 'backup-to-pg', from: { service: 'backup' }, to: { service: 'postgresql', roles: ['primary', 'standby'] }, protocol: 'tcp', ports: [PORTS.pgbackrestTls], plane: 'backup', scope: 'any-site', purpose: 'pgBackRest repository host driving backups (TLS)', requirements: ['EXG_ART_1.2', 'EXG_PRA_2'] }),
  d({ id: 'backup-to-external-ceph', from: { service: 'backup' }, to: { service: 'ceph', roles: ['external'] }, protocol: 'tcp', ports: [PORTS.cephRgw], plane: 'backup', scope: 'any-site', purpose: 'pgBackRest offline copy (repo2): the repository host writes to the object-lock bucket of the external Ceph cluster (S3 over TLS)', requirements: ['EXG_ART_1.2', 'EXG_PRA_2'] }),
  d({ id: 'app-to-kafka', from: { service: 'openshift', roles: ['worker'] }, to: { service: 'kafka', roles: ['broker'] }, protocol: 'tcp', ports: [PORTS.kafkaTls], plane: 'application', scope: 'any-site', purpose: 'Applications and the Strimzi topic/user operators to the Kafka brokers (mutual TLS)' }),
  d({ id: 'kafka-peers', from: { service: 'kafka', roles: ['broker'] }, to: { service: 'kafka', roles: ['broker'] }, protocol: 'tcp', ports: [PORTS.kafkaTls], plane: 'application', scope: 'any-site', purpose: 'Kafka inter-broker replication across the datacenters (racks = sites, mutual TLS)', requirements: ['EXG_ART_1.2', 'EXG_PCA_2'] }),
  d({ id: 'kafka-quorum', from: { service: 'kafka' }, to: { service: 'kafka', roles: ['controller'] }, protocol: 'tcp', ports: [PORTS.kafkaController], plane: 'application', scope: 'any-site', purpose: 'KRaft: brokers register with and fetch metadata from the controllers, controllers vote (the DC3 controller is the tie-breaker, ADR 0007)', requirements: ['EXG_ART_1.2', 'EXG_PCA_2'] }),
  d({ id: 'app-to-ceph', from: { service: 'openshift', roles: ['worker'] }, to: { service: 'ceph', roles: ['osd', 'witness'] }, protocol: 'tcp', ports: [PORTS.cephMonV2, PORTS.cephMonV1, PORTS.cephOsdRange], plane: 'application', scope: 'any-site', purpose: 'CSI clients to Ceph monitors and OSDs' }),
  d({ id: 'app-to-rgw', from: { service: 'openshift', roles: ['worker'] }, to: { service: CEPH_RGW_HOSTS.service, roles: [...CEPH_RGW_HOSTS.roles] }, protocol: 'tcp', ports: [PORTS.cephRgw], plane: 'application', scope: 'any-site', purpose: 'Applications to the Ceph object gateways (S3, TLS: documents, attachments, media). Any site: the stretched cluster is one object store whose writes land on both sites anyway, and the S3 endpoint keeps answering from the other site while the local gateways are down', requirements: ['EXG_ART_1.2'] }),
  d({ id: 'ceph-peers', from: { service: 'ceph', roles: ['osd', 'witness'] }, to: { service: 'ceph', roles: ['osd', 'witness'] }, protocol: 'tcp', ports: [PORTS.cephMonV2, PORTS.cephMonV1, PORTS.cephOsdRange], plane: 'application', scope: 'any-site', purpose: 'Ceph stretched-cluster replication and monitor quorum' }),
  d({ id: 'ceph-to-external', from: { service: 'ceph', roles: ['osd'] }, to: { service: 'ceph', roles: ['external'] }, protocol: 'tcp', ports: [PORTS.cephRgw], plane: 'backup', scope: 'any-site', purpose: 'RGW multisite / rbd-mirror copy to the DC3 external cluster', requirements: ['EXG_ART_1.2', 'EXG_PRA_2'] }),
  d({ id: 'ceph-to-hsm', from: { service: CEPH_RGW_HOSTS.service, roles: [...CEPH_RGW_HOSTS.roles] }, to: { service: 'hsm' }, protocol: 'tcp', ports: [PORTS.hsmKmip], plane: 'application', scope: 'same-site', purpose: "Ceph object gateways to their site's HSM cluster over KMIP (mutual TLS): the keys of RGW's server-side encryption (SSE-KMS, kmip backend), one per business domain, held by the HSM. Same site, as the applications' app-to-hsm", requirements: ['EXG_ART_1.2', 'EXG_SEC_4.2', 'EXG_SEC_4.3'] }),
  d({ id: 'app-to-hsm', from: { service: 'openshift', roles: ['worker'] }, to: { service: 'hsm' }, protocol: 'tcp', ports: [PORTS.hsmKmip], plane: 'application', scope: 'same-site', purpose: 'Key operations on the site HSM cluster (PKCS#11 network client / KMIP)', requirements: ['EXG_ART_1.2', 'EXG_SEC_4.2'] }),
  d({ id: 'monitoring-scrape', from: { service: 'monitoring' }, to: ALL_GUEST_SERVICES, protocol: 'tcp', ports: [PORTS.nodeExporter], plane: 'admin', scope: 'any-site', purpose: 'Prometheus node exporter scrape', requirements: ['EXG_ART_1.2', 'EXG_MON_6'] }),
  d({ id: 'monitoring-pg', from: { service: 'monitoring' }, to: { service: 'postgresql' }, protocol: 'tcp', ports: [PORTS.patroniRest, PORTS.haproxyStats, PORTS.pgExporter], plane: 'admin', scope: 'any-site', purpose: 'Patroni, HAProxy and PostgreSQL exporter scrape' }),
  d({ id: 'monitoring-hsm-snmp', from: { service: 'monitoring' }, to: { service: 'hsm' }, protocol: 'udp', ports: [PORTS.snmp], plane: 'admin', scope: 'any-site', purpose: 'SNMPv3 health and capacity metrics of the HSM appliances', requirements: ['EXG_ART_1.2', 'EXG_MON_6'] }),
  d({ id: 'monitoring-waf-logs', from: { service: 'monitoring' }, to: { service: 'waf' }, protocol: 'tcp', ports: [PORTS.wafLogMetrics], plane: 'admin', scope: 'any-site', purpose: 'WAF log relay metrics: blocked requests per rule family and route (SOC dashboards)', requirements: ['EXG_ART_1.2', 'EXG_SEC_5.4'] }),
  d({ id: 'monitoring-kafka', from: { service: 'monitoring' }, to: { service: 'kafka', roles: ['broker', 'controller'] }, protocol: 'tcp', ports: [PORTS.kafkaMetrics], plane: 'admin', scope: 'any-site', purpose: 'Prometheus JMX exporter of every Kafka broker and KRaft controller, on its admin address: under-min-ISR and offline partitions, active controller (hds-kafka alerts)', requirements: ['EXG_ART_1.2', 'EXG_MON_6'] }),
  d({ id: 'monitoring-ceph', from: { service: 'monitoring' }, to: { service: CEPH_MANAGER_HOSTS.service, roles: [...CEPH_MANAGER_HOSTS.roles] }, protocol: 'tcp', ports: [PORTS.cephMgrMetrics], plane: 'admin', scope: 'any-site', purpose: 'Prometheus exporter of the Ceph managers (ceph-mgr prometheus module), on the admin address: every manager is scraped, the standby answers with no metrics, so a failover needs no change (hds-ceph alerts: health, PGs, OSDs, monitors, capacity)', requirements: ['EXG_ART_1.2', 'EXG_MON_6'] }),
  d({ id: 'monitoring-probe', from: { service: 'monitoring' }, to: { service: 'waf' }, protocol: 'tcp', ports: [PORTS.waf], plane: 'application', scope: 'any-site', purpose: 'Blackbox availability probes simulating a user', requirements: ['EXG_ART_1.2', 'EXG_DIS_1.5'] }),
  d({ id: 'admin-to-bastion', from: { external: 'admin-workstations' }, to: { service: 'bastion' }, protocol: 'tcp', ports: [PORTS.https, PORTS.ssh], plane: 'admin', scope: 'any-site', purpose: 'Administrators reach the bastion only (MFA, session recording)' }),
  d({ id: 'bastion-ssh', from: { service: 'bastion' }, to: ALL_GUEST_SERVICES, protocol: 'tcp', ports: [PORTS.ssh], plane: 'admin', scope: 'any-site', purpose: 'Administration through the bastion only' }),
];

const EXTERNAL_ADDRESSES: Record<'internet' | 'admin-workstations', string> = {
  internet: '0.0.0.0/0',
  'admin-workstations': 'admin-workstations',
};

function matches(endpoint: Endpoint, guest: Guest): boolean {
  if ('external' in endpoint) return false;
  return endpoint.service === guest.service && (!endpoint.roles || endpoint.roles.includes(guest.role));
}

function nicFor(guest: Guest, plane: Plane): { zone: Zone; ip: string } | undefined {
  const zone: Zone | undefined = plane === 'admin' ? 'admin' : plane === 'backup' ? 'backup' : undefined;
  const nic = zone ? guest.nics.find((n) => n.zone === zone) : guest.nics[0];
  return nic ?? guest.nics[0];
}

/** The guests an endpoint (or a list of endpoints) designates; none for an external endpoint. */
export function endpointGuests(endpoint: Endpoint | Endpoint[], guests: Guest[]): Guest[] {
  return targets(endpoint, guests);
}

function targets(endpoint: Endpoint | Endpoint[], guests: Guest[]): Guest[] {
  const list = Array.isArray(endpoint) ? endpoint : [endpoint];
  return guests.filter((g) => list.some((e) => matches(e, g)));
}

/** Expand the declarations to one entry per source address, destination address and port. */
export function expandFlows(declarations: readonly FlowDeclaration[], guests: Guest[]): FlowEntry[] {
  const entries: FlowEntry[] = [];
  for (const flow of declarations) {
    const destinations = targets(flow.to, guests);
    const external = 'external' in flow.from ? flow.from.external : undefined;
    const sources: Array<Guest | undefined> = external ? [undefined] : targets(flow.from, guests);
    for (const src of sources) {
      for (const dst of destinations) {
        if (src && src.name === dst.name) continue;
        if (src && flow.scope === 'same-site' && src.site !== dst.site) continue;
        const dstNic = nicFor(dst, flow.plane);
        const srcNic = src ? nicFor(src, flow.plane) : undefined;
        if (!dstNic || (src && !srcNic)) continue;
        for (const port of flow.ports) {
          entries.push({
            flow: flow.id,
            source:
              src && srcNic
                ? { name: src.name, site: src.site, zone: srcNic.zone, ip: srcNic.ip }
                : { name: external ?? 'external', ip: EXTERNAL_ADDRESSES[external ?? 'internet'] },
            destination: { name: dst.name, site: dst.site, zone: dstNic.zone, ip: dstNic.ip },
            protocol: flow.protocol,
            port,
            plane: flow.plane,
            purpose: flow.purpose,
          });
        }
      }
    }
  }
  return entries;
}

/** Declarations that apply to the environment (both ends present). */
export function applicableFlows(declarations: readonly FlowDeclaration[], guests: Guest[]): FlowDeclaration[] {
  return declarations.filter((f) => targets(f.to, guests).length > 0 && ('external' in f.from || targets(f.from, guests).length > 0));
}
