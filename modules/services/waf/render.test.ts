import { describe, expect, it } from 'vitest';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput } from './render.ts';

const base: WafRenderInput = {
  name: 'waf-dc1',
  confDir: '/srv/lab/waf-dc1/conf',
  runDir: '/srv/lab/waf-dc1/run',
  listen: { address: '10.0.0.10', port: 8443 },
  tls: { certPath: '/srv/lab/pki/waf-dc1.crt', keyPath: '/srv/lab/pki/waf-dc1.key' },
  upstreams: [
    { address: '10.0.0.20', port: 8080 },
    { address: '10.0.0.21', port: 8080 },
  ],
  routes: REFERENCE_API_ROUTES,
};

function file(input: WafRenderInput, path: string): string {
  const f = renderWaf(input).find((x) => x.path === path);
  if (!f) throw new Error(`missing ${path}`);
  return f.content;
}

describe('renderWaf', () => {
  it('renders the four files, deterministically', () => {
    const a = renderWaf(base);
    expect(a.map((f) => f.path).sort()).toEqual(Object.values(WAF_FILES).sort());
    expect(renderWaf(base)).toEqual(a);
  });

  it('nginx.conf: standalone paths, modsecurity module, TLS 1.2/1.3 with ECDHE+AES-GCM only', () => {
    const c = file(base, 'nginx.conf');
    expect(c).toContain('load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;');
    expect(c).toContain('pid /srv/lab/waf-dc1/run/nginx.pid;');
    expect(c).toContain('error_log /srv/lab/waf-dc1/run/logs/error.log warn;');
    expect(c).toContain('client_body_temp_path /srv/lab/waf-dc1/run/tmp/client_body;');
    expect(c).not.toMatch(/\/etc\/nginx\/(?!mime\.types)/);
    expect(c).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    const ciphers = /ssl_ciphers ([^;]+);/.exec(c)?.[1]?.split(':') ?? [];
    expect(ciphers.length).toBeGreaterThan(0);
    for (const s of ciphers) expect(s).toMatch(/^ECDHE-(ECDSA|RSA)-AES(128|256)-GCM-SHA(256|384)$/);
    expect(c).toContain('ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256;');
    expect(c).toContain('ssl_session_tickets off;');
    expect(c).toContain('listen 10.0.0.10:8443 ssl;');
    expect(c).toContain('ssl_certificate /srv/lab/pki/waf-dc1.crt;');
    expect(c).toContain('server 10.0.0.20:8080');
    expect(c).toContain('server 10.0.0.21:8080');
    expect(c).toContain('modsecurity_rules_file /srv/lab/waf-dc1/conf/modsecurity/main.conf;');
  });

  it('correlation id: validated incoming header or $request_id, sent upstream, returned, ModSecurity transaction id', () => {
    const c = file(base, 'nginx.conf');
    expect(c).toMatch(/map \$http_x_correlation_id \$hds_correlation_id \{\n\s+"~\^\[A-Za-z0-9\]/);
    expect(c).toContain('default $request_id;');
    expect(c).toContain('proxy_set_header X-Correlation-ID $hds_correlation_id;');
    expect(c).toContain('add_header X-Correlation-ID $hds_correlation_id always;');
    expect(c).toContain('proxy_hide_header X-Correlation-ID;');
    expect(c).toContain('modsecurity_transaction_id $hds_correlation_id;');
    expect(c).toContain('"correlation_id":"$hds_correlation_id"');
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain("setvar:'tx.correlation_id=%{UNIQUE_ID}'");
  });

  it('ModSecurity: engine on, JSON audit log under runDir without bodies, CRS included after setup', () => {
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain('SecRuleEngine On');
    expect(m).toContain('SecAuditLogFormat JSON');
    expect(m).toContain('SecAuditLog /srv/lab/waf-dc1/run/logs/modsec_audit.json.log');
    expect(m).toContain('SecAuditLogParts ABFHZ');
    const order = ['positive-model.conf', 'crs-setup.conf', '/usr/share/modsecurity-crs/rules/*.conf'].map((s) => m.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('CRS setup: blocking anomaly scoring, paranoia level default 1 and from input, methods from the routes', () => {
    expect(file(base, WAF_FILES.crsSetup)).toContain('setvar:tx.paranoia_level=1"');
    const s = file({ ...base, paranoiaLevel: 3, inboundAnomalyThreshold: 10 }, WAF_FILES.crsSetup);
    expect(s).toContain('setvar:tx.paranoia_level=3"');
    expect(s).toContain('setvar:tx.inbound_anomaly_score_threshold=10');
    expect(s).toContain("setvar:'tx.allowed_methods=GET POST'");
    expect(s).toContain('setvar:tx.crs_setup_version=334');
    expect(s).toContain('SecDefaultAction "phase:2,log,auditlog,pass"');
  });

  it('positive model: one anchored rule per route, then a 403 deny, in phase 1', () => {
    const p = file(base, WAF_FILES.positiveModel);
    expect(p).toContain('SecRule TX:hds_route "@rx ^GET (?:/health)$"');
    expect(p).toContain('SecRule TX:hds_route "@rx ^POST (?:/documents)$"');
    expect(p).toMatch(/\^GET \(\?:\/documents\/\[0-9a-f\]\{8\}-/);
    expect(p).toMatch(/id:10999,phase:1,deny,status:403/);
    expect(p.indexOf('id:10999')).toBeGreaterThan(p.lastIndexOf('skipAfter:END_HDS_POSITIVE_MODEL'));
    expect(p.trimEnd().endsWith('SecMarker END_HDS_POSITIVE_MODEL')).toBe(true);
    // User anchors are not doubled.
    const q = file({ ...base, routes: [{ method: 'GET', pathRegex: '^/x$' }] }, WAF_FILES.positiveModel);
    expect(q).toContain('"@rx ^GET (?:/x)$"');
  });

  it('the positive-model regexes accept declared calls and reject the rest', () => {
    const p = file(base, WAF_FILES.positiveModel);
    const res = [...p.matchAll(/"@rx ([^"]+)"/g)].map((m) => new RegExp(m[1] ?? ''));
    const allowed = (s: string) => res.some((r) => r.test(s));
    expect(allowed('GET /health')).toBe(true);
    expect(allowed('POST /documents')).toBe(true);
    expect(allowed('GET /documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBe(true);
    expect(allowed('GET /documents')).toBe(false);
    expect(allowed('DELETE /documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBe(false);
    expect(allowed('GET /documents/../admin')).toBe(false);
    expect(allowed('GET /health/x')).toBe(false);
    expect(allowed('POST /health')).toBe(false);
  });

  it('rejects unsafe input', () => {
    expect(() => renderWaf({ ...base, routes: [] })).toThrow(/at least one route/);
    expect(() => renderWaf({ ...base, upstreams: [] })).toThrow(/upstream/);
    expect(() => renderWaf({ ...base, routes: [{ method: 'GET', pathRegex: '/x"' }] })).toThrow(/quotes/);
    expect(() => renderWaf({ ...base, routes: [{ method: 'GET', pathRegex: '/x(' }] })).toThrow(/compile/);
    expect(() => renderWaf({ ...base, confDir: 'relative' })).toThrow(/absolute/);
    expect(() => renderWaf({ ...base, paranoiaLevel: 5 as 1 })).toThrow(/paranoia/);
    expect(() => renderWaf({ ...base, listen: { address: '127.0.0.1', port: 70000 } })).toThrow(/port/);
  });
});

describe('renderWaf upstreamTls (production re-encryption)', () => {
  it('proxies over verified TLS 1.2+ only when asked', () => {
    const render = renderWaf;
    const input: WafRenderInput = {
      name: 'waf-x',
      confDir: '/etc/nginx',
      runDir: '/var/lib/nginx/hds',
      listen: { address: '10.0.0.10', port: 443 },
      tls: { certPath: '/t/c.crt', keyPath: '/t/c.key' },
      upstreams: [{ address: '10.0.2.13', port: 443 }],
      routes: [{ method: 'GET', pathRegex: '/health' }],
    };
    const plain = render(input)[0]!.content;
    expect(plain).toContain('proxy_pass http://waf_x_backend;');
    expect(plain).not.toContain('proxy_ssl_');
    const tls = render({ ...input, upstreamTls: { caFile: '/t/ca.crt', serverName: 'apps.ocp-dc1.production.hds' } })[0]!.content;
    expect(tls).toContain('proxy_pass https://waf_x_backend;');
    expect(tls).toContain('proxy_ssl_verify on;');
    expect(tls).toContain('proxy_ssl_trusted_certificate /t/ca.crt;');
    expect(tls).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
    expect(() => render({ ...input, upstreamTls: { caFile: 'relative', serverName: 'x' } })).toThrow(/absolute/);
  });
});
