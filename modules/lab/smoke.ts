/**
 * The lab smoke check (the README's main command runs it after `lab up`): a document
 * written through one DC's WAF is read back intact through the other's, an attack is
 * refused, each PostgreSQL domain has a leader and a synchronous standby in another DC; with
 * Ceph, the document's content is an object read through each DC's gateway (sealed, SSE-KMS),
 * and the cluster is HEALTH_OK in stretch mode with the DC3 tie-breaker.
 */
import { randomBytes } from 'node:crypto';
import { cephHealth, cephStretchState, formatCephStatus } from '../runtime/ceph/health.ts';
import { documentObjectKey } from '../refservice/objectStore.ts';
import { getObjectBytes } from '../runtime/ceph/s3.ts';
import { labCephAdmin, labCephExpectation, labDocumentsS3, labHasCeph } from './components/ceph.ts';
import { edgeSites, objectGateways } from './edgeEndpoints.ts';
import { patroniNodes } from './endpoints.ts';
import { patroniClusterAny } from './probes.ts';
import type { LabPlan } from './types.ts';
import { wafRequest } from './wafClient.ts';

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function check(name: string, fn: () => Promise<string>, settle?: { withinMs: number; everyMs?: number }): Promise<SmokeCheck> {
  const started = Date.now();
  for (;;) {
    try {
      const detail = await fn();
      const waited = Date.now() - started;
      return { name, ok: true, detail: waited >= 1000 && settle ? `${detail} (settled after ${(waited / 1000).toFixed(0)} s)` : detail };
    } catch (e) {
      const detail = (e as Error).message.split('\n')[0] ?? String(e);
      if (!settle || Date.now() - started + (settle.everyMs ?? 3000) > settle.withinMs)
        return { name, ok: false, detail: settle ? `${detail} (still so after ${((Date.now() - started) / 1000).toFixed(0)} s)` : detail };
      await new Promise((r) => setTimeout(r, settle.everyMs ?? 3000));
    }
  }
}

/**
 * States that converge (a synchronous standby catching up, Ceph's health after heavy I/O: slow
 * ops, recovery) are given this long to settle before the check fails: right after a bulk load
 * (a reversibility import of 22 M rows) they are transiently off, not broken.
 */
export const SMOKE_SETTLE = { withinMs: 90_000, everyMs: 3000 };

export async function labSmoke(plan: LabPlan): Promise<SmokeCheck[]> {
  const edges = edgeSites(plan);
  const writer = edges[0]!;
  const reader = edges[edges.length - 1]!;
  const checks: SmokeCheck[] = [];

  let written: { id: string; content: Buffer } | undefined;
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
      written = { id, content };
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
      await check(
        `PostgreSQL ${d.name}: leader and synchronous standby in two DCs (EXG_PCA_2)`,
        async () => {
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
        },
        SMOKE_SETTLE,
      ),
    );
  }
  if (labHasCeph(plan)) {
    checks.push(
      await check("the document's content is an object read through each DC's gateway, sealed and SSE-KMS encrypted (EXG_SEC_4.3)", async () => {
        if (!written) throw new Error('no document was written (see the first check)');
        const doc = written;
        const seen: string[] = [];
        let first: Buffer | undefined;
        for (const gw of objectGateways(plan)) {
          const { client, bucket } = await labDocumentsS3(plan, gw);
          try {
            const o = await getObjectBytes(client, bucket, documentObjectKey(doc.id));
            if (o.sse !== 'aws:kms') throw new Error(`object read through ${gw.site.id} reports encryption ${o.sse ?? 'none'}, not aws:kms`);
            if (o.body.includes(doc.content)) throw new Error(`object read through ${gw.site.id} holds the content in clear (not sealed)`);
            if (first && !o.body.equals(first)) throw new Error(`object differs between gateways (${gw.site.id})`);
            first ??= o.body;
            seen.push(`${gw.site.id} ${o.body.length} bytes`);
          } finally {
            client.destroy();
          }
        }
        if (seen.length === 0) throw new Error('no object gateway');
        return `${documentObjectKey(doc.id)}: ${seen.join(', ')}, aws:kms`;
      }),
    );
    checks.push(
      await check(
        'Ceph: HEALTH_OK, stretch mode over DC1/DC2 with the DC3 tie-breaker (EXG_PCA_2)',
        async () => {
          const admin = labCephAdmin(plan);
          const s = await cephHealth(admin, labCephExpectation(plan));
          const stretch = await cephStretchState(admin);
          if (!stretch.stretchMode) throw new Error('stretch mode is off');
          const tiebreakerSite = stretch.locations[stretch.tiebreaker] ?? '';
          if (!/datacenter=dc3/.test(tiebreakerSite))
            throw new Error(`the tie-breaker ${stretch.tiebreaker} is at ${tiebreakerSite || 'no location'}, not in DC3`);
          return formatCephStatus(s);
        },
        SMOKE_SETTLE,
      ),
    );
  }
  return checks;
}
