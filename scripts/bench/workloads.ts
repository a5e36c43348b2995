/**
 * `npm run bench:workloads`: wall time and peak memory (max RSS) of rendering the application
 * workloads of every environment — for each environment × OpenShift cluster: the plan, the
 * Pulumi program captured under mocks, every resource validated against its schema, the YAML
 * files laid out (not written) — against two baselines measured in the same run, each phase in a
 * fresh process: loading and evaluating the environments, and that plus the plan alone.
 * Best wall time of BENCH_RUNS runs (default 3); module loading inside the phase is counted
 * (Pulumi and the schemas load only for the render). Table on stderr, JSON on stdout.
 */
import { spawnSync } from 'node:child_process';

type Phase = 'evaluate' | 'plan' | 'render';
const PHASES: Phase[] = ['evaluate', 'plan', 'render'];

interface Sample {
  wallMs: number;
  maxRssMiB: number;
  stacks: number;
  resources: number;
  /** Render only: time in each step, summed over the stacks. */
  steps?: { planMs: number; captureMs: number; validateMs: number; filesMs: number };
}

/** One phase, in this (child) process. */
async function child(phase: Phase): Promise<Sample> {
  const { evaluate, loadWorkspace } = await import('../../modules/loader/load.ts');
  const { join } = await import('node:path');
  const started = performance.now();
  const evaluation = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', 'environments')));
  if (evaluation.diagnostics.length) throw new Error(`the environments are not valid (hdsctl validate --all): ${evaluation.diagnostics.length} problem(s)`);
  let stacks = 0;
  let resources = 0;
  const steps = { planMs: 0, captureMs: 0, validateMs: 0, filesMs: 0 };
  if (phase !== 'evaluate') {
    const { openshiftSites, workloadObjects } = await import('../../modules/workloads/plan/index.ts');
    const render =
      phase === 'render'
        ? await Promise.all([
            import('../../modules/workloads/capture.ts'),
            import('../../modules/workloads/validate/index.ts'),
            import('../../modules/workloads/render.ts'),
            import('../../modules/workloads/layout.ts'),
          ])
        : undefined;
    for (const [env, t] of [...evaluation.topologies.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (!t.workloads) continue;
      for (const site of openshiftSites(t)) {
        stacks++;
        let at = performance.now();
        const tick = () => {
          const now = performance.now();
          const ms = now - at;
          at = now;
          return ms;
        };
        const planned = workloadObjects(t, site);
        steps.planMs += tick();
        if (!render) {
          resources += planned.length;
          continue;
        }
        const [{ captureObjects }, { validateObjects }, { manifestFiles }, { stackName }] = render;
        const captured = (await captureObjects(planned, site, stackName(env, site))).objects;
        steps.captureMs += tick();
        const errors = validateObjects(captured);
        steps.validateMs += tick();
        if (errors.length) throw new Error(`${env} ${site}: ${errors.length} schema error(s) in the captured resources (hdsctl workloads render --env ${env})`);
        manifestFiles(captured, env, site);
        steps.filesMs += tick();
        resources += captured.length;
      }
    }
  }
  const wallMs = performance.now() - started;
  return { wallMs, maxRssMiB: process.resourceUsage().maxRSS / 1024, stacks, resources, ...(phase === 'render' ? { steps } : {}) };
}

function run(phase: Phase): Sample {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
    env: { ...process.env, BENCH_PHASE: phase },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line || r.status !== 0) throw new Error(`bench phase ${phase} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(6)) as Sample;
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const results = {} as Record<Phase, Sample & { runs: number }>;
  for (const phase of PHASES) {
    const samples = Array.from({ length: runs }, () => run(phase));
    const best = samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    results[phase] = { ...best, maxRssMiB: Math.max(...samples.map((s) => s.maxRssMiB)), runs };
  }
  const { evaluate: ev, plan, render } = results;
  const ratios = {
    renderOverEvaluate: { wall: render.wallMs / ev.wallMs, memory: render.maxRssMiB / ev.maxRssMiB },
    renderOverPlan: { wall: render.wallMs / plan.wallMs, memory: render.maxRssMiB / plan.maxRssMiB },
  };
  const perResourceMs = (render.wallMs - plan.wallMs) / render.resources;
  const s = render.steps!;
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
  process.stderr.write(
    [
      `workloads of every environment (${render.stacks} stacks, ${render.resources} resources), best wall time of ${runs} runs, peak RSS of the process:`,
      `  evaluate environments                 ${secs(ev.wallMs)}   ${ev.maxRssMiB.toFixed(0)} MiB`,
      `  + plan (workloadObjects)              ${secs(plan.wallMs)}   ${plan.maxRssMiB.toFixed(0)} MiB`,
      `  + capture under mocks, validate, YAML ${secs(render.wallMs)}   ${render.maxRssMiB.toFixed(0)} MiB`,
      `    of which plan ${secs(s.planMs).trim()}, capture ${secs(s.captureMs).trim()}, validate ${secs(s.validateMs).trim()}, YAML ${secs(s.filesMs).trim()} (module loading outside these)`,
      `  ratio render/evaluate: wall ${ratios.renderOverEvaluate.wall.toFixed(2)}x, memory ${ratios.renderOverEvaluate.memory.toFixed(2)}x`,
      `  ratio render/plan:     wall ${ratios.renderOverPlan.wall.toFixed(2)}x, memory ${ratios.renderOverPlan.memory.toFixed(2)}x`,
      `  capture + validate + YAML: ${perResourceMs.toFixed(2)} ms per resource`,
      '',
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify({ results, ratios, perResourceMs }, null, 2)}\n`);
}

const phase = process.env.BENCH_PHASE as Phase | undefined;
if (phase) {
  if (!PHASES.includes(phase)) throw new Error(`BENCH_PHASE must be one of ${PHASES.join(', ')}`);
  const sample = await child(phase);
  process.stdout.write(`BENCH ${JSON.stringify(sample)}\n`);
} else await main();
