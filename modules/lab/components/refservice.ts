/**
 * The reference documents service in DC1 and DC2, standing in for the applications behind
 * each site's WAF (on the WAF guest's address, PORTS.refservice, where the adapter points the
 * WAF's upstream), writing through the site's HAProxy to the Patroni leader (TLS verified
 * against the lab CA) and sealing content with the domain key of the site's HSM (envelope
 * encryption, EXG_SEC_4.3); the sealed contents go to the lab's Ceph object store (RGW over
 * TLS, SSE-KMS on top, issue 13) when the lab has one, the metadata to PostgreSQL.
 */
import { join } from 'node:path';
import { pgRoleNames } from '../../model/roles.ts';
import { refServiceProcessSpec } from '../../refservice/process.ts';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import { pgCredentialRef } from '../../services/fromTopology/postgres.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { waitFor } from '../context.ts';
import { edgeSites, HSM_TOKEN_LABEL, objectGateways, refserviceDomain } from '../edgeEndpoints.ts';
import { labSecretOf } from '../guests.ts';
import { labDocumentsBucket } from './ceph.ts';
import { hsmConfPath, hsmPinFile } from './hsm.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

function confDir(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'refservice');
}

interface LabObjectStore {
  endpoints: Array<{ site: string; url: string }>;
  bucket: string;
  caFile: string;
  accessKeyFile: string;
  secretKeyFile: string;
  kmsKeyId: string;
  region: string;
}

/**
 * The documents' object store (the lab's Ceph gateways), when the lab has one: the bucket of the
 * documents domain, its owner's S3 keys in 0600 files (the lab secrets the bootstrap created the
 * S3 user with), the SSE-KMS key id the bucket policy requires, the zonegroup as region.
 */
async function objectStoreConfig(ctx: LabContext, caFile: string): Promise<LabObjectStore | undefined> {
  const gateways = objectGateways(ctx.plan);
  if (gateways.length === 0) return undefined;
  const { bucket, user, zonegroup } = labDocumentsBucket(ctx.plan);
  const accessKeyFile = join(confDir(ctx), 's3-access-key');
  const secretKeyFile = join(confDir(ctx), 's3-secret-key');
  await writeFileAtomic(accessKeyFile, await labSecretOf(ctx.plan, user.accessKey), { mode: 0o600 });
  await writeFileAtomic(secretKeyFile, await labSecretOf(ctx.plan, user.secretKey), { mode: 0o600 });
  return {
    endpoints: gateways.map((g) => ({ site: g.site.id, url: g.url })),
    bucket: bucket.name,
    caFile,
    accessKeyFile,
    secretKeyFile,
    kmsKeyId: bucket.kmsKeyId,
    region: zonegroup,
  };
}

function ownSiteFirst(endpoints: LabObjectStore['endpoints'], site: string): string[] {
  return [...endpoints.filter((e) => e.site === site), ...endpoints.filter((e) => e.site !== site)].map((e) => e.url);
}

/** `needs`: the components it waits for (the object store holding the documents' contents). */
export function refserviceComponent(needs: string[] = []): LabComponent {
  return {
    name: 'refservice',
    needs,
    async prepare(ctx) {
      const domain = refserviceDomain(ctx.plan);
      await ensureDir(confDir(ctx), 0o700);
      const passwordFile = join(confDir(ctx), 'db-password');
      await writeFileAtomic(passwordFile, await labSecretOf(ctx.plan, pgCredentialRef(ctx.plan.topology, domain, 'app')), { mode: 0o600 });
      const ca = await ensureLabCa(ctx.paths.pki);
      const objectStore = await objectStoreConfig(ctx, ca.cert);
      for (const e of edgeSites(ctx.plan)) {
        const query = new URLSearchParams({ sslmode: 'verify-ca', sslrootcert: ca.cert, uselibpqcompat: 'true' });
        const config = {
          serviceName: e.refservice.process,
          listen: { host: new URL(e.refservice.url).hostname, port: e.refservice.port },
          database: { connectionString: `postgresql://${pgRoleNames(domain).app}@${e.pgWriteHost}:${e.pgWritePort}/${domain}?${query}`, passwordFile },
          hsm: { softhsmConfPath: hsmConfPath(ctx, e.site.id), tokenLabel: HSM_TOKEN_LABEL, pinFile: hsmPinFile(ctx), domain },
          // The site's own gateway first, then the others (flow app-to-rgw is any-site).
          ...(objectStore ? { objectStore: { ...objectStore, endpoints: ownSiteFirst(objectStore.endpoints, e.site.id) } } : {}),
        };
        await writeFileAtomic(join(confDir(ctx), `${e.refservice.process}.json`), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      }
    },
    processes(ctx) {
      return edgeSites(ctx.plan).map((e) =>
        refServiceProcessSpec({
          name: e.refservice.process,
          configPath: join(confDir(ctx), `${e.refservice.process}.json`),
          repoRoot: REPO_ROOT,
          netns: e.site.netns,
        }),
      );
    },
    async waitHealthy(ctx) {
      for (const e of edgeSites(ctx.plan)) {
        await waitFor(
          ctx,
          `reference service ${e.site.id} to answer /health`,
          async () => {
            const r = await fetch(`${e.refservice.url}/health`, { signal: AbortSignal.timeout(3000) });
            return r.status === 200 ? true : undefined;
          },
          { timeoutMs: 60_000, logs: [e.refservice.process] },
        );
      }
    },
  };
}
