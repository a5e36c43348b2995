/**
 * Supervision (service `monitoring`) from the topology. Every monitoring guest scrapes the
 * whole environment (the monitoring flows are any-site: a Prometheus of either DC sees both DCs
 * and DC3), on the admin plane (flows monitoring-scrape, monitoring-pg):
 * - Patroni REST /metrics (8008, TLS) and postgres_exporter (9187) of every data node,
 * - HAProxy /metrics (8404) of every HAProxy guest,
 * - the node exporter (9100) of every guest the flow monitoring-scrape reaches (HSM appliances
 *   are not: they have their own SNMP supervision),
 * and probes every WAF through its front address on 443 with the local blackbox exporter
 * (flow monitoring-probe, EXG_DIS_1.5): GET /health, and a SQL injection that must get a 403.
 * Non-event rules (EXG_MON_4): one per business domain, no insert for 30 minutes (the lab's
 * NON_EVENT_MINUTES).
 */
import type { Guest, Topology } from '../../model/topology.ts';
import { MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from '../monitoring/render.ts';
import type { RenderedFile } from '../types.ts';
import { clientTls, isPgData, nicOf, PORTS, pgDomains, place, TLS } from './common.ts';
import { isHaproxy } from './haproxy.ts';
import { isWaf } from './waf.ts';

export const MONITORING_CONF_DIR = '/etc/prometheus';
export const NON_EVENT_MINUTES = 30;

export const isMonitoring = (g: Guest) => g.service === 'monitoring';

const admin = (g: Guest, port: number) => `${nicOf(g, 'admin').ip}:${port}`;

export function monitoringInput(t: Topology, g: Guest): MonitoringRenderInput {
  const data = t.guests.filter(isPgData);
  const wafs = t.guests.filter(isWaf);
  const probes = wafs.map((w) => ({ name: `${w.name}-health`, url: `https://${nicOf(w, 'front').ip}:${PORTS.waf}/health`, site: w.site }));
  return {
    confDir: MONITORING_CONF_DIR,
    caPath: TLS.caFile,
    patroniClientCert: { certPath: clientTls.certFile, keyPath: clientTls.keyFile },
    externalLabels: { environment: t.environment.name, replica: g.name },
    patroni: data.map((n) => ({ target: admin(n, PORTS.patroniRest), site: n.site, cluster: n.domain! })),
    haproxy: t.guests.filter(isHaproxy).map((h) => ({ target: admin(h, PORTS.haproxyStats), site: h.site })),
    postgresExporters: data.map((n) => ({ target: admin(n, PORTS.pgExporter), site: n.site, cluster: n.domain! })),
    nodeExporters: t.guests
      .filter((x) => x.service !== 'hsm' && x.nics.some((n) => n.zone === 'admin'))
      .map((x) => ({ target: admin(x, PORTS.nodeExporter), site: x.site })),
    blackboxExporter: admin(g, PORTS.blackbox),
    healthProbes: probes,
    wafBlockingProbes: probes.map((p) => ({ ...p, name: p.name.replace(/-health$/, '-blocks-sqli') })),
    nonEvents: pgDomains(t).map((database) => ({ database, minutes: NON_EVENT_MINUTES })),
  };
}

export function monitoringFilesFor(t: Topology, g: Guest): RenderedFile[] {
  if (pgDomains(t).length === 0) return [];
  const files = renderMonitoring(monitoringInput(t, g));
  return Object.values(MONITORING_FILES).map((p) =>
    place(
      files.find((f) => f.path === p),
      `${MONITORING_CONF_DIR}/${p}`,
      `monitoring ${p}`,
    ),
  );
}
