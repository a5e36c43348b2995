/**
 * `npm run bench:synth`: wall time and peak memory (max RSS) of `hdsctl synth --all` and of
 * `hdsctl synth --env production`, each in a fresh process (local backend, temp output),
 * best of N runs (BENCH_RUNS, default 3). Prints a table on stderr and JSON on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD = `
const { main } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'hdsctl', 'main.ts'))});
const started = performance.now();
const code = await main(JSON.parse(process.env.BENCH_ARGS));
const wallMs = performance.now() - started;
process.stderr.write('BENCH ' + JSON.stringify({ code, wallMs, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\\n');
process.exit(code);
`;

interface Sample {
  code: number;
  wallMs: number;
  maxRssMiB: number;
}

function run(args: string[]): Sample {
  const out = mkdtempSync(join(tmpdir(), 'hds-bench-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, CHECKPOINT_DISABLE: '1', BENCH_ARGS: JSON.stringify([...args, '--out', join(out, 'stacks'), '--backend', 'local', '--json']) },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const line = r.stderr.split('\n').find((l) => l.startsWith('BENCH '));
    if (!line || r.status !== 0) throw new Error(`hdsctl ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
    return JSON.parse(line.slice(6)) as Sample;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
const cases = { all: ['synth', '--all'], production: ['synth', '--env', 'production'] } as const;
const results: Record<string, { wallMs: number; maxRssMiB: number; runs: number }> = {};
for (const [name, args] of Object.entries(cases)) {
  const samples = Array.from({ length: runs }, () => run([...args]));
  results[name] = { wallMs: Math.min(...samples.map((s) => s.wallMs)), maxRssMiB: Math.max(...samples.map((s) => s.maxRssMiB)), runs };
}
const all = results.all!;
const prod = results.production!;
const ratios = { wall: all.wallMs / prod.wallMs, memory: all.maxRssMiB / prod.maxRssMiB };
process.stderr.write(
  [
    `hdsctl synth, best wall time of ${runs} runs (the command, modules loaded), peak RSS of the whole process:`,
    `  --all              ${(all.wallMs / 1000).toFixed(2)} s   ${all.maxRssMiB.toFixed(0)} MiB`,
    `  --env production   ${(prod.wallMs / 1000).toFixed(2)} s   ${prod.maxRssMiB.toFixed(0)} MiB`,
    `  ratio all/production: wall ${ratios.wall.toFixed(2)}x, memory ${ratios.memory.toFixed(2)}x`,
    '',
  ].join('\n'),
);
process.stdout.write(`${JSON.stringify({ results, ratios }, null, 2)}\n`);
