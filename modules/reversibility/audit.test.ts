// The WAF sites' audit logs handed over with the data (EXG_REV_14, CAIH-S3-8): complete lines
// only, the files that exist, nothing else from the logs directory.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG_FILES, exportAuditLogs } from './audit.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hds-audit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('exportAuditLogs', () => {
  it('copies each site’s JSON logs up to the last complete line, and skips what is absent or not handed over', async () => {
    const dc1 = join(tmp, 'dc1', 'logs');
    const dc2 = join(tmp, 'dc2', 'logs');
    mkdirSync(dc1, { recursive: true });
    mkdirSync(dc2, { recursive: true });
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ n: i, route: 'GET /documents/{id}', pad: 'x'.repeat(i % 50) }));
    // A line being written when the copy starts: left out.
    writeFileSync(join(dc1, 'siem.json.log'), `${lines.join('\n')}\n{"n":5000,"rou`);
    writeFileSync(join(dc1, 'access.json.log'), '');
    writeFileSync(join(dc1, 'modsec_audit.json.log'), '{"raw":"request body"}\n');
    writeFileSync(join(dc2, 'nginx-error.json.log'), 'no newline at all');
    const out = join(tmp, 'export');
    const copied = await exportAuditLogs(
      [
        { site: 'DC1', logsDir: dc1 },
        { site: 'DC2', logsDir: dc2 },
        { site: 'DC3', logsDir: join(tmp, 'absent') },
      ],
      out,
    );
    expect(copied.map((c) => [c.path, c.lines])).toEqual([
      ['data/audit/DC1/siem.json.log', 5000],
      ['data/audit/DC1/access.json.log', 0],
      ['data/audit/DC2/nginx-error.json.log', 0],
    ]);
    const siem = readFileSync(join(out, 'data/audit/DC1/siem.json.log'), 'utf8');
    expect(siem).toBe(`${lines.join('\n')}\n`);
    for (const l of siem.trim().split('\n')) JSON.parse(l);
    expect(readFileSync(join(out, 'data/audit/DC2/nginx-error.json.log'), 'utf8')).toBe('');
    expect(existsSync(join(out, 'data/audit/DC1/modsec_audit.json.log'))).toBe(false);
    expect(AUDIT_LOG_FILES).not.toContain('modsec_audit.json.log');
    // Appended after the copy: not in it; a second export takes it.
    appendFileSync(join(dc1, 'siem.json.log'), 'te":"x"}\n');
    const again = await exportAuditLogs([{ site: 'DC1', logsDir: dc1 }], out);
    expect(again[0]!.lines).toBe(5001);
  });

  it('refuses a site id that is not a path segment, writing nothing', async () => {
    const out = join(tmp, 'export-bad');
    await expect(exportAuditLogs([{ site: '../x', logsDir: tmp }], out)).rejects.toThrow('audit logs: site "../x" is not a valid site id');
    expect(existsSync(out)).toBe(false);
  });
});
