/**
 * SoftHSM2 as the HSM of each DC (EXG_SEC_4.2, EXG_SEC_4.3): a token per DC with one
 * non-extractable AES-256 wrapping key per micro-service domain. DC2's token is a clone of
 * DC1's, as an HSM cluster replicates its keys between members, so a document sealed in
 * one DC opens in the other. No process: the token is a file store used through PKCS#11.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../../runtime/fsutil.ts';
import { HsmKeyStore } from '../../runtime/hsm/keystore.ts';
import { provisionHsmToken } from '../../runtime/hsm/provision.ts';
import { cloneTokenDir } from '../../runtime/hsm/token.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../../services/hsm/render.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { writeRendered } from '../context.ts';
import { edgeSites, HSM_TOKEN_LABEL, hsmPaths } from '../edgeEndpoints.ts';

export function hsmConfPath(ctx: Pick<LabContext, 'plan'>, siteId: string): string {
  return join(hsmPaths(ctx.plan.stateDir, siteId).confDir, SOFTHSM_CONF_FILE);
}

/** File holding the token user PIN (0600), read by the reference services. */
export function hsmPinFile(ctx: Pick<LabContext, 'paths'>): string {
  return join(ctx.paths.etc, 'hsm', 'user-pin');
}

async function isEmpty(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length === 0;
}

export function hsmComponent(): LabComponent {
  return {
    name: 'hsm',
    async prepare(ctx) {
      const soPin = await ctx.secret('hsm-so-pin');
      const userPin = await ctx.secret('hsm-user-pin');
      await ensureDir(join(ctx.paths.etc, 'hsm'), 0o700);
      await writeFileAtomic(hsmPinFile(ctx), userPin, { mode: 0o600 });
      const sites = edgeSites(ctx.plan);
      for (const { site } of sites) {
        const p = hsmPaths(ctx.plan.stateDir, site.id);
        await ensureDir(p.confDir, 0o700);
        await ensureDir(p.tokenDir, 0o700);
        await writeRendered(p.confDir, renderSoftHsmConf({ tokenDir: p.tokenDir }));
      }
      const [first, ...others] = sites;
      if (!first) return;
      const r = await provisionHsmToken({
        confPath: hsmConfPath(ctx, first.site.id),
        tokenLabel: HSM_TOKEN_LABEL,
        soPin,
        userPin,
        domains: ctx.plan.hsmKeyDomains,
      });
      ctx.log(`hsm: ${first.site.id} token ${r.tokenCreated ? 'created' : 'present'}, ${r.keys.length} domain keys (${r.keys.map((k) => k.label).join(', ')})`);
      for (const o of others) {
        const to = hsmPaths(ctx.plan.stateDir, o.site.id).tokenDir;
        if (await isEmpty(to)) {
          await cloneTokenDir(hsmPaths(ctx.plan.stateDir, first.site.id).tokenDir, to);
          ctx.log(`hsm: ${o.site.id} token cloned from ${first.site.id} (HSM cluster key replication)`);
        }
      }
    },
    processes() {
      return [];
    },
    async waitHealthy(ctx) {
      const userPin = await ctx.secret('hsm-user-pin');
      for (const { site } of edgeSites(ctx.plan)) {
        const store = HsmKeyStore.open({ softhsmConfPath: hsmConfPath(ctx, site.id), tokenLabel: HSM_TOKEN_LABEL, userPin });
        try {
          const labels = store.keyInventory().map((k) => k.label);
          const missing = ctx.plan.hsmKeyDomains.filter((d) => !labels.includes(d));
          if (missing.length)
            throw new Error(`HSM token of ${site.id} lacks domain keys ${missing.join(', ')}; run \`hdsctl lab down --purge\` then \`hdsctl lab up\``);
        } finally {
          store.close();
        }
      }
    },
  };
}
