import { describe, expect, it } from 'vitest';
import { resolveVirtualPatch, VP_SIGNATURES, type VirtualPatch, type VirtualPatchDoc } from '../../model/virtualPatches.ts';
import { renderVirtualPatches } from './patches.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput } from './render.ts';

const routes = REFERENCE_API_ROUTES;
const doc: VirtualPatchDoc = {
  id: 'VP-2021-44228-log4shell',
  cve: ['CVE-2021-44228', 'CVE-2021-45046'],
  description: 'Log4Shell lookups in any header, argument or cookie',
  target: { variables: ['REQUEST_HEADERS', 'ARGS', 'REQUEST_COOKIES'] },
  match: { signature: 'log4shell' },
  added: '2026-11-30',
  expires: '2027-05-31',
};
const log4shell = resolveVirtualPatch(doc);
const rules = (text: string) => text.split('\n').filter((l) => /^\s*Sec/.test(l));

describe('renderVirtualPatches', () => {
  it('renders an empty, valid file when no patch is declared', () => {
    const text = renderVirtualPatches([], { routes });
    expect(rules(text)).toEqual([]);
    expect(text).toContain('# No virtual patch declared.');
  });

  it('renders one denying rule per patch: derived id, phase 2, tags, transformations, no request value in the message', () => {
    const text = renderVirtualPatches([log4shell], { routes });
    const sig = VP_SIGNATURES.log4shell;
    expect(rules(text)).toEqual([
      `SecRule REQUEST_HEADERS|ARGS|REQUEST_COOKIES "@rx ${sig.regex}" "id:19157,phase:2,deny,status:403,log,auditlog,t:none,t:urlDecodeUni,t:urlDecodeUni,t:jsDecode,t:htmlEntityDecode,t:lowercase,msg:'Virtual patch VP-2021-44228-log4shell (CVE-2021-44228, CVE-2021-45046)',tag:'hds/virtual-patch',tag:'hds/virtual-patch/signature',tag:'EXG_WAF_1',tag:'hds/vp/VP-2021-44228-log4shell',tag:'CVE-2021-44228',tag:'CVE-2021-45046',severity:'CRITICAL',ver:'hds-virtual-patches/1'"`,
    ]);
    expect(text).not.toMatch(/logdata|MATCHED_VAR/);
    expect(text).toContain('# VP-2021-44228-log4shell -- CVE-2021-44228, CVE-2021-45046 -- added 2026-11-30, expires 2027-05-31');
    expect(renderVirtualPatches([log4shell], { routes })).toBe(text); // deterministic
  });

  it('renders detect-only patches as pass, and a justification instead of a CVE', () => {
    const p = resolveVirtualPatch({ ...doc, id: 'VP-trial', cve: [], justification: 'no CVE: trial of a new matcher', action: 'detect' });
    const [rule] = rules(renderVirtualPatches([p], { routes }));
    expect(rule).toContain(`id:${p.ruleId},phase:2,pass,log,auditlog,`);
    expect(rule).not.toContain('deny');
    expect(rule).toContain("msg:'Virtual patch VP-trial (no CVE, see justification) [detect only]'");
    expect(renderVirtualPatches([p], { routes })).toContain('# Why: no CVE: trial of a new matcher');
  });

  it('scopes a patch to declared routes with a chain on METHOD and path', () => {
    const p = resolveVirtualPatch({ ...doc, target: { routes: ['POST /documents'], variables: ['ARGS:json.title'] }, match: { contains: ['Evil'] } });
    const r = rules(renderVirtualPatches([p], { routes }));
    expect(r).toEqual([
      `SecAction "id:19000,phase:1,pass,nolog,t:none,setvar:'tx.hds_vp_route=%{REQUEST_METHOD} %{REQUEST_FILENAME}'"`,
      `SecRule TX:hds_vp_route "@rx ^(?:POST (?:/documents))$" "id:${p.ruleId},phase:2,deny,status:403,log,auditlog,t:none,msg:'Virtual patch VP-2021-44228-log4shell (CVE-2021-44228, CVE-2021-45046)',tag:'hds/virtual-patch',tag:'EXG_WAF_1',tag:'hds/vp/VP-2021-44228-log4shell',tag:'CVE-2021-44228',tag:'CVE-2021-45046',severity:'CRITICAL',ver:'hds-virtual-patches/1',chain"`,
      `    SecRule ARGS:json.title "@rx (?:evil)" "t:none,t:urlDecodeUni,t:lowercase"`,
    ]);
    expect(() => renderVirtualPatches([{ ...p, routes: ['DELETE /documents'] }], { routes })).toThrow(/route "DELETE \/documents" is not a declared route/);
  });

  it('refuses, whoever built the input, what could inject ModSecurity syntax', () => {
    const bad: Array<[Partial<VirtualPatch>, RegExp]> = [
      [{ description: 'x\nSecRuleEngine Off' }, /control character/],
      [{ match: { ...log4shell.match, regex: 'a" "id:1,pass' } }, /double quote/],
      [{ match: { ...log4shell.match, regex: '%{tx.x}' } }, /macro/],
      [{ variables: ['REQUEST_HEADERS', 'TX:x'] }, /variable "TX:x"/],
      [{ match: { ...log4shell.match, transforms: ['exec' as 'lowercase'] } }, /transformation "exec"/],
      [{ cve: ["CVE-2021-44228',pass,'"] }, /not a CVE id/],
      [{ id: "VP-x',pass" }, /not of the form/],
      [{ ruleId: 942100 }, /outside 19100-19999/],
      [{ status: 200 }, /status 200/],
    ];
    for (const [over, why] of bad) expect(() => renderVirtualPatches([{ ...log4shell, ...over }], { routes }), String(why)).toThrow(why);
    expect(() => renderVirtualPatches([log4shell, { ...log4shell, id: 'VP-other' }], { routes })).toThrow(
      /rule id 19157 is already used by VP-2021-44228-log4shell/,
    );
    expect(() => renderVirtualPatches([log4shell, log4shell], { routes })).toThrow(/declared twice/);
  });

  it('every shipped signature renders to well-formed directives (balanced quotes, one line each)', () => {
    const all = Object.keys(VP_SIGNATURES).map((signature, k) => resolveVirtualPatch({ ...doc, id: `VP-sig-${k}`, match: { signature } }));
    const text = renderVirtualPatches(all, { routes });
    for (const line of text.split('\n'))
      expect(line === '' || line.startsWith('# ') || /^SecRule [A-Z_|:.a-zA-Z-]+ "@rx [^"]+" "[^"]+"$/.test(line), line).toBe(true);
  });
});

describe('renderWaf with virtual patches', () => {
  const base: WafRenderInput = {
    name: 'waf-dc1',
    confDir: '/etc/hds/waf',
    runDir: '/run/hds/waf',
    listen: { address: '10.0.0.10', port: 443 },
    tls: { certPath: '/etc/hds/tls/cert.pem', keyPath: '/etc/hds/tls/key.pem' },
    upstreams: [{ address: '10.0.1.10', port: 8080 }],
    routes,
  };
  const file = (input: WafRenderInput, path: string) => renderWaf(input).find((f) => f.path === path)?.content ?? '';

  it('includes virtual-patches.conf after the positive model and before the CRS', () => {
    const main = file(base, WAF_FILES.modsecMain).split('\n');
    const at = (re: RegExp) => main.findIndex((l) => re.test(l));
    expect(at(/^Include .*virtual-patches\.conf$/)).toBeGreaterThan(at(/^Include .*positive-model\.conf$/));
    expect(at(/^Include .*virtual-patches\.conf$/)).toBeLessThan(at(/^Include .*crs-setup\.conf$/));
    expect(at(/^Include .*virtual-patches\.conf$/)).toBeLessThan(at(/^Include .*rules\/\*\.conf$/));
    expect(file(base, WAF_FILES.virtualPatches)).toContain('# No virtual patch declared.');
    expect(file({ ...base, virtualPatches: [log4shell] }, WAF_FILES.virtualPatches)).toContain('id:19157,');
  });
});
