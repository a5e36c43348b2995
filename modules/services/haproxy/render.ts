/**
 * HAProxy renderer: one HAProxy per DC in front of the Patroni clusters (EXG_PCA_2/PCA_3:
 * applications follow the leader after a failover without reconfiguration).
 * For each cluster: a write frontend whose backend health-checks Patroni's REST `GET /primary`
 * over TLS (verified against the CA), so only the leader is in service; a read frontend
 * checking `/replica`. PostgreSQL traffic is passed through in TCP mode (TLS end to end,
 * HAProxy never sees clear text). Stats page and Prometheus exporter on a separate port.
 */
import type { RenderedFile } from '../types.ts';

export interface HaproxyServer {
  name: string;
  address: string;
  pgPort: number;
  restPort: number;
}

export interface HaproxyCluster {
  /** Business domain, e.g. `documents`. */
  name: string;
  writePort: number;
  readPort: number;
  servers: HaproxyServer[];
}

export interface HaproxyInput {
  /** Site of this HAProxy, e.g. DC1 (comments and file name). */
  site: string;
  bindAddress: string;
  /** CA verifying the Patroni REST API certificates. */
  caFile: string;
  clusters: HaproxyCluster[];
  /** Stats page + `/metrics` (Prometheus exporter). */
  statsPort: number;
  /** Address of the stats frontend, default `bindAddress` (production: the admin NIC, flow monitoring-pg). */
  statsBindAddress?: string;
  maxconn?: number;
  timeouts?: { connect: string; client: string; server: string; check: string };
  /** Health check cadence: interval, failures to mark down, successes to mark up. */
  check?: { inter: string; fall: number; rise: number };
}

const DEFAULT_TIMEOUTS = { connect: '4s', client: '30m', server: '30m', check: '2s' };
/**
 * One failed check marks a node down, two successes mark it up, every second: a demoted
 * leader stops answering 200 on /primary before its successor starts to, so the old one is
 * down (≤ 1 s) before the new one is up (≥ 1 s after it answers) — never two write servers UP.
 */
const DEFAULT_CHECK = { inter: '1s', fall: 1, rise: 2 };
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export function haproxyConfigPath(site: string): string {
  return `haproxy-${site.toLowerCase()}.cfg`;
}

function validate(input: HaproxyInput): void {
  const ports = [input.statsPort, ...input.clusters.flatMap((c) => [c.writePort, c.readPort])];
  if (new Set(ports).size !== ports.length) throw new Error(`haproxy ${input.site}: ports must be distinct (${ports.join(', ')})`);
  for (const c of input.clusters) {
    if (!NAME_RE.test(c.name)) throw new Error(`haproxy: invalid cluster name ${JSON.stringify(c.name)}`);
    if (c.servers.length === 0) throw new Error(`haproxy: cluster ${c.name} has no server`);
    for (const s of c.servers) if (!NAME_RE.test(s.name)) throw new Error(`haproxy: invalid server name ${JSON.stringify(s.name)}`);
  }
}

function backend(input: HaproxyInput, c: HaproxyCluster, kind: 'write' | 'read'): string[] {
  const chk = input.check ?? DEFAULT_CHECK;
  const path = kind === 'write' ? '/primary' : '/replica';
  return [
    `backend ${c.name}_${kind}`,
    `    # ${kind === 'write' ? 'Only the Patroni leader answers 200 on /primary' : 'Streaming replicas answer 200 on /replica'}`,
    '    mode tcp',
    '    balance first',
    '    option httpchk',
    `    http-check send meth GET uri ${path}`,
    '    http-check expect status 200',
    `    default-server inter ${chk.inter} fastinter ${chk.inter} downinter ${chk.inter} fall ${chk.fall} rise ${chk.rise} on-marked-down shutdown-sessions`,
    ...c.servers.map((s) => `    server ${s.name} ${s.address}:${s.pgPort} check port ${s.restPort} check-ssl verify required ca-file ${input.caFile}`),
    '',
  ];
}

export function renderHaproxy(input: HaproxyInput): RenderedFile[] {
  validate(input);
  const t = input.timeouts ?? DEFAULT_TIMEOUTS;
  const lines = [
    `# HAProxy ${input.site} — rendered by hds-platform, do not edit.`,
    '# Follows the Patroni leader (GET /primary over TLS) for writes, /replica for reads.',
    'global',
    `    maxconn ${input.maxconn ?? 2000}`,
    '    log stderr format short local0 info',
    '    ssl-default-server-options ssl-min-ver TLSv1.2',
    '',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option tcplog',
    '    option dontlognull',
    '    retries 2',
    `    timeout connect ${t.connect}`,
    `    timeout client ${t.client}`,
    `    timeout server ${t.server}`,
    `    timeout check ${t.check}`,
    '    timeout queue 10s',
    '',
    'frontend stats',
    '    mode http',
    `    bind ${input.statsBindAddress ?? input.bindAddress}:${input.statsPort}`,
    '    timeout client 10s',
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    stats enable',
    '    stats uri /stats',
    '    stats refresh 10s',
    '',
  ];
  for (const c of input.clusters) {
    lines.push(
      `frontend ${c.name}_write`,
      `    bind ${input.bindAddress}:${c.writePort}`,
      `    default_backend ${c.name}_write`,
      '',
      `frontend ${c.name}_read`,
      `    bind ${input.bindAddress}:${c.readPort}`,
      `    default_backend ${c.name}_read`,
      '',
      ...backend(input, c, 'write'),
      ...backend(input, c, 'read'),
    );
  }
  return [{ path: haproxyConfigPath(input.site), content: lines.join('\n'), mode: 0o644 }];
}
