/** Cloud-init user-data: rendered files as base64 write_files, secrets only as placeholders. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluate, loadWorkspace } from '../../loader/load.ts';
import { DEFAULT_OPTIONS } from '../plan/options.ts';
import { defaultConfigFor } from './defaultConfig.ts';
import { secretRef } from '../../services/secrets.ts';
import { findInlineSecrets } from './secrets.ts';
import { buildUserData } from './userData.ts';

const t = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments'))).topologies.get('production')!;
const guest = t.guests.find((g) => g.role === 'primary')!;

describe('buildUserData', () => {
  it('writes every file of configFor, base64 with its permissions, and enables the guest agent and the serial console', () => {
    const text = buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor: defaultConfigFor });
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text);
    expect(doc.hostname).toBe(guest.name);
    expect(doc.ssh_pwauth).toBe(false);
    const paths = doc.write_files.map((f: { path: string }) => f.path);
    const base = ['/etc/hds/role.json', '/etc/chrony/conf.d/hds.conf', '/etc/sysctl.d/60-hds-hardening.conf', '/etc/default/prometheus-node-exporter'];
    // A PostgreSQL data node: the default set also encrypts its data disk (dataVolume.test.ts), whose key placeholder hds-secrets resolves.
    expect(paths.slice(0, 4)).toEqual(base);
    expect(paths).toEqual(expect.arrayContaining(['/etc/crypttab', '/usr/local/sbin/hds-data-volume', '/etc/hds/secrets.list', '/usr/local/sbin/hds-secrets']));
    const haproxy = t.guests.find((g) => g.role === 'haproxy')!;
    const plain = parse(buildUserData({ topology: t, guest: haproxy, options: DEFAULT_OPTIONS, configFor: defaultConfigFor }));
    expect(plain.write_files.map((f: { path: string }) => f.path)).toEqual(base);
    const role = JSON.parse(Buffer.from(doc.write_files[0].content, 'base64').toString());
    expect(role).toMatchObject({ environment: 'production', service: 'postgresql', role: 'primary', domain: guest.domain });
    expect(doc.runcmd[0]).toEqual(['systemctl', 'enable', '--now', 'qemu-guest-agent', 'serial-getty@ttyS0.service']);
    expect(buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor: defaultConfigFor })).toBe(text);
  });

  it('puts relative paths under /etc/hds/<service>/ and lists the files with secret placeholders for hds-secrets, 0600', () => {
    const configFor = () => [
      { path: 'patroni/patroni.yml', content: `superuser:\n  password: ${secretRef('production/pg-accounts/superuser', 'password')}\n`, mode: 0o600 },
    ];
    const doc = parse(buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor }));
    const byPath = new Map(doc.write_files.map((f: { path: string }) => [f.path, f]));
    expect(byPath.get('/etc/hds/postgresql/patroni/patroni.yml')).toMatchObject({ permissions: '0600', encoding: 'b64' });
    const list = Buffer.from((byPath.get('/etc/hds/secrets.list') as { content: string }).content, 'base64').toString();
    expect(list).toBe('/etc/hds/postgresql/patroni/patroni.yml\n');
    expect(byPath.get('/usr/local/sbin/hds-secrets')).toMatchObject({ permissions: '0700' });
    expect(doc.runcmd).toContainEqual(['/usr/local/sbin/hds-secrets']);
  });

  it('refuses a rendered file holding an inline secret, or escaping its root', () => {
    const leak = () => [{ path: 'patroni.yml', content: 'superuser:\n  password: hunter2-prod\n' }];
    expect(() => buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor: leak })).toThrow(/inline secret \(literal password/);
    const key = () => [{ path: 'tls/key.pem', content: '-----BEGIN PRIVATE KEY-----\nMIIE\n' }];
    expect(() => buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor: key })).toThrow(/private key/);
    const outside = () => [{ path: '../../etc/shadow', content: 'x' }];
    expect(() => buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor: outside })).toThrow(/escapes its root/);
  });
});

describe('findInlineSecrets', () => {
  it('flags literals and lets placeholders, variables and shell expansions through', () => {
    expect(findInlineSecrets('password: s3cretvalue')).toHaveLength(1);
    expect(findInlineSecrets('conn: postgres://app:pw123@db/x')).toHaveLength(1);
    expect(findInlineSecrets('api_token = "root@pam!ci=0b3c2d1e-1111-2222-3333-444455556666"').length).toBeGreaterThan(0);
    expect(findInlineSecrets(`password: ${secretRef('a/b', 'c')}`)).toEqual([]);
    expect(findInlineSecrets(`"password": "${['$', '{var.pbs_password}'].join('')}"`)).toEqual([]);
    expect(findInlineSecrets('TOKEN=$(jq -r .auth.client_token)')).toEqual([]);
    expect(findInlineSecrets('password:')).toEqual([]);
    expect(findInlineSecrets('initial-cluster-token: production-pg-dcs')).toEqual([]);
    expect(findInlineSecrets('cluster-token: s3cretvalue')).toHaveLength(1);
  });
});

describe('the backup schedule at first boot (issue 14)', () => {
  it('the repository host loads and enables every hds timer after its data volume is mounted; other guests enable none', async () => {
    const { repositoryGuest } = await import('../../model/roles.ts');
    const { guestFiles } = await import('../../services/fromTopology/index.ts');
    const { PRODUCTION } = await import('../../services/fromTopology/profile.ts');
    // As the stacks compose it (stacks/serviceConfig.ts): the default set, then the services' files.
    const configFor = (tt: typeof t, g: typeof guest) => [...defaultConfigFor(tt, g), ...guestFiles(tt, g, PRODUCTION)];
    const repo = repositoryGuest(t)!;
    const doc = parse(buildUserData({ topology: t, guest: repo, options: DEFAULT_OPTIONS, configFor }));
    const timers = doc.write_files
      .map((f: { path: string }) => f.path)
      .filter((p: string) => p.startsWith('/etc/systemd/system/hds-') && p.endsWith('.timer'))
      .map((p: string) => p.slice('/etc/systemd/system/'.length))
      .sort();
    expect(timers.length).toBeGreaterThan(3);
    const cmds: string[][] = doc.runcmd;
    const enable = cmds.findIndex((c) => c[0] === 'systemctl' && c[1] === 'enable' && c.slice(3).some((x) => x.endsWith('.timer')));
    expect(cmds[enable]).toEqual(['systemctl', 'enable', '--now', ...timers]);
    expect(cmds[enable - 1]).toEqual(['systemctl', 'daemon-reload']);
    expect(enable).toBeGreaterThan(cmds.findIndex((c) => c[0] === '/usr/local/sbin/hds-data-volume'));
    const other = parse(buildUserData({ topology: t, guest, options: DEFAULT_OPTIONS, configFor }));
    expect((other.runcmd as string[][]).some((c) => c.some((x) => x.endsWith('.timer')))).toBe(false);
  });
});
