/**
 * The lab smoke check (the README's main command runs it after `lab up`): a document
 * written through one DC's WAF is read back intact through the other's, an attack is
 * refused, each PostgreSQL domain has a leader and a synchronous standby in another DC.
 */
import { randomBytes } from 'node:crypto';
import { edgeSites } from './edgeEndpoints.ts';
import { patroniNodes } from './endpoints.ts';
import { patroniClusterAny } from './probes.ts';
import type { LabPlan } from './types.ts';
import { wafRequest } from './wafClient.ts';

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function check(name: string, fn: () => Promise<string>): Promise<SmokeCheck> {
  try {
    return { name, ok: true, detail: await fn() };
  } catch (e) {
    return { name, ok: false, detail: (e as Error).message.split('\n')[0] ?? String(e) };
  }
}

export async function labSmoke(plan: LabPlan): Promise<SmokeCheck[]> {
  const edges = edgeSites(plan);
  const writer = edges[0]!;
  const reader = edges[edges.length - 1]!;
  const checks: SmokeCheck[] = [];

  checks.push(
    await check(`document written through WAF ${writer.site.id}, read back through WAF ${reader.site.id}`, async () => {
      const content = randomBytes(512);
      const post = await wafRequest(plan, `${writer.waf.url}/documents`, {
        method: 'POST',
        body: { title: 'Compte rendu de consultation', patientId: 'smoke-check', category: 'CR-CONSULT', contentBase64: content.toString('base64') },
      });
      if (post.status !== 201) throw new Error(`POST /documents answered ${post.status}: ${post.body.slice(0, 200)}`);
      const { id } = JSON.parse(post.body) as { id: string };
      const get = await wafRequest(plan, `${reader.waf.url}/documents/${id}`);
      if (get.status !== 200) throw new Error(`GET /documents/${id} answered ${get.status}`);
      const back = Buffer.from((JSON.parse(get.body) as { contentBase64: string }).contentBase64, 'base64');
      if (!back.equals(content)) throw new Error('the content read back differs from the content written');
      return `document ${id}, ${content.length} bytes, correlation id ${String(post.headers['x-correlation-id'])}`;
    }),
  );
  checks.push(
    await check('WAF refuses an SQL injection (EXG_WAF_1)', async () => {
      const r = await wafRequest(plan, `${writer.waf.url}/health?id=1'%20OR%20'1'='1`);
      if (r.status !== 403) throw new Error(`expected 403, got ${r.status}`);
      return '403';
    }),
  );
  for (const d of plan.postgresDomains) {
    checks.push(
      await check(`PostgreSQL ${d.name}: leader and synchronous standby in two DCs (EXG_PCA_2)`, async () => {
        const nodes = patroniNodes(plan, d.name);
        const { members } = await patroniClusterAny(
          plan,
          nodes.map((n) => n.restUrl),
        );
        const leader = members.find((m) => m.role === 'leader');
        const sync = members.find((m) => m.role === 'sync_standby');
        if (!leader || !sync) throw new Error(`members: ${members.map((m) => `${m.name}=${m.role}/${m.state}`).join(', ')}`);
        const siteOf = (name: string) => nodes.find((n) => n.name === name)?.site.id;
        if (siteOf(leader.name) === siteOf(sync.name)) throw new Error(`leader and sync standby both in ${siteOf(leader.name)}`);
        return `leader ${leader.name} (${siteOf(leader.name)}), sync standby ${sync.name} (${siteOf(sync.name)})`;
      }),
    );
  }
  return checks;
}
