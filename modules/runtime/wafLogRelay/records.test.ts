/**
 * The WAF log relay's whitelist (issue 11; EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR), on real
 * libmodsecurity 3.0.9 audit entries and nginx syslog datagrams captured from the rendered WAF
 * (fixtures/, machine paths replaced). Each fixture request carried the marker `hdsmarkerfx`
 * (and `Dupont`) in a JSON field, a query parameter, a cookie, the User-Agent, the Referer or a
 * path segment; the raw entries quote them (checked below, so the test cannot pass on a fixture
 * without values). Nothing of them may reach a record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRoutes, declaredRoute, nginxErrorRecord, parseAuditEntry, type RelayContext, ruleFamily, type SiemRecord, siemRecord } from './records.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name));
const MARKERS = ['hdsmarkerfx', 'Dupont', 'Hospitalisation', 'script', 'alert', 'patients', 'session=', 'curl/'];
const NOW = new Date('2026-11-30T09:34:28.123Z');

const ctx: RelayContext = {
  waf: 'waf-dc1',
  routes: compileRoutes([
    { label: 'health', method: 'GET', pathRegex: '/health' },
    { label: 'documents.create', method: 'POST', pathRegex: '/documents' },
    { label: 'documents.read', method: 'GET', pathRegex: '/documents/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' },
  ]),
  blockingRuleIds: new Set([10999, 200002, 949110, 959100]),
};

/** The record as the relay writes it: one line of JSON. */
function line(rec: unknown): string {
  const l = JSON.stringify(rec);
  expect(l).not.toContain('\n');
  JSON.parse(l);
  return l;
}

function record(name: string): { raw: Buffer; rec: SiemRecord; line: string } {
  const raw = fixture(name);
  const rec = siemRecord(parseAuditEntry(raw), ctx, NOW);
  if (rec.event !== 'waf_transaction') throw new Error(`unreadable: ${rec.reason}`);
  return { raw, rec, line: line(rec) };
}

describe('SIEM records from real ModSecurity v3 audit entries', () => {
  it('a JSON body field quoted by the audit entry (932115 on French clinical text) reaches no record', () => {
    const { raw, rec, line } = record('audit-json-body-sqli.json');
    // The raw entry holds the values (messages[].details.match/.data, Cookie header, response body).
    expect(raw.toString()).toContain('found within ARGS:json.title: hdsmarkerfx Hospitalisation');
    expect(raw.toString()).toContain('session=hdsmarkerfx-cookie');
    for (const m of MARKERS) expect(line).not.toContain(m);
    expect(rec).toMatchObject({
      time: '2026-11-30T09:34:28.123Z',
      event: 'waf_transaction',
      waf: 'waf-dc1',
      correlation_id: 'fixture-json-0001',
      client_ip: '127.0.0.1',
      method: 'POST',
      route: 'documents.create',
      status: 403,
      outcome: 'blocked',
      family: 'rce',
      blocking_rule_id: 949110,
      anomaly_score: 5,
      request_bytes: 140,
      response_bytes: 146,
    });
    expect(rec.rules.map((r) => r.id)).toEqual([932115, 949110]);
    expect(rec.rules[0]).toMatchObject({ family: 'rce', severity: 2, matches: 1 });
    expect(rec.rules[0]!.tags).toContain('attack-rce');
  });

  it('a query string, User-Agent, Referer and a name in another parameter reach no record; the route is the declared one', () => {
    const { raw, rec, line } = record('audit-query-xss.json');
    expect(raw.toString()).toContain('/health?note=hdsmarkerfx');
    expect(raw.toString()).toContain('hdsmarkerfx-agent');
    for (const m of MARKERS) expect(line).not.toContain(m);
    expect(line).not.toContain('note=');
    expect(rec).toMatchObject({ route: 'health', method: 'GET', outcome: 'blocked', family: 'xss', correlation_id: 'fixture-query-0002' });
    expect(rec.rules.every((r) => r.family === 'xss' || r.id === 949110)).toBe(true);
  });

  it('an entry that is not valid UTF-8 (941310, raw bytes in the quoted value) still yields one valid JSON line without them', () => {
    const { raw, rec, line } = record('audit-941310-invalid-utf8.json');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(raw)).toThrow();
    expect(raw.includes(Buffer.from([0xbc]))).toBe(true);
    for (const m of MARKERS) expect(line).not.toContain(m);
    expect(line).not.toContain('\ufffd');
    expect(Buffer.from(line, 'utf8').every((b) => b < 0x80)).toBe(true);
    expect(rec.rules.map((r) => r.id)).toContain(941310);
    expect(rec.outcome).toBe('blocked');
  });

  it('an undeclared route is labelled `undeclared`, never with its path (a name in a path segment)', () => {
    const { raw, rec, line } = record('audit-undeclared-path.json');
    expect(raw.toString()).toContain('/patients/hdsmarkerfx-Dupont/notes');
    for (const m of MARKERS) expect(line).not.toContain(m);
    expect(rec).toMatchObject({ route: 'undeclared', outcome: 'blocked', family: 'contract', blocking_rule_id: 10999, anomaly_score: null });
  });

  it('values smuggled into the fields it reads are refused: method, unique_id, client_ip, tags, ruleId, sizes', () => {
    const entry = {
      transaction: {
        unique_id: 'x"hdsmarkerfx id',
        client_ip: 'hdsmarkerfx',
        request: { method: 'HDSMARKERFX', uri: '/health?x=hdsmarkerfx', headers: { 'Content-Length': '12 hdsmarkerfx' } },
        response: { http_code: 'hdsmarkerfx', headers: { 'content-length': '-1' } },
        messages: [
          { message: 'hdsmarkerfx', details: { ruleId: '942100 hdsmarkerfx', severity: '2', tags: ['ok-tag'] } },
          {
            message: 'm',
            details: {
              ruleId: '942101',
              severity: 'x',
              tags: ['hdsmarkerfx Dupont', { x: 'hdsmarkerfx' }, 'attack-sqli'],
              data: 'hdsmarkerfx',
              match: 'hdsmarkerfx',
            },
          },
        ],
      },
    };
    const rec = siemRecord(entry, ctx, NOW) as SiemRecord;
    const l = line(rec);
    expect(l).not.toContain('hdsmarkerfx');
    expect(l).not.toContain('HDSMARKERFX');
    expect(rec).toMatchObject({
      correlation_id: null,
      client_ip: null,
      method: 'OTHER',
      route: 'undeclared',
      status: null,
      request_bytes: null,
      response_bytes: null,
    });
    expect(rec.rules).toEqual([{ id: 942101, family: 'sqli', severity: null, matches: 1, tags: ['attack-sqli'] }]);
  });

  it('tells a block from a detection by the blocking rule ids, not by the status', () => {
    const detection = {
      transaction: {
        unique_id: 'detect-only-0001',
        request: { method: 'POST', uri: '/documents' },
        response: { http_code: 403 },
        messages: [{ details: { ruleId: '19105', severity: '2', tags: ['hds/virtual-patch'] } }],
      },
    };
    expect(siemRecord(detection, ctx, NOW)).toMatchObject({ outcome: 'detected', family: 'virtual_patch', blocking_rule_id: null });
    const patch = { transaction: { ...detection.transaction } };
    expect(siemRecord(patch, { ...ctx, blockingRuleIds: new Set([19105]) }, NOW)).toMatchObject({
      outcome: 'blocked',
      family: 'virtual_patch',
      blocking_rule_id: 19105,
    });
    const upstream500 = {
      transaction: { unique_id: 'upstream-500-0001', request: { method: 'GET', uri: '/health' }, response: { http_code: 502 }, messages: [] },
    };
    expect(siemRecord(upstream500, ctx, NOW)).toMatchObject({ outcome: 'logged', family: null, route: 'health', status: 502, rules: [] });
  });

  it('an anomaly block is attributed to the family with the most points, the score computed without 949110', () => {
    const entry = {
      transaction: {
        request: { method: 'GET', uri: '/health' },
        response: { http_code: 403 },
        messages: [
          { details: { ruleId: '920350', severity: '4' } },
          { details: { ruleId: '942100', severity: '2' } },
          { details: { ruleId: '942100', severity: '2' } },
          { message: 'Inbound Anomaly Score Exceeded (Total Score: 8)', details: { ruleId: '949110', severity: '2' } },
        ],
      },
    };
    expect(siemRecord(entry, ctx, NOW)).toMatchObject({ family: 'sqli', anomaly_score: 8, outcome: 'blocked' });
    const detection = { transaction: { ...entry.transaction, messages: entry.transaction.messages.slice(0, 1) } };
    expect(siemRecord(detection, ctx, NOW)).toMatchObject({ family: 'protocol', anomaly_score: 3, outcome: 'detected' });
  });

  it('whatever is not an audit entry yields an `unreadable` record', () => {
    expect(siemRecord([1, 2], ctx, NOW)).toMatchObject({ event: 'waf_audit_unreadable', reason: 'not_an_audit_entry' });
    expect(() => parseAuditEntry(Buffer.from('{"transaction":'))).toThrow();
  });
});

describe('rule families (EXG_SEC_5.4 statistics)', () => {
  it('maps id ranges: contract, virtual patches, engine, CRS files', () => {
    expect(ruleFamily(10999)).toBe('contract');
    expect(ruleFamily(10010)).toBe('contract');
    expect(ruleFamily(19000)).toBe('virtual_patch');
    expect(ruleFamily(19999)).toBe('virtual_patch');
    expect(ruleFamily(200002)).toBe('engine');
    expect([920350, 921110, 930120, 931100, 932115, 933100, 934100, 941310, 942100, 943100, 944100, 949110, 951100, 959100, 980130].map(ruleFamily)).toEqual([
      'protocol',
      'protocol_attack',
      'lfi',
      'rfi',
      'rce',
      'php',
      'nodejs',
      'xss',
      'sqli',
      'session_fixation',
      'java',
      'anomaly_inbound',
      'data_leakage',
      'anomaly_outbound',
      'correlation',
    ]);
    expect(ruleFamily(5)).toBe('other');
    expect(ruleFamily(999999)).toBe('crs_other');
  });

  it('labels a request with its declared route, never its path', () => {
    expect(declaredRoute(ctx.routes, 'GET', '/documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d?x=1')).toBe('documents.read');
    expect(declaredRoute(ctx.routes, 'GET', 'https://waf.lab/health')).toBe('health');
    expect(declaredRoute(ctx.routes, 'GET', '/%68ealth')).toBe('health');
    expect(declaredRoute(ctx.routes, 'DELETE', '/health')).toBe('undeclared');
    expect(declaredRoute(ctx.routes, 'GET', '/health/hdsmarkerfx')).toBe('undeclared');
    expect(declaredRoute(ctx.routes, 'GET', '/%E0%A4%A')).toBe('undeclared');
  });
});

describe('nginx error-log records (syslog datagrams)', () => {
  const datagrams = (JSON.parse(fixture('nginx-syslog.json').toString()) as string[]).map((s) => Buffer.from(s, 'latin1'));
  const rctx = { waf: 'waf-dc1', syslogTag: 'waf_x' };

  it('keeps the class and numbers of real nginx messages, none of their text (request line, Referer, matched data)', () => {
    expect(datagrams.every((d) => d.toString('latin1').includes('hdsmarkerfx'))).toBe(true);
    const recs = datagrams.map((d) => nginxErrorRecord(d, rctx, NOW));
    for (const r of recs) {
      const l = line(r);
      for (const m of MARKERS) expect(l).not.toContain(m);
      for (const t of ['request:', 'GET /', 'POST /', 'referrer', 'Matched', '127.0.0.1']) expect(l).not.toContain(t);
    }
    expect(recs).toEqual([
      {
        time: NOW.toISOString(),
        event: 'nginx_error',
        waf: 'waf-dc1',
        level: 'error',
        kind: 'upstream_syscall_failed',
        connection: 25,
        syscall: 'connect',
        errno: 111,
        while: 'connecting to upstream',
      },
      { time: NOW.toISOString(), event: 'nginx_error', waf: 'waf-dc1', level: 'error', kind: 'request_body_too_large', connection: 27, bytes: 11000000 },
      {
        time: NOW.toISOString(),
        event: 'nginx_error',
        waf: 'waf-dc1',
        level: 'error',
        kind: 'modsecurity_intervention',
        connection: 28,
        status: 403,
        phase: 1,
      },
    ]);
  });

  it('copies nginx action strings only from its fixed list, not look-alike text from a quoted header line', () => {
    const d = Buffer.from(
      '<187>Nov 30 09:34:46 waf_x: 2026/11/30 09:34:46 [info] 1#1: *3 client sent invalid header line: "X-Note: a while dupont jean, b" while reading client request headers, client: 127.0.0.1',
      'latin1',
    );
    const r = nginxErrorRecord(d, rctx, NOW);
    expect(r).toMatchObject({ kind: 'client_sent_invalid_request', while: 'reading client request headers', level: 'info' });
    expect(line(r)).not.toContain('dupont');
  });

  it('unknown messages are `unclassified` without text; other tags and non-syslog input are ignored', () => {
    const d = Buffer.from(
      '<187>Nov 30 09:34:46 waf_x: 2026/11/30 09:34:46 [warn] 1#1: open() "/srv/hdsmarkerfx" failed (2: No such file or directory)',
      'latin1',
    );
    expect(nginxErrorRecord(d, rctx, NOW)).toEqual({ time: NOW.toISOString(), event: 'nginx_error', waf: 'waf-dc1', level: 'warn', kind: 'unclassified' });
    expect(nginxErrorRecord(d, { ...rctx, syslogTag: 'waf_dc2' }, NOW)).toBeUndefined();
    expect(nginxErrorRecord(Buffer.from('hdsmarkerfx'), rctx, NOW)).toBeUndefined();
  });
});
