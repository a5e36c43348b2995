/**
 * The WAF of DC1 and DC2: nginx + ModSecurity v3 + OWASP CRS terminating TLS with a lab CA
 * certificate, enforcing the positive model of the reference API (EXG_WAF_1) and adding a
 * correlation id to every request (EXG_SEC_6).
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from '../../runtime/fsutil.ts';
import { wafConfigTestCommand, wafProcessSpec } from '../../runtime/processes/waf.ts';
import { REFERENCE_API_ROUTES, renderWaf, type WafRenderInput, wafRuntimePaths } from '../../services/waf/render.ts';
import { runCommand } from '../command.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { waitFor, writeRendered } from '../context.ts';
import { type EdgeSite, edgeSites, WAF_SERVER_NAME } from '../edgeEndpoints.ts';
import { hostClientCert, httpsGetJson } from '../probes.ts';

function dirs(ctx: Pick<LabContext, 'paths'>, e: EdgeSite): { confDir: string; runDir: string } {
  return { confDir: join(ctx.paths.etc, 'waf', e.waf.process), runDir: join(ctx.paths.run, e.waf.process) };
}

export function wafComponent(): LabComponent {
  return {
    name: 'waf',
    async prepare(ctx) {
      for (const e of edgeSites(ctx.plan)) {
        const { confDir, runDir } = dirs(ctx, e);
        const tls = await ctx.cert({
          name: e.waf.process,
          commonName: WAF_SERVER_NAME,
          dnsNames: [WAF_SERVER_NAME, `${e.waf.process}.lab.hds`],
          ipAddresses: [e.site.address],
          usage: 'server',
        });
        const input: WafRenderInput = {
          name: e.waf.process,
          confDir,
          runDir,
          listen: { address: e.site.address, port: e.waf.port },
          tls: { certPath: tls.cert, keyPath: tls.key },
          upstreams: [{ address: e.site.address, port: e.refservice.port }],
          routes: REFERENCE_API_ROUTES,
        };
        await ensureDir(confDir, 0o755);
        await writeRendered(confDir, renderWaf(input));
        // nginx workers run as nobody: the run dir must be traversable for body buffering.
        await ensureDir(runDir, 0o711);
        for (const d of wafRuntimePaths(input).dirs) await ensureDir(d, 0o755);
        await chmod(runDir, 0o711);
        // nginx -t binds the listen address: run it in the site's namespace.
        const t = wafConfigTestCommand({ name: e.waf.process, confDir, runDir });
        const check = await runCommand({ netns: e.site.netns, command: t.command, args: t.args }, { timeoutMs: 30_000 });
        if (check.exitCode !== 0) throw new Error(`nginx -t rejects the WAF configuration of ${e.site.id}: ${check.stderr.trim()}`);
      }
    },
    processes(ctx) {
      return edgeSites(ctx.plan).map((e) => wafProcessSpec({ name: e.waf.process, ...dirs(ctx, e), netns: e.site.netns }));
    },
    async waitHealthy(ctx) {
      const tls = await hostClientCert(ctx.plan);
      for (const e of edgeSites(ctx.plan)) {
        await waitFor(
          ctx,
          `WAF ${e.site.id} to answer /health over TLS`,
          async () => ((await httpsGetJson<{ status?: string }>(`${e.waf.url}/health`, tls, 3000)).status === 200 ? true : undefined),
          { timeoutMs: 60_000, logs: [e.waf.process, e.refservice.process] },
        );
      }
    },
  };
}
