/**
 * The platform's service ports, declared once. The flow declarations (flows.ts), the
 * configuration adapter (modules/services/fromTopology), the lab and the policies all read
 * them from here; no other file spells a service port.
 *
 * The lab runs every service on the port production uses (each lab site is a network
 * namespace with its own address, so ports never collide). Two entries exist only because
 * the lab has no OpenShift: `refservice` (the reference documents API standing in for the
 * applications behind the WAF) and `prometheusWeb` (Prometheus' own HTTP port, which
 * production serves on the same port behind its bastion).
 */
export const PORTS = {
  https: 443,
  waf: 443,
  ingress: 443,
  ssh: 22,
  /** Proxmox VE hosts: API/web UI, SPICE proxy, first VNC console port. */
  proxmoxApi: 8006,
  proxmoxSpice: 3128,
  proxmoxVnc: 5900,
  ocpApi: 6443,
  ocpMachineConfig: 22623,
  ocpEtcd: '2379-2380',
  ocpGeneve: 6081,
  etcdClient: 2379,
  etcdPeer: 2380,
  postgres: 5432,
  patroniRest: 8008,
  /** First HAProxy port: domain i writes on haproxyWrite + 2i, reads on haproxyWrite + 2i + 1. */
  haproxyWrite: 5000,
  haproxyStats: 8404,
  pgbackrestTls: 8432,
  kafkaTls: 9093,
  kafkaController: 9094,
  /**
   * Prometheus JMX exporter (javaagent) of every Kafka broker and KRaft controller, admin plane:
   * the Kafka alerts of the monitoring (modules/services/monitoring). Strimzi's metrics port.
   */
  kafkaMetrics: 9404,
  /**
   * Prometheus exporter of every Ceph manager (ceph-mgr `prometheus` module, Ceph's stock port), on
   * the manager host's admin address: the standby answers with no metrics, the active one with the
   * cluster's (flow monitoring-ceph, the hds-ceph alerts of modules/services/monitoring).
   */
  cephMgrMetrics: 9283,
  cephMonV2: 3300,
  cephMonV1: 6789,
  cephOsdRange: '6800-7300',
  /**
   * Ceph RADOS Gateway (S3 object storage, TLS) on the stretched cluster's OSD hosts: the
   * applications' documents (workloads egress `object-storage` and flow app-to-rgw, issue 12).
   * A port of its own, not 443: the lab runs every service on production's port and a lab site
   * has one address, where the WAF already holds 443 (RGW's stock port is 7480, plain HTTP; this
   * is its TLS twin). The RGW multisite copy to DC3 (flow ceph-to-external) uses it too.
   */
  cephRgw: 7443,
  hsmKmip: 5696,
  snmp: 161,
  nodeExporter: 9100,
  pgExporter: 9187,
  blackbox: 9115,
  prometheusWeb: 9090,
  refservice: 8080,
  /**
   * WAF log relay, loopback only on each WAF (issue 11, EXG_SEC_5.4): TCP = ModSecurity's JSON
   * audit entries (`SecAuditLogType HTTPS`), UDP = nginx's error log as syslog. Never on a NIC.
   */
  wafLogRelay: 8514,
  /** WAF log relay's Prometheus metrics (blocked requests per rule family and route), admin plane. */
  wafLogMetrics: 9145,
} as const;

/** At most this many business domains share one HAProxy port range (5000-5019). */
export const MAX_PG_DOMAINS = 10;

/** The HAProxy port range of the app-to-pg-haproxy flow, e.g. "5000-5019". */
export const HAPROXY_PORT_RANGE = `${PORTS.haproxyWrite}-${PORTS.haproxyWrite + 2 * MAX_PG_DOMAINS - 1}`;

/** The HAProxy rule: business domain i (model order) writes on 5000 + 2i and reads on 5001 + 2i. */
export function haproxyPorts(domainIndex: number): { write: number; read: number } {
  if (!Number.isInteger(domainIndex) || domainIndex < 0 || domainIndex >= MAX_PG_DOMAINS)
    throw new RangeError(
      `domain index ${domainIndex} is outside 0..${MAX_PG_DOMAINS - 1}: the HAProxy range ${HAPROXY_PORT_RANGE} holds ${MAX_PG_DOMAINS} domains`,
    );
  return { write: PORTS.haproxyWrite + 2 * domainIndex, read: PORTS.haproxyWrite + 2 * domainIndex + 1 };
}
