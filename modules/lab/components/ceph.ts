/**
 * The stretched Ceph cluster of the lab (issue 13, docs/storage.md): a monitor in each site's
 * namespace (DC3's is the tie-breaker), a manager and two BlueStore OSDs on sparse files in each
 * data site, an object gateway (RGW, HTTPS) per data site. Every file comes from the one adapter
 * (materialiseGuest: ceph.conf, the bootstrap plan, the hosts' TLS pairs owned by `ceph`); the
 * cluster is bootstrapped by modules/runtime/ceph (bootstrapCeph) with the lab supervisor
 * starting each daemon in its site's namespace, as production's systemd units would. The cephx
 * keys live in `<stateDir>/secrets/ceph` (0700, files 0600); the daemons' keyrings at their
 * production paths under their guest's root (0600, owned by ceph).
 *
 * Healthy = HEALTH_OK with every PG active+clean, the 3 monitors in quorum, every OSD up and in
 * (Ceph says HEALTH_OK while PGs still peer: health.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { bootstrapAdmin, bootstrapCeph, type CephBootstrapSpec, cephProcessSpecs, runnableDaemons } from '../../runtime/ceph/bootstrap.ts';
import type { CephAdmin } from '../../runtime/ceph/cli.ts';
import { cephHealth, cephNotReady, cephStatus, formatCephStatus } from '../../runtime/ceph/health.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import { s3ClientFor } from '../../runtime/ceph/s3.ts';
import { cephClusterInput, cephHosts, cephPlan, DOCUMENTS_BUCKET, rgwInput } from '../../services/fromTopology/ceph.ts';
import { type LabComponent, type LabContext, waitFor } from '../context.ts';
import type { ObjectGateway } from '../edgeEndpoints.ts';
import { labProfileOf, labSecret, labSecretOf, labSiteOf, materialiseGuest } from '../guests.ts';
import { secretsDir } from '../secrets.ts';
import type { LabPlan } from '../types.ts';

/** Whether the lab environment runs Ceph (its `services.ceph`). */
export function labHasCeph(plan: LabPlan): boolean {
  return plan.topology.ceph !== undefined;
}

const specs = new WeakMap<LabPlan, CephBootstrapSpec>();

/** The bootstrap spec of the lab's cluster (no I/O), computed once per plan: processes(), status and stop all ask. */
export function labCephSpec(plan: LabPlan): CephBootstrapSpec {
  let spec = specs.get(plan);
  if (!spec) {
    spec = cephSpecOf(plan);
    specs.set(plan, spec);
  }
  return spec;
}

function cephSpecOf(plan: LabPlan): CephBootstrapSpec {
  const profile = labProfileOf(plan);
  const cluster = cephClusterInput(plan.topology, profile);
  return {
    cluster,
    plan: cephPlan(plan.topology, profile),
    daemons: runnableDaemons(cluster),
    secretsDir: join(secretsDir(plan.stateDir), 'ceph'),
    resolveSecret: (path, field) => labSecret(plan, path, field),
    caFile: join(plan.stateDir, 'pki', 'ca.crt'),
    netns: (d) => labSiteOf(plan, d.site).netns,
  };
}

/** client.admin of the lab's cluster: the bootstrap monitor host's ceph.conf and admin keyring. */
export function labCephAdmin(plan: LabPlan): CephAdmin {
  return bootstrapAdmin(labCephSpec(plan).cluster);
}

/** What the lab expects of a healthy cluster: every monitor in quorum, every OSD up and in. */
export function labCephExpectation(plan: LabPlan): { monitors: number; osds: number } {
  const daemons = labCephSpec(plan).daemons ?? [];
  return { monitors: daemons.filter((d) => d.kind === 'mon').length, osds: daemons.filter((d) => d.kind === 'osd').length };
}

/**
 * An S3 client of the documents bucket through one gateway, as its owner (the documents
 * service's S3 user): for checks that look at the objects themselves (smoke, tests, drill cleanup).
 */
/** The documents bucket of the lab's gateways, its owner (S3 keys as placeholders) and the zonegroup. */
export function labDocumentsBucket(plan: LabPlan) {
  const rgw = rgwInput(plan.topology, labProfileOf(plan));
  const bucket = rgw.buckets.find((b) => b.name === DOCUMENTS_BUCKET.name);
  const user = rgw.users.find((u) => u.uid === bucket?.owner);
  if (!bucket || !user) throw new Error(`the lab's Ceph has no bucket ${DOCUMENTS_BUCKET.name} with an S3 user`);
  return { bucket, user, zonegroup: rgw.zonegroup };
}

export async function labDocumentsS3(plan: LabPlan, gateway: ObjectGateway): Promise<{ client: S3Client; bucket: string }> {
  const { bucket, user, zonegroup } = labDocumentsBucket(plan);
  const client = s3ClientFor({
    url: gateway.url,
    ca: await readFile(join(plan.stateDir, 'pki', 'ca.crt')),
    region: zonegroup,
    accessKeyId: await labSecretOf(plan, user.accessKey),
    secretAccessKey: await labSecretOf(plan, user.secretKey),
    timeoutMs: 10_000,
  });
  return { client, bucket: bucket.name };
}

export function cephComponent(): LabComponent {
  return {
    name: 'ceph',
    // ~40 s of bootstrap that nothing before the reference service needs: alongside PostgreSQL.
    background: true,
    // An OSD stopping tells the monitors first (osd_mon_shutdown_timeout 5 s); BlueStore flushes.
    stopTimeoutMs: 30_000,
    async prepare(ctx) {
      for (const g of cephHosts(ctx.plan.topology)) await materialiseGuest(ctx, g);
      await ensureLabCa(ctx.paths.pki);
    },
    processes(ctx) {
      // A manager holds no state (the monitors keep every map) and its Python modules can take
      // long to stop: killed after 5 s, as a short TimeoutStopSec would.
      return cephProcessSpecs(labCephSpec(ctx.plan)).map((s) => (s.name.startsWith('ceph-mgr.') ? { ...s, stopTimeoutSec: 5 } : s));
    },
    stopGroups(ctx) {
      const names = cephProcessSpecs(labCephSpec(ctx.plan)).map((s) => s.name);
      return (['rgw', 'osd', 'mgr', 'mon'] as const).map((k) => names.filter((n) => n.startsWith(`ceph-${k}.`)));
    },
    async start(ctx, start) {
      const r = await bootstrapCeph(labCephSpec(ctx.plan), { log: ctx.log, start });
      const t = r.timings;
      ctx.log(
        `ceph: ${r.created ? 'created' : 'started'} in ${(t.healthy / 1000).toFixed(1)}s (stores ${(t.mkfs / 1000).toFixed(1)}s, quorum ${(t.quorum / 1000).toFixed(1)}s, OSDs up ${(t.osdsUp / 1000).toFixed(1)}s, stretch ${(t.stretch / 1000).toFixed(1)}s, gateways ${(t.gateways / 1000).toFixed(1)}s)`,
      );
    },
    async status(ctx) {
      try {
        const s = await cephStatus(labCephAdmin(ctx.plan), { timeoutMs: 15_000 });
        const bad = cephNotReady(s, labCephExpectation(ctx.plan));
        return { name: 'ceph', healthy: bad.length === 0, detail: formatCephStatus(s) };
      } catch (e) {
        return { name: 'ceph', healthy: false, detail: `not answering: ${(e as Error).message.split('\n')[0]}` };
      }
    },
    async waitHealthy(ctx: LabContext) {
      const admin = labCephAdmin(ctx.plan);
      const want = labCephExpectation(ctx.plan);
      await waitFor(ctx, 'Ceph HEALTH_OK with every PG active+clean', async () => cephHealth(admin, want), {
        timeoutMs: 120_000,
        intervalMs: 1000,
        logs: cephProcessSpecs(labCephSpec(ctx.plan)).map((s) => s.name),
      });
    },
  };
}
