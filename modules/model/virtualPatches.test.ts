import { describe, expect, it } from 'vitest';
import * as C from './virtualPatches.corpus.ts';
import {
  checkVirtualPatches,
  derivedRuleId,
  regexProblem,
  resolveVirtualPatch,
  resolveVirtualPatches,
  VP_SIGNATURES,
  type VirtualPatchDoc,
  type VpSignatureName,
} from './virtualPatches.ts';

const base: VirtualPatchDoc = {
  id: 'VP-2099-0001-demo',
  cve: ['CVE-2099-0001'],
  description: 'demo patch',
  target: { variables: ['REQUEST_HEADERS', 'ARGS'] },
  match: { regex: 'evil\\.example' },
  added: '2026-11-30',
  expires: '2027-05-31',
};
const one = (over: Partial<VirtualPatchDoc>) => checkVirtualPatches([{ ...base, ...over }]);
const codes = (over: Partial<VirtualPatchDoc>) => one(over).map((p) => `${p.code} ${p.path.join('/')}`);

// ModSecurity's transformations, close enough to check the signatures in JavaScript (the
// integration test checks them in real ModSecurity).
const TF: Record<string, (s: string) => string> = {
  urlDecodeUni: (s) =>
    s
      .replace(/%u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\+/g, ' '),
  jsDecode: (s) =>
    s
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\\x([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))),
  htmlEntityDecode: (s) =>
    s
      .replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/&#(\d+);?/g, (_, d) => String.fromCharCode(Number(d)))
      .replace(/&amp;/g, '&'),
  lowercase: (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()),
};
const hits = (name: VpSignatureName, value: string) => {
  const s = VP_SIGNATURES[name];
  return new RegExp(s.regex).test(s.transforms.reduce((v, t) => TF[t]!(v), value));
};

describe('virtual patch signatures', () => {
  it.each([
    ['log4shell', C.LOG4SHELL_VARIANTS],
    ['ssrf-metadata', C.SSRF_VARIANTS],
    ['template-injection', C.TEMPLATE_VARIANTS],
  ] as const)('%s matches every listed variant', (name, variants) => {
    expect(variants.filter((v) => !hits(name, v))).toEqual([]);
  });
  it('match no legitimate clinical note, FHIR resource or browser header', () => {
    const legit = [...C.CLINICAL_NOTES, JSON.stringify(C.FHIR_OBSERVATION), ...C.NORMAL_HEADERS.flatMap((h) => Object.values(h))];
    for (const name of Object.keys(VP_SIGNATURES) as VpSignatureName[]) expect(legit.filter((v) => hits(name, v)).map((v) => `${name}: ${v}`)).toEqual([]);
  });
  it('are valid patch regexes themselves', () => {
    for (const s of Object.values(VP_SIGNATURES)) expect(regexProblem(s.regex, (s.transforms as readonly string[]).includes('lowercase'))).toBeUndefined();
  });
});

describe('checkVirtualPatches', () => {
  it('accepts a well-formed patch, and each shipped signature', () => {
    expect(one({})).toEqual([]);
    for (const signature of Object.keys(VP_SIGNATURES)) expect(one({ match: { signature } })).toEqual([]);
    expect(one({ cve: [], justification: 'no CVE: SSRF through alternate encodings' })).toEqual([]);
    expect(one({ match: { contains: ['class.module.classLoader', 'a "quoted" phrase'] } })).toEqual([]);
    expect(one({ target: { routes: ['POST /documents'], variables: ['REQUEST_HEADERS:User-Agent', 'ARGS:json.title'] } })).toEqual([]);
  });

  it('refuses regexes that would break or change the ModSecurity rule', () => {
    const cases: Array<[string, RegExp]> = [
      ['(unclosed', /does not compile/],
      ['evil"quote', /double quote.*\\x22/],
      ['evil\nnewline', /control character/],
      ['%{tx.x}', /macro/],
      ['abc\\', /ends with a backslash/],
      ['\\u0024', /escape \\u/],
      ['(a)\\1', /escape \\1/],
      ['(?i)jndi', /inline flags/],
      ['(?<=a+)b', /lookbehind of variable length/],
      ['[]', /empty character class/],
      ['[[:alpha:]]', /POSIX/],
      ['JNDI', /lower-cased/],
      ['a*', /empty string/],
      ['', /empty/],
    ];
    for (const [regex, why] of cases) {
      const problems = one({ match: { regex } });
      expect(
        problems.map((p) => p.code),
        regex,
      ).toEqual(['E_VPATCH_REGEX']);
      expect(`${problems[0]!.message} (${problems[0]!.hint})`, regex).toMatch(why);
      expect(problems[0]!.path).toEqual([0, 'match', 'regex']);
    }
    expect(one({ match: { regex: '\\x41bc', transforms: ['urlDecodeUni'] } })).toEqual([]);
    expect(one({ match: { regex: '(?<![\\w.])evil' } })).toEqual([]);
  });

  it('refuses injected quotes or newlines in text, unknown variables, transforms and signatures', () => {
    expect(codes({ description: 'line one\nSecRuleEngine Off' })).toEqual(['E_VPATCH_TEXT 0/description']);
    expect(codes({ description: 'trailing \\' })).toEqual(['E_VPATCH_TEXT 0/description']);
    expect(codes({ cve: [], justification: 'x\r\ny' })).toEqual(['E_VPATCH_TEXT 0/justification']);
    expect(codes({ target: { variables: ['REQUEST_HEADERS', 'TX'] } })).toEqual(['E_VPATCH_VARIABLE 0/target/variables/1']);
    expect(codes({ target: { variables: ['ARGS:json"x'] } })).toEqual(['E_VPATCH_VARIABLE 0/target/variables/0']);
    expect(codes({ target: { variables: ['REQUEST_URI:x'] } })).toEqual(['E_VPATCH_VARIABLE 0/target/variables/0']);
    expect(codes({ target: { variables: [] } })).toEqual(['E_VPATCH_VARIABLE 0/target/variables']);
    expect(codes({ match: { regex: 'x', transforms: ['exec'] } })).toEqual(['E_VPATCH_TRANSFORM 0/match/transforms/0']);
    expect(codes({ match: { signature: 'nope' } })).toEqual(['E_VPATCH_MATCH 0/match/signature']);
    expect(codes({ match: { signature: 'log4shell', regex: 'x' } })).toEqual(['E_VPATCH_MATCH 0/match']);
    expect(codes({ match: {} })).toEqual(['E_VPATCH_MATCH 0/match']);
    expect(codes({ match: { contains: ['a\nb'] } })).toEqual(['E_VPATCH_MATCH 0/match/contains/0']);
    expect(codes({ target: { routes: ['/documents'], variables: ['ARGS'] } })).toEqual(['E_VPATCH_ROUTE 0/target/routes/0']);
    expect(codes({ target: { routes: 'some' as 'all', variables: ['ARGS'] } })).toEqual(['E_VPATCH_ROUTE 0/target/routes']);
  });

  it('refuses bad ids, CVEs and dates, duplicates and a patch without a reason', () => {
    expect(codes({ id: 'log4shell' })).toEqual(['E_VPATCH_ID 0/id']);
    expect(codes({ cve: ['CVE-21-1'] })).toEqual(['E_VPATCH_CVE 0/cve/0']);
    expect(codes({ cve: [] })).toEqual(['E_VPATCH_REASON 0']);
    expect(codes({ expires: '31/05/2027' })).toEqual(['E_VPATCH_DATE 0/expires']);
    expect(one({ expires: '2027-02-30' })[0]!.message).toBe('expires "2027-02-30" is not a calendar date (no such month or day)');
    expect(codes({ expires: '2026-11-30' })).toEqual(['E_VPATCH_DATE 0/expires']);
    expect(codes({ status: 500 })).toEqual(['E_VPATCH_ACTION 0/status']);
    const dup = checkVirtualPatches([base, { ...base, ruleId: 19100 }]);
    expect(dup.map((p) => `${p.code} ${p.path.join('/')}`)).toEqual(['E_DUPLICATE 1/id']);
  });

  it('derives a stable rule id per patch and refuses a collision, suggesting a free id', () => {
    expect(derivedRuleId('VP-2021-44228-log4shell')).toBe(19157);
    expect(derivedRuleId('VP-ssrf-metadata')).toBe(19450);
    // VP-test-5 and VP-test-58 hash to the same id (19956).
    const clash = checkVirtualPatches([
      { ...base, id: 'VP-test-5' },
      { ...base, id: 'VP-test-58' },
    ]);
    expect(clash).toHaveLength(1);
    expect(clash[0]).toMatchObject({
      code: 'E_VPATCH_RULE_ID',
      path: [1, 'id'],
      message: 'patch VP-test-58 gets rule id 19956, already used by VP-test-5',
      hint: 'rename the patch, or set ruleId: 19100 (a free id)',
    });
    expect(
      checkVirtualPatches([
        { ...base, id: 'VP-test-5' },
        { ...base, id: 'VP-test-58', ruleId: 19100 },
      ]),
    ).toEqual([]);
    expect(codes({ ruleId: 18000 })).toEqual(['E_VPATCH_RULE_ID 0/ruleId']);
  });

  it('resolves defaults and phrases into one regex; invalid patches are left out', () => {
    const r = resolveVirtualPatch({ ...base, match: { contains: ['Class.Module', 'a/b'] } });
    expect(r).toMatchObject({
      routes: 'all',
      action: 'deny',
      status: 403,
      ruleId: derivedRuleId(base.id),
      match: { kind: 'contains', regex: '(?:class\\.module|a\\/b)', transforms: ['urlDecodeUni', 'lowercase'] },
    });
    expect(resolveVirtualPatch({ ...base, match: { signature: 'log4shell' } }).match.transforms).toEqual(VP_SIGNATURES.log4shell.transforms);
    expect(resolveVirtualPatches([base, { ...base, id: 'VP-bad', match: { regex: '(' } }]).map((p) => p.id)).toEqual([base.id]);
  });
});
