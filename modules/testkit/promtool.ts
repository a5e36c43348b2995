/**
 * promtool in tests: the rendered monitoring files written to a scratch directory (with the empty
 * CA file prometheus.yml references), and `promtool test rules` over a test document, failing
 * with promtool's own output. Shared by the monitoring renderer's tests.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const exec = promisify(execFile);

/** Run promtool; a non-zero exit throws with its stdout and stderr. */
export async function promtool(args: string[]): Promise<{ stdout: string }> {
  try {
    return { stdout: (await exec('promtool', args)).stdout };
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.slice(0, 2).join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/**
 * A scratch directory holding what `render(dir)` returns (paths relative to it; the renderer gets
 * the directory because the files name each other by absolute path); returns the directory.
 */
export async function writeRenderedFiles(
  prefix: string,
  render: (dir: string) => ReadonlyArray<{ path: string; content: string; mode?: number }>,
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await writeFile(path.join(dir, 'ca.crt'), '');
  for (const f of render(dir)) {
    await mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await writeFile(path.join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
  }
  return dir;
}

/** `promtool test rules` over `tests` (a rule-test document), written as `dir/name`; returns stdout. */
export async function promtoolTestRules(dir: string, name: string, tests: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, YAML.stringify(tests));
  return (await promtool(['test', 'rules', file])).stdout;
}
