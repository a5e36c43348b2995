/**
 * The WAF of DC1 and DC2: nginx + ModSecurity v3 + OWASP CRS with the files production's WAF
 * VMs receive (guests.ts, from the adapter), terminating TLS with a lab CA certificate,
 * enforcing the positive model of the reference API (EXG_WAF_1) and adding a correlation id to
 * every request (EXG_SEC_6). Its upstream is the reference service standing in for the
 * applications (the lab has no OpenShift ingress).
 */
import { chmod } from 'node:fs/promises';
import { ensureDir } from '../../runtime/fsutil.ts';
import { wafConfigTestCommand, wafProcessSpec } from '../../runtime/processes/waf.ts';
import { REPO_ROOT } from '../../loader/paths.ts';
import { wafLogRelayProcessSpec } from '../../runtime/processes/wafLogRelay.ts';
import { WAF_WORKER_USER, wafInput } from '../../services/fromTopology/waf.ts';
import { wafRuntimePaths } from '../../services/waf/render.ts';
import { runCommand } from '../command.ts';
import type { LabComponent, LabContext } from '../context.ts';
import { ownerOf, waitFor } from '../context.ts';
import { type EdgeSite, edgeSites } from '../edgeEndpoints.ts';
import { labProfileOf, materialiseGuest } from '../guests.ts';
import { wafRequest } from '../wafClient.ts';

/** The WAF's nginx paths in the lab: those of the adapter's input for the lab profile. */
export function wafDirs(ctx: Pick<LabContext, 'plan'>, e: EdgeSite): { confDir: string; runDir: string } {
  const input = wafInput(ctx.plan.topology, labProfileOf(ctx.plan), e.guest);
  return { confDir: input.confDir, runDir: input.runDir };
}

/** The supervisor name of a site's WAF log relay, e.g. `waf-log-relay-dc1`. */
export function wafLogRelayProcessName(e: EdgeSite): string {
  return `waf-log-relay-${e.site.id.toLowerCase()}`;
}

export function wafComponent(): LabComponent {
  return {
    name: 'waf',
    async prepare(ctx) {
      const worker = ownerOf(ctx.user(WAF_WORKER_USER));
      for (const e of edgeSites(ctx.plan)) {
        await materialiseGuest(ctx, e.guest);
        const { confDir, runDir } = wafDirs(ctx, e);
        // The runtime directories of the guest's tmpfiles.d entry: the run dir 0711 root, the
        // log and temp dirs owned by the nginx workers' user.
        const [top, ...rest] = wafRuntimePaths({ runDir, name: e.guest.name }).dirs;
        await ensureDir(top!, 0o711);
        await chmod(top!, 0o711);
        for (const d of rest) await ensureDir(d, 0o755, worker);
        // nginx -t binds the listen address: run it in the site's namespace.
        const t = wafConfigTestCommand({ name: e.waf.process, confDir, runDir });
        const check = await runCommand({ netns: e.site.netns, command: t.command, args: t.args }, { timeoutMs: 30_000 });
        if (check.exitCode !== 0) throw new Error(`nginx -t rejects the WAF configuration of ${e.site.id}: ${check.stderr.trim()}`);
      }
    },
    processes(ctx) {
      // The log relay first: nginx and ModSecurity send it their audit entries and error lines (issue 11).
      return edgeSites(ctx.plan).flatMap((e) => [
        wafLogRelayProcessSpec({ name: wafLogRelayProcessName(e), confDir: wafDirs(ctx, e).confDir, repoRoot: REPO_ROOT, netns: e.site.netns }),
        wafProcessSpec({ name: e.waf.process, ...wafDirs(ctx, e), netns: e.site.netns }),
      ]);
    },
    async waitHealthy(ctx) {
      for (const e of edgeSites(ctx.plan)) {
        await waitFor(
          ctx,
          `WAF ${e.site.id} to answer /health over TLS`,
          async () => ((await wafRequest(ctx.plan, `${e.waf.url}/health`, { timeoutMs: 3000 })).status === 200 ? true : undefined),
          { timeoutMs: 60_000, logs: [e.waf.process, e.refservice.process] },
        );
      }
    },
  };
}
