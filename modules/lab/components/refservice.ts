/**
 * The reference documents service in DC1 and DC2, standing in for the applications behind
 * each site's WAF (on the WAF guest's address, PORTS.refservice, where the adapter points the
 * WAF's upstream), writing through the site's HAProxy to the Patroni leader (TLS verified
 * against the lab CA) and sealing content with the domain key of the site's HSM (envelope
 * encryption, EXG_SEC_4.3).
 */
import { join } from 'node:path';
import { pgRoleNames } from '../../model/roles.ts';
import { refServiceProcessSpec } from '../../refservice/process.ts';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { ensureLabCa } from '../../runtime/pki.ts';
import { pgCredentialRef } from '../../services/fromTopology/postgres.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { waitFor } from '../context.ts';
import { edgeSites, HSM_TOKEN_LABEL, refserviceDomain } from '../edgeEndpoints.ts';
import { labSecretOf } from '../guests.ts';
import { hsmConfPath, hsmPinFile } from './hsm.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

function confDir(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'refservice');
}

export function refserviceComponent(): LabComponent {
  return {
    name: 'refservice',
    async prepare(ctx) {
      const domain = refserviceDomain(ctx.plan);
      await ensureDir(confDir(ctx), 0o700);
      const passwordFile = join(confDir(ctx), 'db-password');
      await writeFileAtomic(passwordFile, await labSecretOf(ctx.plan, pgCredentialRef(ctx.plan.topology, domain, 'app')), { mode: 0o600 });
      const ca = await ensureLabCa(ctx.paths.pki);
      for (const e of edgeSites(ctx.plan)) {
        const query = new URLSearchParams({ sslmode: 'verify-ca', sslrootcert: ca.cert, uselibpqcompat: 'true' });
        const config = {
          serviceName: e.refservice.process,
          listen: { host: new URL(e.refservice.url).hostname, port: e.refservice.port },
          database: { connectionString: `postgresql://${pgRoleNames(domain).app}@${e.pgWriteHost}:${e.pgWritePort}/${domain}?${query}`, passwordFile },
          hsm: { softhsmConfPath: hsmConfPath(ctx, e.site.id), tokenLabel: HSM_TOKEN_LABEL, pinFile: hsmPinFile(ctx), domain },
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
