/**
 * CRYPTO-002 (AES-256 at rest of health-data volumes) on production as synthesized: it passes, no
 * waiver is left for it, and each thing that matters, taken away alone, fails it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPolicies, runRule } from './engine.ts';
import { ofType } from './evidence/terraform.ts';
import { RULES } from './index.ts';
import { environmentInput } from './input.ts';
import { cryptoInventory, cryptsetupCalls, dataVolumesEncrypted, editUserData } from './rules/crypto.ts';
import { productionInput, shipped, synthesized, TODAY } from './testing/fixture.ts';
import type { PolicyInput } from './types.ts';
import { parseWaivers } from './waivers.ts';

const messages = (i: PolicyInput) => runRule(dataVolumesEncrypted, i).findings.map((f) => `${f.subject} ${f.message.en}`);
const guest = (i: PolicyInput, service: string, role?: string) => i.topology!.guests.find((g) => g.service === service && (!role || g.role === role))!.name;

describe('CRYPTO-002 on production', () => {
  it('passes as synthesized, for every data holder (PostgreSQL data nodes, Kafka brokers, backup servers)', () => {
    const i = productionInput();
    const r = runRule(dataVolumesEncrypted, i);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('is no longer waived: hdsctl policy --env production shows it passing, with no waived finding', () => {
    const waivers = parseWaivers(readFileSync(join(import.meta.dirname, 'waivers.yaml'), 'utf8'), new Set(RULES.map((x) => x.id)));
    expect(waivers.waivers.filter((w) => w.rule === 'CRYPTO-002')).toEqual([]);
    const res = runPolicies(environmentInput(shipped(), 'production', synthesized(['production']), waivers.waivers, TODAY));
    const r = res.results.find((x) => x.rule === 'CRYPTO-002')!;
    expect(r.status).toBe('pass');
    expect(r.findings).toEqual([]);
  });

  it('fails when the format uses a 256-bit XTS key (AES-128)', () => {
    const i = productionInput();
    const pg = guest(i, 'postgresql', 'primary');
    editUserData(i, pg, (files) => files.map((f) => ({ ...f, content: f.content.replace('--key-size 512', '--key-size 256') })));
    expect(messages(i)).toEqual([expect.stringMatching(new RegExp(`^${pg} .*luksFormat without --key-size 512 \\(256\\)`))]);
  });

  it('fails on another cipher or LUKS1', () => {
    const i = productionInput();
    const kafka = guest(i, 'kafka');
    editUserData(i, kafka, (files) =>
      files.map((f) => ({ ...f, content: f.content.replace('--type luks2 --cipher aes-xts-plain64', '--type luks1 --cipher aes-cbc-essiv:sha256') })),
    );
    expect(messages(i)).toEqual([expect.stringMatching(/--type luks2 \(luks1\), --cipher aes-xts-plain64 \(aes-cbc-essiv:sha256\)/)]);
  });

  it('fails without /etc/crypttab, or without luksFormat', () => {
    const i = productionInput();
    const backup = guest(i, 'backup');
    const pg = guest(i, 'postgresql', 'standby');
    editUserData(i, backup, (files) => files.filter((f) => f.path !== '/etc/crypttab'));
    editUserData(i, pg, (files) => files.filter((f) => f.path !== '/usr/local/sbin/hds-data-volume'));
    const m = messages(i);
    expect(m).toHaveLength(2);
    expect(m).toContain(`${backup} ${backup}: no LUKS volume in /etc/crypttab (volume encryption not rendered).`);
    expect(m).toContainEqual(expect.stringMatching(new RegExp(`^${pg} .*no cryptsetup luksFormat command`)));
  });

  it('fails on an inline key instead of the secret-store placeholder', () => {
    const i = productionInput();
    const pg = guest(i, 'postgresql', 'primary');
    editUserData(i, pg, (files) => files.map((f) => (f.path === '/run/hds/luks/hdsdata.key' ? { ...f, content: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA' } : f)));
    const m = messages(i);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/is not a @@secret:production\/.*\/luks#key@@ reference to the secret store, on tmpfs, 0600/);
    expect(runRule(dataVolumesEncrypted, i).findings[0]!.evidence[0]!.value).toBe('(inline value)');
  });

  it('fails when the format is not guarded by isLuks (a rerun would wipe the volume)', () => {
    const i = productionInput();
    const pg = guest(i, 'postgresql', 'primary');
    editUserData(i, pg, (files) => files.map((f) => ({ ...f, content: f.content.replace(/^.*cryptsetup isLuks.*$/m, '') })));
    expect(messages(i)).toEqual([expect.stringMatching(/cryptsetup isLuks \/dev\/disk\/by-id\/\S+ \(absent\)/)]);
  });

  it('fails when the VM has no separate data disk (the crypttab device would not exist)', () => {
    const i = productionInput();
    const pg = guest(i, 'postgresql', 'primary');
    const vm = ofType(i.terraform!, 'proxmox_virtual_environment_vm').find((v) => v.body.name === pg)!;
    vm.body.disk = (vm.body.disk as unknown[]).slice(0, 1);
    expect(messages(i)).toEqual([expect.stringMatching(new RegExp(`^${pg} .*is not a separate data disk declared on the VM`))]);
  });

  it('lists AES-256-XTS in the post-quantum cartography', () => {
    const uses = cryptoInventory(productionInput()).filter((u) => u.usage.startsWith('data volume encryption'));
    expect(uses.map((u) => u.algorithm)).toEqual(['AES-256-XTS']);
  });
});

describe('cryptsetupCalls', () => {
  it('reads long, short and = options, continuation lines, and guards', () => {
    const calls = cryptsetupCalls(
      [
        '# cryptsetup luksFormat --key-size 128 /dev/commented',
        'if ! cryptsetup isLuks "/dev/x"; then',
        '  cryptsetup luksFormat --type=luks2 -c aes-xts-plain64 \\',
        '    -s 512 --batch-mode -d /run/k /dev/x',
        'fi',
      ].join('\n'),
    );
    expect(calls.map((c) => c.action)).toEqual(['isLuks', 'luksFormat']);
    expect(calls[0]!.args).toEqual(['/dev/x']);
    const f = calls[1]!;
    expect(Object.fromEntries(f.options)).toEqual({
      '--type': 'luks2',
      '--cipher': 'aes-xts-plain64',
      '--key-size': '512',
      '--batch-mode': true,
      '--key-file': '/run/k',
    });
    expect(f.args).toEqual(['/dev/x']);
  });
});
