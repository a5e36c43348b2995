import { describe, expect, it } from 'vitest';
import { type ApiContract, type ApiRoute, PLATFORM_HEADER_POLICY, REFERENCE_API_CONTRACT, TEXT_PROFILES } from '../../model/apiContract.ts';
import { MAX_DOCUMENT_REQUEST_BYTES } from '../../model/documents.ts';
import {
  contractRenderProblems,
  fieldValueRegex,
  HEADER_ATTACK_FAMILIES,
  renderContract,
  renderCrsTargets,
  TEXT_PROFILE_CRS_EXCLUSIONS,
  utf8CharRegex,
  utf8Sequences,
  wafRoutesOf,
} from './contract.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_ERROR_STATUSES, WAF_FILES, type WafRenderInput } from './render.ts';

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
  serverNames: ['waf.lab.hds'],
};

function file(input: WafRenderInput, path: string): string {
  const f = renderWaf(input).find((x) => x.path === path);
  if (!f) throw new Error(`missing ${path}`);
  return f.content;
}

/** The `@rx` of a rendered rule as a JavaScript regex over a latin1 string (one char per byte). */
function jsRegex(pcre: string): RegExp {
  return new RegExp(
    pcre
      .replace(/\\A/g, '^')
      .replace(/\\z/g, '$')
      .replace(/([*+}])\+/g, '$1'),
  );
}

/** A value as ModSecurity sees it: its UTF-8 bytes. */
const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** `SecRule …` lines of a file by id. */
function rule(text: string, id: number): string {
  const line = text.split('\n').find((l) => l.includes(`id:${id},`));
  if (!line) throw new Error(`no rule ${id}`);
  return line;
}

const contractOf = (routes: ApiRoute[]): ApiContract => ({ id: 'test', description: 'test', headers: PLATFORM_HEADER_POLICY, routes });
const titleField = REFERENCE_API_CONTRACT.routes[1]?.body?.json.title;

describe('renderWaf', () => {
  it('renders every WAF file, deterministically', () => {
    const a = renderWaf(base);
    expect(a.map((f) => f.path).sort()).toEqual(Object.values(WAF_FILES).sort());
    expect(renderWaf(base)).toEqual(a);
  });

  it('nginx.conf: standalone paths, modsecurity module, TLS 1.2/1.3 with ECDHE+AES-GCM only', () => {
    const c = file(base, 'nginx.conf');
    expect(c).toContain('load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;');
    expect(c).toContain('pid /srv/lab/waf-dc1/run/nginx.pid;');
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
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain("setvar:'tx.correlation_id=%{UNIQUE_ID}'");
  });

  it('body limits come from the contract (MAX_DOCUMENT_REQUEST_BYTES) in nginx and ModSecurity; at least 2 workers', () => {
    const c = file(base, 'nginx.conf');
    expect(c).toContain(`client_max_body_size ${MAX_DOCUMENT_REQUEST_BYTES};`);
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain(`SecRequestBodyLimit ${MAX_DOCUMENT_REQUEST_BYTES}`);
    expect(m).toContain(`SecRequestBodyNoFilesLimit ${MAX_DOCUMENT_REQUEST_BYTES}`);
    expect(c).toContain('worker_processes 2;');
    expect(() => renderWaf({ ...base, workerProcesses: 1 })).toThrow(/workerProcesses must be an integer >= 2/);
    expect(file({ ...base, workerProcesses: 8 }, 'nginx.conf')).toContain('worker_processes 8;');
    // Idle upstream connections closed by nginx before the service closes them (75 s).
    expect(c).toMatch(/upstream waf_dc1_backend \{[^}]*keepalive_timeout 60s;/);
    // Without a contract on the routes: 1 MiB.
    expect(file({ ...base, routes: [{ method: 'GET', pathRegex: '/x' }] }, 'nginx.conf')).toContain('client_max_body_size 1048576;');
  });

  it('nginx: server_name the served names and the listen address; the Cookie header is not forwarded', () => {
    const c = file(base, 'nginx.conf');
    expect(c).toContain('server_name waf.lab.hds 10.0.0.10;');
    expect(c).toContain('proxy_set_header Cookie "";');
    expect(file({ ...base, headerPolicy: { ...PLATFORM_HEADER_POLICY, cookies: 'forward' } }, 'nginx.conf')).not.toContain('proxy_set_header Cookie');
    expect(file({ ...base, listen: { address: 'fd00::10', port: 443 } }, 'nginx.conf')).toContain('server_name waf.lab.hds [fd00::10];');
  });

  it('error pages: JSON with the status and the correlation id, ModSecurity off; not for 400/403 (phase-2 audit)', () => {
    const c = file(base, 'nginx.conf');
    expect(Object.keys(WAF_ERROR_STATUSES)).not.toContain('400');
    expect(Object.keys(WAF_ERROR_STATUSES)).not.toContain('403');
    expect(c).not.toMatch(/error_page 40[03] /);
    for (const status of ['413', '415', '421', '502']) {
      expect(c).toContain(`error_page ${status} @hds_error_${status};`);
      const block = new RegExp(
        `location @hds_error_${status} \\{\\n\\s+modsecurity off;\\n\\s+default_type application/json;\\n\\s+return ${status} '([^']+)';`,
      ).exec(c);
      expect(block, status).not.toBeNull();
      const body = JSON.parse((block?.[1] ?? '').replace('\\n', '').replace('$hds_correlation_id', 'cid-0001')) as Record<string, unknown>;
      expect(body).toMatchObject({ status: Number(status), correlationId: 'cid-0001' });
      if (status === '413') expect(body.maxRequestBytes).toBe(MAX_DOCUMENT_REQUEST_BYTES);
    }
  });

  it('ModSecurity: engine on, contract before the virtual patches and the CRS, CRS target updates after it', () => {
    const m = file(base, WAF_FILES.modsecMain);
    expect(m).toContain('SecRuleEngine On');
    expect(m).toContain('SecAuditLogFormat JSON');
    expect(m).toContain('ctl:requestBodyProcessor=JSON');
    expect(m).toContain('@rx ^application/(?:[a-z0-9.-]+\\+)?json');
    const order = ['positive-model.conf', 'virtual-patches.conf', 'crs-setup.conf', '/usr/share/modsecurity-crs/rules/*.conf', 'crs-targets.conf'].map((s) =>
      m.indexOf(s),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('CRS setup: blocking anomaly scoring, paranoia level default 1 and from input, methods and content types from the contract', () => {
    expect(file(base, WAF_FILES.crsSetup)).toContain('setvar:tx.paranoia_level=1"');
    const s = file({ ...base, paranoiaLevel: 3, inboundAnomalyThreshold: 10 }, WAF_FILES.crsSetup);
    expect(s).toContain('setvar:tx.paranoia_level=3"');
    expect(s).toContain('setvar:tx.inbound_anomaly_score_threshold=10');
    expect(s).toContain("setvar:'tx.allowed_methods=GET POST'");
    expect(s).toContain("setvar:'tx.allowed_request_content_type=|application/json|'");
    expect(s).toContain('setvar:tx.crs_setup_version=334');
    expect(s).toContain('SecDefaultAction "phase:2,log,auditlog,pass"');
  });

  it('positive model: one \\A…\\z anchored rule per route setting its id, then a 403 deny, in phase 1', () => {
    const p = file(base, WAF_FILES.positiveModel);
    expect(p).toContain(`SecRule TX:hds_route "@rx \\AGET (?:/health)\\z"`);
    expect(p).toContain(`SecRule TX:hds_route "@rx \\APOST (?:/documents)\\z"`);
    expect(p).toContain("setvar:'tx.hds_route_id=documents.create'");
    expect(p).toMatch(/\\AGET \(\?:\/documents\/\[0-9a-f\]\{8\}-/);
    expect(rule(p, 10999)).toMatch(/id:10999,phase:1,deny,status:403/);
    expect(p.indexOf('id:10999')).toBeGreaterThan(p.lastIndexOf('skipAfter:END_HDS_POSITIVE_MODEL"'));
    // User anchors are not doubled; a route without a contract gets an id of its own.
    const q = file({ ...base, routes: [{ method: 'GET', pathRegex: '^/x$' }] }, WAF_FILES.positiveModel);
    expect(q).toContain('"@rx \\AGET (?:/x)\\z"');
    expect(q).toContain("setvar:'tx.hds_route_id=route-0'");
  });

  it('the positive-model regexes accept declared calls and reject the rest (newlines included)', () => {
    const p = file(base, WAF_FILES.positiveModel);
    const res = [...p.matchAll(/SecRule TX:hds_route "@rx ([^"]+)"/g)].map((m) => jsRegex(m[1] ?? ''));
    const allowed = (s: string) => res.some((r) => r.test(s));
    expect(allowed('GET /health')).toBe(true);
    expect(allowed('POST /documents')).toBe(true);
    expect(allowed('GET /documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBe(true);
    expect(allowed('GET /documents')).toBe(false);
    expect(allowed('DELETE /documents/0b5a3c1e-2f4d-4a6b-8c9d-0e1f2a3b4c5d')).toBe(false);
    expect(allowed('GET /documents/../admin')).toBe(false);
    expect(allowed('GET /health/x')).toBe(false);
    expect(allowed('GET /health\n/admin')).toBe(false);
    expect(allowed('POST /health')).toBe(false);
  });

  it('Host: served names and the listen address (without 920350), anything else 421', () => {
    const p = file(base, WAF_FILES.positiveModel);
    expect(rule(p, 10003)).toContain('"@streq 10.0.0.10"');
    expect(rule(p, 10003)).toContain('ctl:ruleRemoveById=920350');
    expect(rule(p, 10004)).toContain('"@rx \\A(?:waf\\.lab\\.hds)\\z"');
    expect(rule(p, 10005)).toMatch(/deny,status:421/);
    const hostPort = jsRegex(/"@rx ([^"]+)"/.exec(rule(p, 10008))?.[1] ?? '');
    expect(hostPort.exec('10.0.0.10:8443')?.[1]).toBe('10.0.0.10');
    expect(hostPort.exec('waf.lab.hds')?.[1]).toBe('waf.lab.hds');
    expect(hostPort.exec('[fd00::10]:443')?.[1]).toBe('[fd00::10]');
    expect(file({ ...base, serverNames: [] }, WAF_FILES.positiveModel)).not.toContain('id:10004,');
    expect(rule(file({ ...base, listen: { address: 'fd00::10', port: 443 } }, WAF_FILES.positiveModel), 10003)).toContain('"@streq [fd00::10]"');
  });

  it('headers: routing overrides refused, every value but the cookies in the header alphabet', () => {
    const p = file(base, WAF_FILES.positiveModel);
    expect(rule(p, 10006)).toContain('x-http-method-override|x-http-method|x-method-override|x-original-url|x-rewrite-url');
    const line = rule(p, 10007);
    expect(line.startsWith('SecRule REQUEST_HEADERS|!REQUEST_HEADERS:Cookie "!@rx')).toBe(true);
    const re = jsRegex(/"!@rx ([^"]+)"/.exec(line)?.[1] ?? '');
    for (const ok of ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36', 'fr-FR,fr;q=0.9', '"Chromium";v="131"', latin1('Mon Espace Santé')])
      expect(re.test(ok), ok).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
    for (const bad of ['${jndi:ldap://x/a}', '{{7*7}}', '`id`', 'a | id', 'a\\b', 'x\ny']) expect(re.test(bad), bad).toBe(false);
  });

  it('per route: query strings, bodies, content types and JSON fields, each with its status', () => {
    const p = file(base, WAF_FILES.positiveModel);
    const section = (id: string) => p.slice(p.indexOf(`# --- route ${id}:`), p.indexOf('SecMarker', p.indexOf(`# --- route ${id}:`) + 1));
    expect(section('health')).toMatch(/SecRule QUERY_STRING "@rx \." "id:\d+,phase:1,deny,status:403/);
    expect(section('health')).toMatch(/SecRule REQUEST_HEADERS:Content-Length "!@rx \\A0\?\\z" "id:\d+,phase:1,deny,status:413/);
    const create = p.slice(p.indexOf('# --- route documents.create:'), p.indexOf('# --- route documents.read:'));
    expect(create).toMatch(/SecRule &REQUEST_HEADERS:Content-Type "@eq 0" "id:\d+,phase:1,deny,status:415/);
    expect(create).toContain('SecRule REQUEST_HEADERS:Content-Type "!@rx \\A(?:application/json)(?:[ \\t]*;[ \\t]*charset=utf-8)?\\z"');
    expect(create).toContain(`SecRule REQUEST_HEADERS:Content-Length "@gt ${MAX_DOCUMENT_REQUEST_BYTES}"`);
    // nginx stops a chunked body at the same limit: no phase-2 length rule for this route.
    expect(create).not.toContain('REQUEST_BODY_LENGTH');
    expect(create).toMatch(
      /SecRule ARGS_NAMES "!@rx \\A\(\?:json\\\.title\|json\\\.patientId\|json\\\.category\|json\\\.contentBase64\)\\z" "id:\d+,phase:2,deny,status:400/,
    );
    for (const f of ['title', 'patientId', 'category', 'contentBase64']) {
      expect(create).toContain(`SecRule &ARGS:json.${f} "@gt 1"`);
      expect(create).toContain(`SecRule &ARGS:json.${f} "@eq 0"`);
    }
    expect(create).toContain('t:none,t:utf8toUnicode,t:urlDecodeUni,t:length');
    expect(create).toContain('SecRule ARGS:json.contentBase64 "!@rx \\A(?:[A-Za-z0-9+/]*+={0,2})\\z"');
    // The document's length is the service's 413 (its limits in JSON), not a phase-2 denial.
    expect(create).toContain('the service answers 413');
    expect(create).not.toMatch(/SecRule ARGS:json\.contentBase64 "@gt/);
    // Every contract denial is tagged by family and route, and says nothing of the request's values.
    for (const l of p.split('\n').filter((x) => x.includes(',deny,'))) {
      expect(l).toMatch(/tag:'EXG_WAF_1'/);
      expect(l).not.toMatch(/logdata|%\{(?!TX\.1)/);
    }
  });

  it('CRS exclusions: scoped to one field of one route, after its proof, each with its reason', () => {
    const p = file(base, WAF_FILES.positiveModel);
    const create = p.slice(p.indexOf('# --- route documents.create:'), p.indexOf('# --- route documents.read:'));
    const ctl = create.split('\n').find((l) => l.includes('ctl:ruleRemoveTargetBy')) ?? '';
    expect(ctl).toMatch(/^SecAction "id:\d+,phase:2,pass,nolog/);
    expect(ctl).toContain('ctl:ruleRemoveTargetByTag=OWASP_CRS;REQUEST_BODY');
    for (const f of ['patientId', 'category', 'contentBase64']) {
      expect(ctl).toContain(`ctl:ruleRemoveTargetByTag=OWASP_CRS;ARGS:json.${f}`);
      expect(ctl).toContain(`ctl:ruleRemoveTargetByTag=hds/virtual-patch/signature;ARGS:json.${f}`);
    }
    expect(ctl).not.toContain('OWASP_CRS;ARGS:json.title');
    const ids = TEXT_PROFILE_CRS_EXCLUSIONS['clinical-fr'].map((e) => e.ruleId);
    expect(ids.sort()).toEqual([932110, 932115, 942190, 942350]);
    for (const e of TEXT_PROFILE_CRS_EXCLUSIONS['clinical-fr']) {
      expect(ctl).toContain(`ctl:ruleRemoveTargetById=${e.ruleId};ARGS:json.title`);
      expect(create).toContain(`#   ARGS:json.title: ${e.ruleId} -- ${e.reason}`);
      expect(e.reason.length).toBeGreaterThan(40);
    }
    // After every check of the route, never a global removal.
    expect(create.indexOf(ctl)).toBeGreaterThan(create.lastIndexOf(',deny,'));
    expect(p).not.toMatch(/ctl:ruleRemoveById=(?!920350)|ctl:ruleEngine|SecRuleRemove|anomaly_score_threshold/);
  });

  it('CRS target updates: free-text headers become targets of the attack families, structured ones excluded', () => {
    const t = file(base, WAF_FILES.crsTargets);
    for (const fam of HEADER_ATTACK_FAMILIES) expect(t).toContain(`SecRuleUpdateTargetByTag "${fam}" "REQUEST_HEADERS|!REQUEST_HEADERS:host|`);
    expect(t).toContain('!REQUEST_HEADERS:cookie');
    expect(t).toContain('!REQUEST_HEADERS:/^sec\\-/');
    expect(t).not.toContain('attack-rfi');
    expect(renderCrsTargets({ ...PLATFORM_HEADER_POLICY, structured: ['host'] })).toContain('"REQUEST_HEADERS|!REQUEST_HEADERS:host"');
  });

  it('rejects unsafe input, every problem at once', () => {
    expect(() => renderWaf({ ...base, routes: [] })).toThrow(/at least one route/);
    expect(() => renderWaf({ ...base, upstreams: [] })).toThrow(/upstream/);
    expect(() => renderWaf({ ...base, routes: [{ method: 'GET', pathRegex: '/x"' }] })).toThrow(/quotes/);
    expect(() => renderWaf({ ...base, routes: [{ method: 'GET', pathRegex: '/x(' }] })).toThrow(/compile/);
    expect(() => renderWaf({ ...base, confDir: 'relative' })).toThrow(/absolute/);
    expect(() => renderWaf({ ...base, paranoiaLevel: 5 as 1 })).toThrow(/paranoia/);
    expect(() => renderWaf({ ...base, listen: { address: '127.0.0.1', port: 70000 } })).toThrow(/port/);
    expect(() => renderWaf({ ...base, serverNames: ['Bad_Name'] })).toThrow(/server name 'Bad_Name'/);
    expect(() => renderWaf({ ...base, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
  });

  it('rejects a bad contract with clear errors: unknown format, text without profile, bad path, GET with a body', () => {
    const health = REFERENCE_API_CONTRACT.routes[0] as ApiRoute;
    const bad = [
      { ...health, id: 'a', path: '/a/{id}', params: { id: 'ulid' as 'uuid' } },
      {
        ...health,
        id: 'b',
        path: '/b',
        method: 'POST' as const,
        body: {
          contentTypes: ['application/json'],
          maxBytes: 10,
          json: { note: { type: 'string' as const, format: 'text' as const, minLength: 1, maxLength: 10, required: true, description: 'x' } },
        },
      },
      { ...health, id: 'c', path: '/c/../d' },
      { ...health, id: 'd', body: { contentTypes: ['text/plain'], maxBytes: 10, json: {} } },
      {
        ...health,
        id: 'e',
        query: { q: { type: 'string' as const, format: 'phone' as 'code', minLength: 1, maxLength: 10, required: false, description: 'x' } },
      },
    ];
    const problems = contractRenderProblems(
      bad.map((r) => ({ method: r.method, pathRegex: '/x', contract: r })),
      { listenAddress: '10.0.0.10' },
    );
    const all = problems.join('\n');
    expect(all).toMatch(/route a: path \/a\/\{id\}: parameter id has no known format/);
    expect(all).toMatch(/route a: parameter id: unknown format 'ulid'/);
    expect(all).toMatch(/route b body note: format text needs a text profile/);
    expect(all).toMatch(/route c: .*segment '\.\.'/);
    expect(all).toMatch(/route d: a GET route takes no body/);
    expect(all).toMatch(/route d: only JSON bodies are described/);
    expect(all).toMatch(/route d: body declares no field/);
    expect(all).toMatch(/route e query q: unknown format 'phone'/);
    expect(() => wafRoutesOf(contractOf(bad))).toThrow(/API contract test is invalid:\n- /);
    expect(() => renderContract([{ method: 'GET', pathRegex: '/x', contract: bad[0] as ApiRoute }], { listenAddress: '10.0.0.10' })).toThrow(
      /cannot render the API contract/,
    );
  });

  it('a contract with query parameters renders their checks in phase 1 and their exclusions', () => {
    const search: ApiRoute = {
      id: 'documents.search',
      method: 'GET',
      path: '/documents',
      params: {},
      description: 'search',
      query: {
        patientId: { type: 'string', format: 'code', minLength: 1, maxLength: 64, required: true, description: 'patient' },
        q: { type: 'string', format: 'text', text: 'clinical-fr', minLength: 1, maxLength: 100, required: false, description: 'free text' },
      },
    };
    const p = renderContract(wafRoutesOf(contractOf([search])), { listenAddress: '10.0.0.10' });
    expect(p).toMatch(/SecRule ARGS_GET_NAMES "!@rx \\A\(\?:patientId\|q\)\\z" "id:11001,phase:1,deny,status:403/);
    expect(p).toContain('SecRule &ARGS_GET:patientId "@eq 0"');
    expect(p).not.toContain('SecRule &ARGS_GET:q "@eq 0"');
    expect(p).toContain('ctl:ruleRemoveTargetByTag=OWASP_CRS;ARGS:patientId');
    expect(p).toContain('ctl:ruleRemoveTargetById=942190;ARGS:q');
    expect(p).not.toMatch(/phase:2/);
  });
});

describe('field regexes (ModSecurity PCRE2 without the UTF flag: bytes)', () => {
  it('utf8Sequences covers exactly the code points of a range (exhaustive over the BMP and beyond)', () => {
    const ranges = TEXT_PROFILES['clinical-fr'].ranges;
    const re = new RegExp(`^${utf8CharRegex(ranges)}$`);
    const inRanges = (cp: number) => ranges.some(([a, b]) => cp >= a && cp <= b);
    const wrong: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x30000 ? 1 : 97) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (re.test(latin1(String.fromCodePoint(cp))) !== inRanges(cp)) wrong.push(cp);
    }
    expect(wrong).toEqual([]);
    expect(
      utf8Sequences(0xd700, 0xe001)
        .flat()
        .every(([lo, hi]) => lo <= hi),
    ).toBe(true);
    expect(new RegExp(`^${utf8CharRegex([[0xd7ff, 0xe000]])}$`).test(latin1('\ue000'))).toBe(true);
  });

  it('the title regex accepts French clinical text and refuses what the profile leaves out', () => {
    if (!titleField) throw new Error('no title field');
    const re = jsRegex(fieldValueRegex(titleField));
    for (const ok of [
      "Patient refuse l'union des deux dossiers ; drop du doublon",
      'Mme N’Diaye Zoé, Œdipe — SpO2 98 % ; INR ≥ 2,5 ; 12.10^9/L ; β-bloquant 2,5 mg ; T° 38,5 °C ; 12 000 €',
      'Dr Nguyễn Thị Ánh ; Dr Łukasz ; « à revoir » ; <b> ; 7*7 ; [CH 14] ; #12 ; ~3 cm',
    ])
      expect(re.test(latin1(ok)), ok).toBe(true);
    for (const bad of [
      '`id`',
      '$(id)',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
      '${jndi:x}',
      '{{7*7}}',
      'a | b',
      'a\\b',
      'ligne\nsuivante',
      'zéro\u200blargeur',
      '\u202eRLO',
      '＄｛｝',
      'Иванов',
      '漢字',
      '\u0000',
    ])
      expect(re.test(latin1(bad)), JSON.stringify(bad)).toBe(false);
    // Invalid UTF-8 (a lone continuation byte, an overlong encoding) does not match either.
    expect(re.test('abc\x80')).toBe(false);
    expect(re.test('\xc0\xaf')).toBe(false);
  });

  it('format regexes: anchored with \\A…\\z (PCRE2_MULTILINE), possessive, no bounded repeat of a group (PCRE2 size limit)', () => {
    const p = file(base, WAF_FILES.positiveModel);
    const res = [...p.matchAll(/"!?@rx ([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(res.length).toBeGreaterThan(10);
    for (const r of res) {
      expect(r, r).not.toMatch(/^\^|(?<!\\)\$$|\|\^|\(\^/);
      expect(r, r).not.toMatch(/\)\{\d+,\d{3,}\}/);
      expect(() => jsRegex(r), r).not.toThrow();
    }
    expect(fieldValueRegex({ type: 'string', format: 'base64', minLength: 4, maxLength: 8, required: true, description: 'x' })).toBe(
      '\\A(?:[A-Za-z0-9+/]*+={0,2})\\z',
    );
  });
});
