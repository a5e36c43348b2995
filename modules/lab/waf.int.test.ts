/**
 * Integration: the rendered WAF runs for real (nginx + ModSecurity v3 + OWASP CRS) on
 * 127.0.0.1 in front of a tiny node upstream, with a certificate from the lab PKI.
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCert, ensureLabCa } from '../runtime/pki.ts';
import { wafConfigTestCommand, wafProcessSpec } from '../runtime/processes/waf.ts';
import { REFERENCE_API_ROUTES, renderWaf, type WafRenderInput, wafRuntimePaths } from '../services/waf/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { request } from '../testkit/http.ts';
import { freePorts, waitFor, waitForPort } from '../testkit/net.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';

const run = promisify(execFile);
const DOC_ID = '0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d';

describe('WAF (nginx + ModSecurity + CRS), real processes', () => {
  let dir = '';
  let ca = '';
  let wafPort = 0;
  let nginx: RunningProcess | undefined;
  let upstream: http.Server | undefined;
  const seen: Array<{ method?: string; url?: string; correlation?: string }> = [];
  let input: WafRenderInput;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-waf-'));
    const [p1, p2] = await freePorts(2);
    wafPort = p1 ?? 0;
    const upPort = p2 ?? 0;
    const pki = path.join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    await ensureLabCa(pki);
    const cert = await ensureCert(pki, { name: 'waf-test', commonName: 'waf-test', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
    ca = await readFile(cert.ca, 'utf8');

    upstream = http.createServer((req, res) => {
      const h = req.headers['x-correlation-id'];
      seen.push({ method: req.method, url: req.url, correlation: typeof h === 'string' ? h : undefined });
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'ok', path: req.url }));
      });
    });
    await new Promise<void>((r) => upstream?.listen(upPort, '127.0.0.1', () => r()));

    input = {
      name: 'waf-test',
      confDir: path.join(dir, 'conf'),
      runDir: path.join(dir, 'run'),
      listen: { address: '127.0.0.1', port: wafPort },
      tls: { certPath: cert.cert, keyPath: cert.key },
      upstreams: [{ address: '127.0.0.1', port: upPort }],
      routes: REFERENCE_API_ROUTES,
    };
    for (const d of wafRuntimePaths(input).dirs) await mkdir(d, { recursive: true });
    await writeRenderedFiles(input.confDir, renderWaf(input));
    nginx = startProcess(wafProcessSpec({ name: 'waf-test', confDir: input.confDir, runDir: input.runDir }));
    await waitForPort(wafPort, '127.0.0.1', 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${nginx?.output()}`);
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const url = (p: string) => `https://127.0.0.1:${wafPort}${p}`;

  it('nginx -t accepts the rendered configuration', async () => {
    const t = wafConfigTestCommand({ name: 'waf-test', confDir: input.confDir, runDir: input.runDir });
    const r = await run(t.command, t.args);
    expect(r.stderr).not.toMatch(/emerg|\[error\]/);
  });

  it('passes a declared call over TLS, with a correlation id to the upstream and back', async () => {
    const r = await request({ url: url('/health'), ca });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok', path: '/health' });
    const cid = r.headers['x-correlation-id'];
    expect(cid).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.at(-1)?.correlation).toBe(cid);
  });

  it('keeps a well-formed incoming correlation id and replaces a malformed one', async () => {
    const good = await request({ url: url(`/documents/${DOC_ID}`), ca, headers: { 'X-Correlation-ID': 'client-trace-0001' } });
    expect(good.status).toBe(200);
    expect(good.headers['x-correlation-id']).toBe('client-trace-0001');
    expect(seen.at(-1)?.correlation).toBe('client-trace-0001');
    const bad = await request({ url: url('/health'), ca, headers: { 'X-Correlation-ID': 'x"; drop' } });
    expect(bad.status).toBe(200);
    expect(bad.headers['x-correlation-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('passes a JSON POST to a declared path', async () => {
    const r = await request({
      url: url('/documents'),
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Compte rendu', patientId: 'p-1', category: 'cr', contentBase64: 'aGVsbG8=' }),
    });
    expect(r.status).toBe(200);
  });

  it('blocks SQL injection, XSS, undeclared paths and methods with 403', async () => {
    const before = seen.length;
    const sqli = await request({ url: url(`/health?id=${encodeURIComponent("1' OR '1'='1")}`), ca });
    expect(sqli.status).toBe(403);
    const xss = await request({ url: url(`/health?q=${encodeURIComponent('<script>alert(1)</script>')}`), ca });
    expect(xss.status).toBe(403);
    const xssBody = await request({
      url: url('/documents'),
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: '<script>alert(1)</script>' }),
    });
    expect(xssBody.status).toBe(403);
    expect((await request({ url: url('/admin'), ca })).status).toBe(403);
    expect((await request({ url: url('/documents'), ca })).status).toBe(403);
    expect((await request({ url: url(`/documents/${DOC_ID}`), ca, method: 'DELETE' })).status).toBe(403);
    expect((await request({ url: url('/documents/not-a-uuid'), ca })).status).toBe(403);
    expect(seen.length).toBe(before); // nothing blocked reached the upstream
  });

  it('writes the correlation id of a blocked request to the JSON audit log', async () => {
    const cid = 'sqli-probe-7f3a9c21';
    const r = await request({ url: url(`/health?id=${encodeURIComponent("1' OR '1'='1")}`), ca, headers: { 'X-Correlation-ID': cid } });
    expect(r.status).toBe(403);
    expect(r.headers['x-correlation-id']).toBe(cid);
    const audit = wafRuntimePaths(input).auditLog;
    let entry: { transaction: { unique_id: string; messages: Array<{ details: { ruleId: string } }> } } | undefined;
    await waitFor(
      'audit entry',
      async () => {
        const lines = (await readFile(audit, 'utf8')).split('\n').filter((l) => l.trim() !== '');
        entry = lines.map((l) => JSON.parse(l)).find((e) => e.transaction?.unique_id === cid);
        return entry !== undefined;
      },
      10_000,
    );
    expect(entry?.transaction.messages.map((m) => m.details.ruleId)).toContain('949110');
    expect(entry?.transaction.messages.some((m) => m.details.ruleId.startsWith('942'))).toBe(true);
  });

  it('writes the correlation id of a positive-model denial to the audit log', async () => {
    const cid = 'undeclared-path-0042';
    expect((await request({ url: url('/internal/metrics'), ca, headers: { 'X-Correlation-ID': cid } })).status).toBe(403);
    const audit = wafRuntimePaths(input).auditLog;
    await waitFor('audit entry', async () => (await readFile(audit, 'utf8')).includes(`"unique_id":"${cid}"`), 10_000);
    const line = (await readFile(audit, 'utf8')).split('\n').find((l) => l.includes(`"unique_id":"${cid}"`)) ?? '';
    expect(line).toContain('"ruleId":"10999"');
  });

  it('refuses TLS 1.1 and non-AES-GCM TLS 1.2 suites', async () => {
    await expect(request({ url: url('/health'), ca, tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } })).rejects.toThrow();
    await expect(
      request({ url: url('/health'), ca, tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256' } }),
    ).rejects.toThrow();
    const ok = await request({ url: url('/health'), ca, tls: { maxVersion: 'TLSv1.2' } });
    expect(ok.status).toBe(200);
  });

  it('logs JSON access lines with the correlation id', async () => {
    const log = await readFile(wafRuntimePaths(input).accessLog, 'utf8');
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { correlation_id: string; status: number });
    expect(lines.some((l) => l.correlation_id === 'sqli-probe-7f3a9c21' && l.status === 403)).toBe(true);
  });
});
