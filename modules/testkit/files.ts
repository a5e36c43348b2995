/** Writes rendered files under a root directory (atomic writes from modules/lab/fsutil). */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../runtime/fsutil.ts';
import type { RenderedFile } from '../services/types.ts';

export async function writeRenderedFiles(root: string, files: RenderedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    if (path.isAbsolute(f.path) || f.path.split('/').includes('..')) throw new Error(`unsafe rendered path ${f.path}`);
    const target = path.join(root, f.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, f.content, { mode: f.mode ?? 0o644 });
    written.push(target);
  }
  return written;
}
