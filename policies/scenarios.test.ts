/**
 * The shipped environments pass with zero unwaived high findings; then one thing changes per rule
 * set in a copy of production (the YAML files, re-expanded by the loader, or the synthesized JSON)
 * and the right rule fails.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import { failing, runPolicies } from './engine.ts';
import { RULES } from './index.ts';
import { environmentInput } from './input.ts';
import { ENVIRONMENTS_DIR, shipped, synthesized, TODAY } from './testing/fixture.ts';
import type { Finding } from './types.ts';
import { parseWaivers } from './waivers.ts';

const waivers = parseWaivers(readFileSync(join(import.meta.dirname, 'waivers.yaml'), 'utf8'), new Set(RULES.map((r) => r.id)));

describe('shipped environments', () => {
  it('the waivers file is valid', () => expect(waivers.errors).toEqual([]));
  it('every environment passes with zero unwaived high (or critical) findings', { timeout: 180_000 }, () => {
    const ev = shipped();
    const names = [...ev.topologies.keys()].sort();
    expect(names).toContain('production');
    const tf = synthesized(names);
    const results = names.map((n) => runPolicies(environmentInput(ev, n, tf, waivers.waivers, TODAY)));
    const bad = failing(results, 'high').map((f) => `${f.target} ${f.rule} ${f.subject}: ${f.message.en}`);
    expect(bad).toEqual([]);
    // Nothing was skipped: every rule saw the inputs it needs.
    expect(results.flatMap((r) => r.results).filter((r) => r.status === 'skipped')).toEqual([]);
  });
});

/** Copy the environments directory, edit one file, load and expand it again. */
function editedCopy(file: string, edit: (text: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'hds-policy-env-'));
  cpSync(ENVIRONMENTS_DIR, dir, { recursive: true });
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
  return evaluate(loadWorkspace(dir));
}

function judge(ev: ReturnType<typeof evaluate>, env = 'production', withTf = false): Finding[] {
  const input = environmentInput(ev, env, withTf ? synthesized([env], ev) : undefined, [], TODAY);
  return runPolicies(input).results.flatMap((r) => r.findings);
}

const rulesOf = (findings: Finding[]) => [...new Set(findings.map((f) => f.rule))].sort();

describe('one change per rule set in a copy of production', () => {
  it('the unchanged copy fails only the known medium/low/waivable rules', () => {
    const ev = editedCopy('production.yaml', (s) => s.replace('Mon Espace Santé', 'Mon Espace Santé (copy)'));
    expect(rulesOf(judge(ev))).toEqual(['GOV-002']);
  });

  it('hosting: DC3 moved to about 80 km from DC1 fails HOST-003', () => {
    const ev = editedCopy('platforms/national.yaml', (s) => s.replace('location: { lat: 43.604, lon: 1.444 }', 'location: { lat: 48.20, lon: 1.45 }'));
    const f = judge(ev).filter((x) => x.rule === 'HOST-003');
    expect(f.map((x) => x.subject)).toContain('DC3-DC1');
    expect(f[0]!.evidence[0]!.pointer).toMatch(/^\/sites\/2\/distancesKm\/DC1$/);
  });

  it('hosting: a non-production chain sharing the production bridge fails HOST-008', () => {
    const ev = editedCopy('platforms/national.yaml', (s) => s.replace('bastion: bastion-dc1-hp, bridge: zhprod', 'bastion: bastion-dc1-hp, bridge: zprod'));
    expect(judge(ev).some((x) => x.rule === 'HOST-008' && x.subject.startsWith('DC1'))).toBe(true);
  });

  it('continuity: a standby put in its primary’s site fails CONT-002', () => {
    const ev = editedCopy('production.yaml', (s) =>
      s.replace('{ name: documents, primarySite: DC2, standbySite: DC1 }', '{ name: documents, primarySite: DC2, standbySite: DC2 }'),
    );
    expect(
      judge(ev)
        .filter((x) => x.rule === 'CONT-002')
        .map((x) => x.subject),
    ).toEqual(['pg-documents']);
  });

  it('network: an undeclared port opened in the synthesized JSON fails NET-002 (and NET-004 on the Internet side)', { timeout: 120_000 }, () => {
    const ev = shipped();
    const input = structuredClone(environmentInput(ev, 'production', synthesized(['production']), [], TODAY));
    const groups = input.terraform!.stacks.get('production-dc1-security')!.resource!.proxmox_virtual_environment_cluster_firewall_security_group!;
    const waf = Object.values(groups).find((b) => String(b.name).endsWith('waf-node'))!;
    (waf.rule as unknown[]).push({
      action: 'ACCEPT',
      type: 'in',
      proto: 'tcp',
      dport: '8080',
      source: '0.0.0.0/0',
      comment: 'temporary debug',
      enabled: true,
      iface: 'net0',
    });
    const findings = runPolicies(input).results.flatMap((r) => r.findings);
    expect(rulesOf(findings)).toEqual(expect.arrayContaining(['NET-002', 'NET-004']));
    expect(findings.find((f) => f.rule === 'NET-002')!.evidence[0]!.file).toBe('stacks/production-dc1-security/cdk.tf.json');
  });

  it('crypto: the documents key domain removed from the HSM fails CRYPTO-004', () => {
    const ev = editedCopy('production.yaml', (s) => s.replace('keyDomains: [accounts, documents, consents', 'keyDomains: [accounts, consents'));
    expect(
      judge(ev)
        .filter((x) => x.rule === 'CRYPTO-004')
        .map((x) => x.subject),
    ).toEqual(['documents']);
  });

  it('environments: recette fed with production data fails ENV-003', () => {
    const ev = editedCopy('recette.yaml', (s) => s.replace(/dataSource: \w+/, 'dataSource: production'));
    expect(judge(ev, 'recette').some((x) => x.rule === 'ENV-003')).toBe(true);
  });

  it('supervision: monitoring only in DC1 fails MON-001 for DC2', () => {
    const ev = editedCopy('production.yaml', (s) => s.replace(/monitoring:\n {4}sites: \[DC1, DC2\]/, 'monitoring:\n    sites: [DC1]'));
    expect(
      judge(ev)
        .filter((x) => x.rule === 'MON-001')
        .map((x) => x.subject),
    ).toEqual(['monitoring-DC2']);
  });
});

describe('waivers', () => {
  it('an active waiver waives, an expired one does not and is a finding itself', () => {
    const ev = shipped();
    const base = { id: 'W-T', rule: 'GOV-002', scope: { environment: 'production' }, justification: 'vendor support', owner: 'DSI' };
    const active = runPolicies(environmentInput(ev, 'production', undefined, [{ ...base, expires: '2027-01-01' }], TODAY));
    expect(active.results.find((r) => r.rule === 'GOV-002')!.status).toBe('waived');
    expect(active.results.find((r) => r.rule === 'GOV-001')!.status).toBe('pass');
    const expired = runPolicies(environmentInput(ev, 'production', undefined, [{ ...base, expires: '2026-11-22' }], TODAY));
    expect(expired.results.find((r) => r.rule === 'GOV-002')!.status).toBe('fail');
    expect(expired.results.find((r) => r.rule === 'GOV-001')!.findings.map((f) => f.subject)).toEqual(['W-T']);
  });
  it('rejects incomplete waivers and unknown rules', () => {
    const r = parseWaivers(
      'waivers:\n  - { id: X, rule: NOPE-1, scope: { environment: "*" }, owner: a, expires: 2027-01-01 }\n',
      new Set(RULES.map((x) => x.id)),
    );
    expect(r.waivers).toEqual([]);
    expect(r.errors).toEqual(['/waivers/0: unknown rule NOPE-1', '/waivers/0: justification is required']);
  });
  it('without a topology (--tf alone) the model rules are skipped, the Terraform ones run', { timeout: 120_000 }, () => {
    const r = runPolicies({ target: 'cdktf.out', peers: [], terraform: synthesized(['production']), waivers: [], today: TODAY });
    expect(r.results.find((x) => x.rule === 'NET-001')!.status).toBe('pass');
    expect(r.results.find((x) => x.rule === 'HOST-003')!.status).toBe('skipped');
  });
});
