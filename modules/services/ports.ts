/**
 * The services' ports, the same in production and in the lab (each lab site has its own
 * address, so the usual ports never collide). Domain i of an environment's PostgreSQL gets
 * HAProxy write/read ports haproxyWrite + 2i and haproxyWrite + 2i + 1 (the 5000-5019 range
 * of the app-to-pg-haproxy flow, at most 10 domains).
 */
export const SERVICE_PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  postgres: 5432,
  patroniRest: 8008,
  haproxyWrite: 5000,
  haproxyStats: 8404,
  pgbackrestTls: 8432,
  pgExporter: 9187,
  nodeExporter: 9100,
  blackbox: 9115,
} as const;
