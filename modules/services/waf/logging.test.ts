/**
 * The WAF's log policy as rendered (issue 11; EXG_WAF_1, EXG_SEC_5.4, EXG_SEC_6.1; HDS, GDPR):
 * no directive lets nginx or ModSecurity write a request value to a file. The behaviour of the
 * real processes is proved by modules/lab/wafLogs.int.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PORTS } from '../../model/ports.ts';
import { resolveVirtualPatch } from '../../model/virtualPatches.ts';
import {
  blockingRuleIds,
  CRS_BLOCKING_RULE_IDS,
  renderAccessLog,
  renderWafLogRelayConfig,
  routeLabel,
  UNDECLARED_ROUTE,
  WAF_LOG_FILES,
  type WafLogRelayConfig,
  wafSyslogTag,
} from './logging.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput } from './render.ts';

const base: WafRenderInput = {
  name: 'waf-dc1',
  confDir: '/srv/lab/waf-dc1/conf',
  runDir: '/srv/lab/waf-dc1/run',
  listen: { address: '10.0.0.10', port: 8443 },
  tls: { certPath: '/srv/lab/pki/waf-dc1.crt', keyPath: '/srv/lab/pki/waf-dc1.key' },
  upstreams: [{ address: '10.0.0.20', port: 8080 }],
  routes: REFERENCE_API_ROUTES,
};

function file(input: WafRenderInput, path: string): string {
  const f = renderWaf(input).find((x) => x.path === path);
  if (!f) throw new Error(`missing ${path}`);
  return f.content;
}

/** nginx variables that hold nothing a client chose (or only a validated correlation id). */
const SAFE_NGINX_VARIABLES = new Set([
  'time_iso8601',
  'hds_correlation_id',
  'remote_addr',
  'hds_log_method',
  'hds_route',
  'status',
  'request_length',
  'bytes_sent',
  'request_time',
  'upstream_addr',
  'upstream_status',
  'upstream_response_time',
  'connection',
  'ssl_protocol',
  'ssl_cipher',
]);

describe('WAF log policy (rendered)', () => {
  it('ModSecurity: the JSON audit entry goes to the loopback relay, never to a file; body parts are removed', () => {
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain('SecAuditLogType HTTPS');
    expect(m).toContain(`SecAuditLog http://127.0.0.1:${PORTS.wafLogRelay}/modsec-audit`);
    expect(m).toContain('SecAuditLogFormat JSON');
    expect(m).toContain('SecAuditLogParts ABFHZ');
    expect(m).toContain('ctl:auditLogParts=-CEIJK');
    expect(m).toMatch(/^SecAuditEngine RelevantOnly$/m);
    const logTargets = m.split('\n').filter((l) => /^Sec(AuditLog|DebugLog)\s/.test(l));
    expect(logTargets).toEqual([`SecAuditLog http://127.0.0.1:${PORTS.wafLogRelay}/modsec-audit`]);
    expect(m).not.toMatch(/SecAuditLogType (Serial|Concurrent)/);
    expect(file({ ...base, logRelayPort: 18514 }, WAF_FILES.modsecMain)).toContain('SecAuditLog http://127.0.0.1:18514/modsec-audit');
  });

  it('nginx: the error log goes to the relay as syslog on loopback, stderr to /dev/null; no error_log file', () => {
    const c = file(base, WAF_FILES.nginxConf);
    const errorLogs = c.split('\n').filter((l) => /^\s*error_log\s/.test(l));
    expect(errorLogs).toEqual([
      `error_log syslog:server=127.0.0.1:${PORTS.wafLogRelay},facility=local7,tag=waf_dc1,nohostname warn;`,
      'error_log /dev/null emerg;',
    ]);
  });

  it('nginx: the access log names the declared route, never the URI, query string, a header or a cookie', () => {
    const c = file(base, WAF_FILES.nginxConf);
    const format = /log_format hds_json escape=json ((?:'[^']*'\s*)+);/.exec(c)?.[1];
    expect(format).toBeDefined();
    const vars = [...format!.matchAll(/\$([a-z_0-9]+)/g)].map((x) => x[1]!);
    expect(vars.filter((v) => !SAFE_NGINX_VARIABLES.has(v))).toEqual([]);
    expect(vars).toContain('hds_route');
    expect(vars).toContain('hds_correlation_id');
    // Every access_log uses that format (no `combined`, which logs $request and $http_referer).
    const accessLogs = c.split('\n').filter((l) => /^\s*access_log\s/.test(l));
    expect(accessLogs.length).toBeGreaterThan(0);
    for (const l of accessLogs) expect(l).toMatch(/ hds_json;$/);
    // The method is logged from a fixed list, the route from the positive model.
    expect(c).toContain('map $request_method $hds_log_method {');
    expect(c).toContain(`map "$request_method $uri" $hds_route {\n    default ${UNDECLARED_ROUTE};`);
    expect(c).toContain('"~^GET (?:/health)\\\\z" "health";');
    expect(c).toContain('"~^POST (?:/documents)\\\\z" "documents.create";');
  });

  it('the route map matches what the positive model declares and labels anything else `undeclared`', () => {
    const block = renderAccessLog({ name: 'waf-x', routes: REFERENCE_API_ROUTES }, '/x/access.json.log', '');
    const entries = [...block.matchAll(/^ {2}"~(.+)" "(.+)";$/gm)].map((m) => ({
      re: new RegExp(m[1]!.replace(/\\\\/g, '\\').replace(/\\z$/, '$')),
      label: m[2]!,
    }));
    const label = (s: string) => entries.find((e) => e.re.test(s))?.label ?? UNDECLARED_ROUTE;
    expect(label('GET /health')).toBe('health');
    expect(label('GET /documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBe('documents.read');
    expect(label('GET /documents/hdsmarker-Dupont')).toBe(UNDECLARED_ROUTE);
    expect(label('DELETE /health')).toBe(UNDECLARED_ROUTE);
  });

  it('route labels: the contract route id, else a template without the request path', () => {
    expect(REFERENCE_API_ROUTES.map(routeLabel)).toEqual(['health', 'documents.create', 'documents.read']);
    expect(routeLabel({ method: 'GET', pathRegex: '/patients/[A-Za-z-]+/notes/[0-9]+' })).toBe('GET /patients/{param}/notes/{param}');
    expect(routeLabel({ method: 'GET', pathRegex: '^/health$' })).toBe('GET /health');
    expect(wafSyslogTag('waf-dc1')).toBe('waf_dc1');
  });

  it('blocking rule ids: every rendered deny (contract, engine, virtual patch in deny mode), not detect-only patches nor pass rules', () => {
    const deny = resolveVirtualPatch({
      id: 'VP-test-deny',
      description: 'test',
      justification: 'log policy test',
      target: { variables: ['REQUEST_HEADERS'] },
      match: { contains: ['hdsmarker'] },
      added: '2026-01-01',
      expires: '2027-01-01',
    });
    const detect = resolveVirtualPatch({
      id: 'VP-test-detect',
      description: 'test',
      justification: 'log policy test',
      target: { variables: ['ARGS'] },
      match: { contains: ['hdsmarker'] },
      action: 'detect',
      added: '2026-01-01',
      expires: '2027-01-01',
    });
    const ids = blockingRuleIds(renderWaf({ ...base, virtualPatches: [deny, detect] }));
    for (const id of [10999, 200002, 200005, 200007, 949110, 959100, deny.ruleId]) expect(ids).toContain(id);
    for (const id of [200001, 200090, 10000, 10010, 900110, detect.ruleId]) expect(ids).not.toContain(id);
  });

  it('no rendered rule copies a request value into a tag (the relay keeps tags); logdata/msg are never kept', () => {
    for (const f of renderWaf(base).filter((x) => x.path.endsWith('.conf') && x.path !== WAF_FILES.nginxConf)) {
      expect(f.content, f.path).not.toMatch(/tag:'[^']*%\{/);
    }
  });

  it('the relay configuration: loopback ingest, metrics address, outputs under runDir, routes, blocking ids', () => {
    const files = renderWaf(base);
    const f = renderWafLogRelayConfig(base, files, { host: '10.0.1.10' });
    expect(f.path).toBe(WAF_LOG_FILES.relayConfig);
    const c = JSON.parse(f.content) as WafLogRelayConfig;
    expect(c).toMatchObject({
      waf: 'waf-dc1',
      ingest: { host: '127.0.0.1', port: PORTS.wafLogRelay },
      metrics: { host: '10.0.1.10', port: PORTS.wafLogMetrics },
      syslogTag: 'waf_dc1',
      siemLog: '/srv/lab/waf-dc1/run/logs/siem.json.log',
      nginxErrorLog: '/srv/lab/waf-dc1/run/logs/nginx-error.json.log',
    });
    expect(c.routes.map((r) => r.label)).toEqual(['health', 'documents.create', 'documents.read']);
    expect(c.blockingRuleIds).toEqual(blockingRuleIds(files));
  });
});

describe('CRS blocking rules', () => {
  const crs = '/usr/share/modsecurity-crs/rules';
  it.skipIf(!existsSync(crs))("CRS_BLOCKING_RULE_IDS are the installed CRS's deny/drop rules, and no CRS tag holds a macro", () => {
    const files = readdirSync(crs)
      .filter((n) => n.endsWith('.conf'))
      .map((name) => ({ path: name, content: readFileSync(join(crs, name), 'utf8') }));
    for (const f of files) expect(f.content, f.path).not.toMatch(/tag:'[^']*%\{/);
    // The parser of blockingRuleIds finds nothing beyond the list on the CRS itself…
    expect(blockingRuleIds(files)).toEqual([...CRS_BLOCKING_RULE_IDS]);
    // …and the list is exactly the CRS's disruptive rules (an independent scan).
    const scanned = new Set<number>();
    for (const f of files) {
      const text = f.content.replace(/\\\r?\n/g, ' ');
      for (const stmt of text.split('\n').filter((l) => /^\s*Sec(Rule|Action)\b/.test(l))) {
        const id = /[",]\s*id:(\d+)/.exec(stmt);
        if (id && /[",]\s*(deny|drop|redirect)\s*(?=[,"])/.test(stmt)) scanned.add(Number(id[1]));
      }
    }
    expect([...scanned].sort((a, b) => a - b)).toEqual([...CRS_BLOCKING_RULE_IDS]);
  });
});
