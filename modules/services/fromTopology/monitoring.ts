/**
 * Supervision (service `monitoring`) from the topology. Every monitoring guest scrapes the
 * whole environment (the monitoring flows are any-site: a Prometheus of either DC sees both DCs
 * and DC3), on the admin plane (flows monitoring-scrape, monitoring-pg):
 * - Patroni REST /metrics and postgres_exporter of every data node,
 * - HAProxy /metrics of every HAProxy guest,
 * - the node exporter of every guest the flow monitoring-scrape reaches (HSM appliances
 *   are not: they have their own SNMP supervision),
 * and probes every WAF through its front address with the local blackbox exporter
 * (flow monitoring-probe, EXG_DIS_1.5): GET /health, and a SQL injection that must get a 403.
 * It also scrapes every WAF's log relay on its admin address (PORTS.wafLogMetrics): blocked
 * requests per rule family and declared route, for the SOC's dashboards (EXG_SEC_5.4, issue 11).
 * Non-event rules (EXG_MON_4): one per business domain, no insert for NON_EVENT_MINUTES.
 * Kafka: the JMX exporter of every broker and KRaft controller on its admin address
 * (PORTS.kafkaMetrics, label role), and the hds-kafka alerts (under-min-ISR partitions, offline
 * partitions, active controllers ≠ 1; EXG_PCA_2).
 * Ceph: the exporter of every manager of the stretched cluster, active and standby (label role
 * `mgr`), on its host's admin address (PORTS.cephMgrMetrics, flow monitoring-ceph), and the hds-ceph
 * alerts (health, PGs, OSDs, monitors, capacity; EXG_PCA_2, EXG_VOL_3).
 * Backups: with a backup policy and PostgreSQL, the hds-backup alerts (age of the last backup per
 * stanza and repository, of the last verify and restore test, WAL archiving failing or lagging;
 * backupAlertInput, EXG_PRA_2, EXG_PRA_3), the same group in production and in the lab.
 */
import { PORTS } from '../../model/ports.ts';
import { isHaproxy, isHsm, isKafkaController, isPgData, isWaf, pgDomains } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { type CephExporterTarget, MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from '../monitoring/render.ts';
import type { GuestFile } from '../types.ts';
import { backupAlertInput } from './backup.ts';
import { at, clientTls, place, TLS } from './common.ts';
import { cephDaemons, cephMgrMetricsAddress } from './ceph.ts';
import { kafkaNodes } from './kafka.ts';
import { MONITORING_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** Default non-event window until Cnam validates thresholds per flow (EXG_MON_4). */
export const NON_EVENT_MINUTES = 30;

/**
 * Every Ceph manager's exporter (cephDaemons, kind `mgr`: the first OSD host of each data site), on
 * the admin address of its host — the monitoring guests have no other NIC, and flow monitoring-ceph
 * opens PORTS.cephMgrMetrics there. None without Ceph.
 */
export function cephExporters(t: Topology, p: DeploymentProfile): CephExporterTarget[] {
  if (!t.ceph) return [];
  return cephDaemons(t, p)
    .filter((d) => d.kind === 'mgr')
    .map((d) => ({ target: `${cephMgrMetricsAddress(t, p, d)}:${PORTS.cephMgrMetrics}`, site: d.site, role: 'mgr' }));
}

export function monitoringInput(t: Topology, p: DeploymentProfile, g: Guest): MonitoringRenderInput {
  const admin = (x: Guest, port: number) => `${p.address(x, 'admin')}:${port}`;
  const data = t.guests.filter(isPgData);
  const probes = t.guests.filter(isWaf).map((w) => ({ name: `${w.name}-health`, url: `https://${p.address(w, 'front')}:${PORTS.waf}/health`, site: w.site }));
  const tls = clientTls(p, g);
  const backup = backupAlertInput(t);
  return {
    confDir: at(p, g, MONITORING_PATHS.confDir),
    caPath: at(p, g, TLS.caFile),
    patroniClientCert: { certPath: tls.certFile, keyPath: tls.keyFile },
    externalLabels: { environment: t.environment.name, replica: g.name },
    patroni: data.map((n) => ({ target: admin(n, PORTS.patroniRest), site: n.site, cluster: n.domain! })),
    haproxy: t.guests.filter(isHaproxy).map((h) => ({ target: admin(h, PORTS.haproxyStats), site: h.site })),
    postgresExporters: data.map((n) => ({ target: admin(n, PORTS.pgExporter), site: n.site, cluster: n.domain! })),
    nodeExporters: t.guests
      .filter((x) => !isHsm(x) && x.nics.some((n) => n.zone === 'admin'))
      .map((x) => ({ target: admin(x, PORTS.nodeExporter), site: x.site })),
    wafLogRelays: t.guests.filter(isWaf).map((w) => ({ target: admin(w, PORTS.wafLogMetrics), site: w.site })),
    kafkaExporters: kafkaNodes(t).map((k) => ({ target: admin(k, PORTS.kafkaMetrics), site: k.site, role: isKafkaController(k) ? 'controller' : 'broker' })),
    cephExporters: cephExporters(t, p),
    blackboxExporter: admin(g, PORTS.blackbox),
    healthProbes: probes,
    wafBlockingProbes: probes.map((x) => ({ ...x, name: x.name.replace(/-health$/, '-blocks-sqli') })),
    nonEvents: pgDomains(t).map((database) => ({ database, minutes: NON_EVENT_MINUTES })),
    ...(backup ? { backup } : {}),
  };
}

export function monitoringFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  if (pgDomains(t).length === 0) return [];
  const input = monitoringInput(t, p, g);
  const files = renderMonitoring(input);
  return Object.values(MONITORING_FILES).map((name) =>
    place(
      files.find((f) => f.path === name),
      `${input.confDir}/${name}`,
      `monitoring ${name}`,
      'monitoring',
      'prometheus',
    ),
  );
}
