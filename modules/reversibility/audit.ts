/**
 * Audit traces handed over with the data (EXG_REV_14 "audit traces", CAIH-S3-8 "logs"): besides
 * the databases' own trace tables (exported as CSV with the rest), each WAF site's JSON logs —
 * the SIEM line of every audited transaction (EXG_SEC_5.4), the access log (declared route, never
 * the URI, query or headers) and nginx's error events (class and numbers, never text). These are
 * safe by construction (issue 11: no request content reaches them), so they are copied as they
 * are; ModSecurity's raw audit log is not (the relay is what reads it).
 *
 * A log is appended to while the export runs: each copy stops at the last complete line present
 * when the copy began (a JSON-lines file the taker can parse to the end), written under a temp
 * name and renamed. Layout: data/audit/<site>/<file>.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The WAF log files handed over (relative to the site's runtime `logs/` directory). */
export const AUDIT_LOG_FILES = ['siem.json.log', 'access.json.log', 'nginx-error.json.log'] as const;

export interface AuditSource {
  /** The site id, e.g. DC1 (a path segment of the export). */
  site: string;
  /** The WAF's runtime logs directory of that site. */
  logsDir: string;
}

export interface AuditFile {
  /** Relative to the export root: data/audit/<site>/<file>. */
  path: string;
  bytes: number;
  lines: number;
}

/** The length of the longest prefix of `path`'s first `size` bytes that ends with a newline. */
async function completeLinesLength(path: string, size: number): Promise<number> {
  if (size === 0) return 0;
  const fh = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/**
 * Copies each site's audit logs into `<outRoot>/data/audit/<site>/`. A file absent at the source
 * (a site that never logged) is skipped, not an error; the list says what was copied.
 */
export async function exportAuditLogs(sources: readonly AuditSource[], outRoot: string): Promise<AuditFile[]> {
  const copied: AuditFile[] = [];
  for (const s of sources) {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(s.site)) throw new Error(`audit logs: site ${JSON.stringify(s.site)} is not a valid site id`);
    const dir = join(outRoot, 'data', 'audit', s.site);
    for (const name of AUDIT_LOG_FILES) {
      const from = join(s.logsDir, name);
      const st = await stat(from).catch(() => undefined);
      if (!st?.isFile()) continue;
      const length = await completeLinesLength(from, st.size);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const to = join(dir, name);
      const tmp = `${to}.tmp`;
      try {
        let lines = 0;
        await pipeline(
          length === 0 ? (async function* () {})() : createReadStream(from, { start: 0, end: length - 1 }),
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const c of chunks) {
              for (let i = c.indexOf(0x0a); i !== -1; i = c.indexOf(0x0a, i + 1)) lines++;
              yield c;
            }
          },
          createWriteStream(tmp, { mode: 0o644 }),
        );
        await rename(tmp, to);
        copied.push({ path: `data/audit/${s.site}/${name}`, bytes: length, lines });
      } catch (e) {
        await rm(tmp, { force: true });
        throw new Error(`audit logs: copying ${from} failed: ${(e as Error).message}`);
      }
    }
  }
  return copied;
}
