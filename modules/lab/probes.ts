/**
 * Host-side probes of the running lab (through the bridge, inside the lab supernet only):
 * Patroni REST, etcd health, PostgreSQL through HAProxy. Used by health waits, tests,
 * drills and status. Every call is bounded in time.
 */
import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import pg from 'pg';
import { pgRoleNames } from '../model/roles.ts';
import { type CertPaths, ensureCert } from '../runtime/pki.ts';
import { pgCredentialRef } from '../services/fromTopology/postgres.ts';
import { labPaths } from './context.ts';
import { etcdMembers, patroniNodes } from './endpoints.ts';
import { httpsGetJson, readCachedFile } from './https.ts';
import { labSecretOf } from './guests.ts';
import type { LabPlan } from './types.ts';

const hostCerts = new Map<string, CertPaths>();

/**
 * The client certificate the host side (hdsctl, tests) presents to lab services: issued once,
 * then reused while its files exist (no certificate check on every call of a drill's loops).
 */
export async function hostClientCert(plan: LabPlan): Promise<CertPaths> {
  const known = hostCerts.get(plan.stateDir);
  if (
    known &&
    (
      await Promise.all(
        [known.ca, known.cert, known.key].map((f) =>
          stat(f).then(
            () => true,
            () => false,
          ),
        ),
      )
    ).every(Boolean)
  )
    return known;
  const c = await ensureCert(labPaths(plan.stateDir).pki, { name: 'hdsctl-client', commonName: 'hdsctl', dnsNames: [], ipAddresses: [], usage: 'client' });
  hostCerts.set(plan.stateDir, c);
  return c;
}

export { httpsGetJson };

export interface PatroniMember {
  name: string;
  role: 'leader' | 'replica' | 'sync_standby' | 'standby_leader' | string;
  state: string;
  host: string;
  port: number;
  timeline?: number;
  lag?: number | string;
}

/** GET /cluster on one Patroni node. */
export async function patroniCluster(plan: LabPlan, restUrl: string): Promise<{ members: PatroniMember[] }> {
  const r = await httpsGetJson<{ members: PatroniMember[] }>(`${restUrl}/cluster`, await hostClientCert(plan));
  if (r.status !== 200) throw new Error(`${restUrl}/cluster answered ${r.status}`);
  return r.body;
}

/** /cluster from the first node that answers. */
export async function patroniClusterAny(plan: LabPlan, restUrls: string[]): Promise<{ members: PatroniMember[] }> {
  let last: unknown;
  for (const u of restUrls) {
    try {
      return await patroniCluster(plan, u);
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error('no Patroni node answered');
}

/** What one Patroni node says of itself (`GET /patroni`). */
export interface PatroniNodeState {
  state?: string;
  role?: string;
  timeline?: number;
  replication?: Array<{ application_name: string; state: string; sync_state: string }>;
}

/**
 * The replication a domain really has, from each node's own view (in parallel, bounded: a node
 * cut off does not hide the others): the running primaries, and the standby the primary's
 * `pg_stat_replication` shows streaming with `sync_state = sync`. This, not Patroni's `/cluster`
 * roles (the DCS `/sync` key), says whether commits are protected (RPO 0): the two can disagree
 * (ADR 0006, the orphaned-postmaster finding).
 */
export interface ReplicationState {
  primaries: string[];
  /** The only running primary, when there is exactly one. */
  leader?: string;
  /** The leader's synchronous standby, streaming. */
  syncStandby?: string;
  /** Nodes whose REST API answered. */
  answered: string[];
}

export async function replicationState(plan: LabPlan, domain: string, timeoutMs = 2000): Promise<ReplicationState> {
  const tls = await hostClientCert(plan);
  const nodes = patroniNodes(plan, domain);
  const states = await Promise.all(nodes.map((n) => httpsGetJson<PatroniNodeState>(`${n.restUrl}/patroni`, tls, timeoutMs).catch(() => undefined)));
  const out: ReplicationState = { primaries: [], answered: [] };
  let syncOf: string | undefined;
  states.forEach((r, i) => {
    if (!r?.body || r.status >= 500) return;
    const name = nodes[i]!.name;
    out.answered.push(name);
    const st = r.body;
    if ((st.role === 'master' || st.role === 'primary') && st.state === 'running') {
      out.primaries.push(name);
      syncOf ??= st.replication?.find((x) => x.sync_state === 'sync' && x.state === 'streaming')?.application_name;
    }
  });
  if (out.primaries.length === 1) {
    out.leader = out.primaries[0]!;
    if (syncOf) out.syncStandby = syncOf;
  }
  return out;
}

export interface EtcdHealth {
  endpoint: string;
  health: boolean;
  error?: string;
}

/** Runs etcdctl against every member, from the host with the host client certificate. */
async function etcdctl(plan: LabPlan, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const c = await hostClientCert(plan);
  const endpoints = etcdMembers(plan).map((m) => m.clientUrl);
  const r = await execa(
    'etcdctl',
    [
      '--endpoints',
      endpoints.join(','),
      '--cacert',
      c.ca,
      '--cert',
      c.cert,
      '--key',
      c.key,
      '--dial-timeout=3s',
      '--command-timeout=5s',
      ...args,
      '-w',
      'json',
    ],
    { reject: false, timeout: 20_000, env: { ETCDCTL_API: '3' } },
  );
  return { stdout: String(r.stdout).trim(), stderr: String(r.stderr).trim(), exitCode: r.exitCode };
}

/** `etcdctl endpoint health` for every member. */
export async function etcdHealth(plan: LabPlan): Promise<EtcdHealth[]> {
  const r = await etcdctl(plan, ['endpoint', 'health']);
  if (!r.stdout.startsWith('[')) throw new Error(`etcdctl endpoint health: ${r.stderr.split('\n').slice(-1)[0] || `exit ${r.exitCode}`}`);
  return JSON.parse(r.stdout) as EtcdHealth[];
}

/**
 * Each member's `GET /version`: `{ etcdserver, etcdcluster }`. A new cluster reports the cluster
 * version 3.0.0 (or `not_decided`) until its leader has agreed it with every member; a client that
 * reads it then — Patroni 3.0.2 picks its API prefix from it once, `/v3alpha` below 3.3, which etcd
 * 3.4 answers with 404 — keeps the wrong API. Health waits for the decided version.
 */
export async function etcdVersions(plan: LabPlan): Promise<Array<{ endpoint: string; server: string; cluster: string }>> {
  const c = await hostClientCert(plan);
  return Promise.all(
    etcdMembers(plan).map(async (m) => {
      const r = await httpsGetJson<{ etcdserver?: string; etcdcluster?: string }>(`${m.clientUrl}/version`, c, 3000);
      return { endpoint: m.clientUrl, server: r.body?.etcdserver ?? '', cluster: r.body?.etcdcluster ?? '' };
    }),
  );
}

/** Whether the cluster version is decided and is the members' own `major.minor` (etcdVersions). */
export function etcdClusterVersionDecided(v: ReadonlyArray<{ server: string; cluster: string }>): boolean {
  const majorMinor = (s: string) => /^(\d+)\.(\d+)\./.exec(s)?.slice(1, 3).join('.');
  return v.length > 0 && v.every((x) => majorMinor(x.server) !== undefined && majorMinor(x.cluster) === majorMinor(x.server));
}

/** Number of members in the etcd cluster (`etcdctl member list`). */
export async function etcdMemberCount(plan: LabPlan): Promise<number> {
  const r = await etcdctl(plan, ['member', 'list']);
  if (r.exitCode !== 0) throw new Error(`etcdctl member list: ${r.stderr.split('\n').slice(-1)[0] || `exit ${r.exitCode}`}`);
  return (JSON.parse(r.stdout) as { members?: unknown[] }).members?.length ?? 0;
}

/**
 * A pg client for the domain's application role, TLS verified against the lab CA (verify-ca:
 * behind HAProxy the server may be either node, so the host name is not checked).
 */
export async function appClient(
  plan: LabPlan,
  domain: string,
  host: string,
  port: number,
  timeoutMs = 5000,
  /** No statement or client-side query timeout (exports, loads, restores: one statement may run for minutes). */
  o: { longStatements?: boolean } = {},
): Promise<pg.Client> {
  const ca = await readCachedFile((await hostClientCert(plan)).ca);
  const password = await labSecretOf(plan, pgCredentialRef(plan.topology, domain, 'app'));
  const client = new pg.Client({
    host,
    port,
    user: pgRoleNames(domain).app,
    password,
    database: domain,
    ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    connectionTimeoutMillis: timeoutMs,
    ...(o.longStatements ? {} : { statement_timeout: timeoutMs * 2, query_timeout: timeoutMs * 2 }),
    application_name: 'hdsctl-lab',
  });
  client.on('error', () => undefined); // a dropped connection must not crash the caller
  await client.connect();
  return client;
}

/** Connects through `host:port` and returns pg_is_in_recovery() (false = the primary). */
export async function inRecoveryVia(plan: LabPlan, domain: string, host: string, port: number): Promise<boolean> {
  const c = await appClient(plan, domain, host, port);
  try {
    const r = await c.query<{ r: boolean }>('select pg_is_in_recovery() as r');
    return r.rows[0]!.r;
  } finally {
    await c.end().catch(() => undefined);
  }
}
