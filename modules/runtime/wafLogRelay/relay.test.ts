/**
 * The WAF log relay's servers on loopback (issue 11; EXG_SEC_5.4): audit entries over HTTP as
 * libmodsecurity POSTs them, nginx syslog datagrams over UDP, counters on /metrics, one JSON
 * line per input in its files, and reopening after rotation.
 */
import dgram from 'node:dgram';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WafLogRelayConfig } from '../../services/waf/logging.ts';
import { parseRelayConfig, type RunningRelay, startWafLogRelay } from './relay.ts';

const fixture = (name: string) => readFile(path.join(import.meta.dirname, 'fixtures', name));

async function lines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WAF log relay (loopback servers)', () => {
  let dir = '';
  let relay: RunningRelay;
  let config: WafLogRelayConfig;
  const status: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-waf-relay-'));
    config = {
      waf: 'waf-dc1',
      ingest: { host: '127.0.0.1', port: 0 },
      metrics: { host: '127.0.0.1', port: 0 },
      syslogTag: 'waf_x',
      siemLog: path.join(dir, 'siem.json.log'),
      nginxErrorLog: path.join(dir, 'nginx-error.json.log'),
      routes: [
        { label: 'health', method: 'GET', pathRegex: '/health' },
        { label: 'documents.create', method: 'POST', pathRegex: '/documents' },
      ],
      blockingRuleIds: [10999, 200002, 949110],
    };
    relay = await startWafLogRelay(config, { log: (msg) => status.push(msg) });
  });
  afterAll(async () => {
    await relay?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const post = async (body: Buffer | string) => {
    const r = await fetch(`http://127.0.0.1:${relay.ingest.port}/modsec-audit`, {
      method: 'POST',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${relay.metrics.port}/metrics`)).text();

  it('writes one SIEM line per audit entry (valid UTF-8 or not), counts the blocks per family and route', async () => {
    await post(await fixture('audit-json-body-sqli.json'));
    await post(await fixture('audit-941310-invalid-utf8.json'));
    await post(await fixture('audit-undeclared-path.json'));
    await post('{"transaction": truncated');
    const recs = await until('4 SIEM lines', async () => {
      const l = await lines(config.siemLog);
      return l.length === 4 ? l : undefined;
    });
    expect(recs.map((r) => r.correlation_id ?? r.event)).toEqual(['fixture-json-0001', 'fixture-utf8-0003', 'fixture-path-0004', 'waf_audit_unreadable']);
    expect(recs[3]).toMatchObject({ event: 'waf_audit_unreadable', reason: 'not_json', waf: 'waf-dc1' });
    const text = await readFile(config.siemLog, 'utf8');
    for (const m of ['hdsmarkerfx', 'Dupont', 'truncated']) expect(text).not.toContain(m);
    const m = await metrics();
    expect(m).toContain('hds_waf_blocked_requests_total{waf="waf-dc1",family="rce",route="documents.create"} 1');
    expect(m).toContain('hds_waf_blocked_requests_total{waf="waf-dc1",family="xss",route="health"} 1');
    expect(m).toContain('hds_waf_blocked_requests_total{waf="waf-dc1",family="contract",route="undeclared"} 1');
    expect(m).toContain('hds_waf_blocked_requests_total{waf="waf-dc1",family="sqli",route="health"} 0');
    expect(m).toContain('hds_waf_rule_matches_total{waf="waf-dc1",family="xss",rule_id="941310"} 1');
    expect(m).toContain('hds_waf_audit_entries_total{waf="waf-dc1",outcome="blocked"} 3');
    expect(m).toContain('hds_waf_audit_entries_total{waf="waf-dc1",outcome="unreadable"} 1');
    expect(m).toMatch(/^# TYPE hds_waf_blocked_requests_total counter$/m);
    expect(m).not.toContain('hdsmarkerfx');
  });

  it('turns nginx syslog datagrams of its own tag into error events, ignores the others', async () => {
    const datagrams = (JSON.parse((await fixture('nginx-syslog.json')).toString()) as string[]).map((s) => Buffer.from(s, 'latin1'));
    const sock = dgram.createSocket('udp4');
    for (const d of [
      ...datagrams,
      Buffer.from('<187>Nov 30 09:34:46 waf_other: 2026/11/30 09:34:46 [error] 1#1: *1 no live upstreams while connecting to upstream'),
    ])
      await new Promise<void>((r, j) => sock.send(d, relay.ingest.port, '127.0.0.1', (e) => (e ? j(e) : r())));
    sock.close();
    const recs = await until('3 nginx error events', async () => {
      const l = await lines(config.nginxErrorLog);
      return l.length >= 3 ? l : undefined;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await lines(config.nginxErrorLog)).length).toBe(3);
    expect(recs.map((r) => r.kind)).toEqual(['upstream_syscall_failed', 'request_body_too_large', 'modsecurity_intervention']);
    expect(await readFile(config.nginxErrorLog, 'utf8')).not.toContain('hdsmarkerfx');
    expect(await metrics()).toContain('hds_waf_nginx_errors_total{waf="waf-dc1",level="error",kind="upstream_syscall_failed"} 1');
  });

  it('reopens its files after a rotation', async () => {
    await rename(config.siemLog, `${config.siemLog}.1`);
    relay.reopen();
    await post(await fixture('audit-query-xss.json'));
    const recs = await until('a line in the new file', async () => {
      const l = await lines(config.siemLog);
      return l.length === 1 ? l : undefined;
    });
    expect(recs[0]).toMatchObject({ correlation_id: 'fixture-query-0002', route: 'health' });
    expect(status).toContain('reopened the output files');
  });

  it('refuses an invalid configuration', () => {
    const ok = JSON.stringify(config);
    expect(parseRelayConfig(ok).waf).toBe('waf-dc1');
    expect(() => parseRelayConfig(JSON.stringify({ ...config, waf: 'Bad Name' }))).toThrow(/waf/);
    expect(() => parseRelayConfig(JSON.stringify({ ...config, siemLog: 'relative.log' }))).toThrow(/absolute/);
    expect(() => parseRelayConfig(JSON.stringify({ ...config, ingest: { host: '127.0.0.1' } }))).toThrow(/ingest.port/);
    expect(() => parseRelayConfig(JSON.stringify({ ...config, blockingRuleIds: ['x'] }))).toThrow(/blockingRuleIds/);
  });
});
