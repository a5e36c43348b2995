/**
 * The source keeps serving while it is exported (EXG_REV_1: no discontinuity): a bounded probe
 * reads one existing document through each site's WAF in turn — the path a user's request takes: TLS,
 * WAF, reference service, PostgreSQL, the object store — and records every answer's status and
 * latency. The export reports the availability and the latency percentiles it measured.
 */
import { createHash } from 'node:crypto';
import { edgeSites } from '../lab/edgeEndpoints.ts';
import type { LabPlan } from '../lab/types.ts';
import { wafRequest } from '../lab/wafClient.ts';

export interface AvailabilitySummary {
  /** What was probed, e.g. `GET /documents/{id} through the WAF of DC1, DC2`. */
  probe: string;
  requests: number;
  errors: number;
  /** Share of answers that were 200 with the right content, 0..1 (1 when no request was made). */
  availability: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** The first errors seen (at most 5), each `site status/message`. */
  firstErrors: string[];
  intervalMs: number;
}

export interface AvailabilityProbe {
  stop(): Promise<AvailabilitySummary>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Summary of recorded samples (pure, tested). */
export function summarise(probe: string, samples: ReadonlyArray<{ ok: boolean; ms: number; error?: string }>, intervalMs: number): AvailabilitySummary {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => !s.ok);
  return {
    probe,
    requests: samples.length,
    errors: errors.length,
    availability: samples.length === 0 ? 1 : (samples.length - errors.length) / samples.length,
    latencyMs: { p50: Math.round(percentile(ms, 50)), p95: Math.round(percentile(ms, 95)), max: Math.round(ms[ms.length - 1] ?? 0) },
    firstErrors: errors.slice(0, 5).map((e) => e.error ?? 'error'),
    intervalMs,
  };
}

/**
 * Reads `documentId` (an existing document: the probe writes nothing, so the export it watches
 * sees the data it would see without it) through every WAF in turn every `intervalMs` until
 * stopped, at most `maxRequests` (bounded load loop). Without a document, GET /health.
 */
export async function startAvailabilityProbe(
  plan: LabPlan,
  opts: { documentId?: string; intervalMs?: number; maxRequests?: number } = {},
): Promise<AvailabilityProbe> {
  const intervalMs = opts.intervalMs ?? 250;
  const maxRequests = opts.maxRequests ?? 20_000;
  const edges = edgeSites(plan);
  if (edges.length === 0) throw new Error(`environment ${plan.topology.environment.name} has no WAF: nothing serves the API to probe`);
  const id = opts.documentId;
  let sha: string | undefined;
  if (id) {
    const first = await wafRequest(plan, `${edges[0]!.waf.url}/documents/${id}`, { timeoutMs: 20_000 });
    if (first.status !== 200) throw new Error(`availability probe: GET /documents/${id} through the WAF of ${edges[0]!.site.id} answered ${first.status}`);
    sha = createHash('sha256')
      .update(Buffer.from((JSON.parse(first.body) as { contentBase64: string }).contentBase64, 'base64'))
      .digest('hex');
  }
  const path = id ? `/documents/${id}` : '/health';
  const samples: Array<{ ok: boolean; ms: number; error?: string }> = [];
  let stopped = false;
  const loop = (async () => {
    for (let k = 0; !stopped && k < maxRequests; k++) {
      const edge = edges[k % edges.length]!;
      const t0 = performance.now();
      try {
        const r = await wafRequest(plan, `${edge.waf.url}${path}`, { timeoutMs: 5000 });
        const ms = performance.now() - t0;
        let ok = r.status === 200;
        if (ok && sha) {
          const body = JSON.parse(r.body) as { contentBase64?: string };
          ok = body.contentBase64 !== undefined && createHash('sha256').update(Buffer.from(body.contentBase64, 'base64')).digest('hex') === sha;
        }
        samples.push(ok ? { ok, ms } : { ok, ms, error: `${edge.site.id} ${r.status}${r.status === 200 ? ' wrong content' : ''}` });
      } catch (e) {
        samples.push({ ok: false, ms: performance.now() - t0, error: `${edge.site.id} ${(e as Error).message.split('\n')[0]}` });
      }
      const wait = intervalMs - (performance.now() - t0);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  const probe = `GET ${id ? '/documents/{id}' : '/health'} through the WAF of ${edges.map((e) => e.site.id).join(', ')}, one every ${intervalMs} ms`;
  return {
    async stop() {
      stopped = true;
      await loop;
      return summarise(probe, samples, intervalMs);
    },
  };
}
