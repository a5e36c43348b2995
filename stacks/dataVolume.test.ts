/** Encryption at rest of data holders' data disks, decoded from the user-data the stacks upload (EXG_SEC_4.2, CRYPTO-002). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import type { Guest, Topology } from '../modules/model/topology.ts';
import { dataVolumeFiles, dataVolumeOf, mountUnitName } from '../modules/proxmox/cloudinit/dataVolume.ts';
import { findInlineSecrets } from '../modules/proxmox/cloudinit/secrets.ts';
import { buildUserData } from '../modules/proxmox/cloudinit/userData.ts';
import { computePlan, holdsData, SYSTEM_DISK_GIB } from '../modules/proxmox/plan/compute.ts';
import { DEFAULT_OPTIONS } from '../modules/proxmox/plan/options.ts';
import { secretRef } from '../modules/services/secrets.ts';
import { configFor } from './serviceConfig.ts';

const ev = evaluate(loadWorkspace(join(import.meta.dirname, '..', 'environments')));
const prod = ev.topologies.get('production')!;

interface Decoded {
  files: Map<string, { content: string; permissions: string }>;
  runcmd: string[][];
  packages: string[];
}

/** The production user-data of a guest, as compute stacks upload it, decoded. */
function decode(t: Topology, g: Guest): Decoded {
  const doc = parse(buildUserData({ topology: t, guest: g, options: DEFAULT_OPTIONS, configFor }));
  return {
    files: new Map(
      (doc.write_files as Array<{ path: string; content: string; permissions: string }>).map((f) => [
        f.path,
        { content: Buffer.from(f.content, 'base64').toString('utf8'), permissions: f.permissions },
      ]),
    ),
    runcmd: doc.runcmd,
    packages: doc.packages,
  };
}

const pg = prod.guests.find((g) => g.service === 'postgresql' && g.role === 'primary')!;
const DEVICE = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_hds-data';
const KEY = '/run/hds/luks/hdsdata.key';

describe('data volume of a production PostgreSQL data node', () => {
  const u = decode(prod, pg);
  const file = (p: string) => {
    const f = u.files.get(p);
    expect(f, p).toBeDefined();
    return f!;
  };
  const script = () => file('/usr/local/sbin/hds-data-volume').content;

  it('/etc/crypttab: LUKS on the data disk by its stable id, key file on tmpfs, unlocked after the network, pulled by the mount', () => {
    const lines = file('/etc/crypttab')
      .content.split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([`hdsdata ${DEVICE} ${KEY} luks,_netdev,noauto,headless=true,tries=1`]);
  });

  it('the key is only the per-VM placeholder, resolved at first boot into a 0600 file under /run', () => {
    const key = file(KEY);
    expect(key.content).toBe(secretRef(`production/${pg.name}/luks`, 'key'));
    expect(key.permissions).toBe('0600');
    expect(file('/etc/hds/secrets.list').content.split('\n')).toContain(KEY);
    // Later boots: the script writes the same placeholder again and has hds-secrets resolve it.
    expect(script()).toContain(`KEY_REF='production/${pg.name}/luks#key'`);
    expect(script()).toContain(`printf '@@secret:%s@@' "$KEY_REF" > "$KEY"`);
    expect(script()).toContain('/usr/local/sbin/hds-secrets "$KEY.list"');
    expect(file('/usr/local/sbin/hds-secrets').content).toMatch(/^LIST=\$\{1:-\/etc\/hds\/secrets\.list\}$/m);
    // No trailing newline added on resolution: the key file is byte-identical at every boot.
    expect(file('/usr/local/sbin/hds-secrets').content).toContain('jq -Rjs --arg ref');
  });

  it('luksFormat: LUKS2, AES-256-XTS (512-bit key), argon2id, key file from the store, on the data disk', () => {
    const line = script()
      .split('\n')
      .find((l) => l.includes('cryptsetup luksFormat'))!;
    expect(line.trim()).toBe(
      `cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 --hash sha512 --pbkdf argon2id --sector-size 4096 --label hds-data --key-file ${KEY} ${DEVICE}`,
    );
  });

  it('idempotent: formats only a disk that is not LUKS yet and blank, creates the filesystem only on an empty volume', () => {
    const s = script();
    const guard = s.indexOf(`if cryptsetup isLuks ${DEVICE}; then return 0; fi`);
    const blank = s.indexOf('[ "$rc" -eq 2 ] || {', guard);
    const format = s.indexOf('cryptsetup luksFormat');
    expect(guard).toBeGreaterThan(0);
    expect(blank).toBeGreaterThan(guard);
    expect(format).toBeGreaterThan(blank);
    expect(s).toMatch(
      /rc=0; blkid -p "\$MAPPER" >\/dev\/null 2>&1 \|\| rc=\$\?\n {2}case "\$rc" in\n {4}0\) ;;\n {4}2\) mkfs\.xfs -K -L hds-data "\$MAPPER" ;;/,
    );
    expect(s).toContain("MOUNTPOINT='/var/lib/postgresql'");
  });

  it('mount ordering: service -> mount -> systemd-cryptsetup@hdsdata -> hds-data-volume (key, format)', () => {
    const mount = file('/etc/systemd/system/var-lib-postgresql.mount').content;
    expect(mount).toContain('Requires=systemd-cryptsetup@hdsdata.service\n');
    expect(mount).toContain('After=systemd-cryptsetup@hdsdata.service network-online.target\n');
    expect(mount).toContain('What=/dev/mapper/hdsdata\nWhere=/var/lib/postgresql\nType=xfs\n');
    const crypt = file('/etc/systemd/system/systemd-cryptsetup@hdsdata.service.d/hds-data-volume.conf').content;
    expect(crypt).toContain('Requires=hds-data-volume.service\nAfter=hds-data-volume.service\n');
    expect(crypt).toContain(`ExecStartPost=-/bin/rm -f ${KEY}`);
    const prepare = file('/etc/systemd/system/hds-data-volume.service').content;
    expect(prepare).toContain('After=network-online.target\nBefore=systemd-cryptsetup@hdsdata.service\n');
    expect(prepare).toContain('ExecStart=/usr/local/sbin/hds-data-volume prepare');
    for (const unit of ['patroni.service', 'postgresql@.service'])
      expect(file(`/etc/systemd/system/${unit}.d/hds-data-volume.conf`).content).toContain('RequiresMountsFor=/var/lib/postgresql\n');
  });

  it('first boot: runcmd resolves the secrets, then brings the volume up, before anything else starts; packages', () => {
    const at = (c: string) => u.runcmd.findIndex((x) => x[0] === c);
    expect(at('/usr/local/sbin/hds-secrets')).toBeGreaterThan(0);
    expect(at('/usr/local/sbin/hds-data-volume')).toBe(at('/usr/local/sbin/hds-secrets') + 1);
    expect(u.runcmd.at(-1)).toEqual(['systemctl', 'restart', 'chrony', 'prometheus-node-exporter']);
    expect(u.packages).toEqual(expect.arrayContaining(['cryptsetup', 'xfsprogs']));
    expect(file('/usr/local/sbin/hds-data-volume').permissions).toBe('0700');
  });

  it('the rendered shell scripts parse (sh -n)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-data-volume-'));
    for (const p of ['/usr/local/sbin/hds-data-volume', '/usr/local/sbin/hds-secrets']) {
      const f = join(dir, p.split('/').at(-1)!);
      writeFileSync(f, file(p).content);
      expect(() => execFileSync('sh', ['-n', f])).not.toThrow();
    }
  });
});

describe('which guests, where', () => {
  it('every data holder of every environment, and only they, get the volume, at its service data path', () => {
    const want: Record<string, string> = { postgresql: '/var/lib/postgresql', kafka: '/var/lib/kafka', backup: '/var/lib/pgbackrest' };
    for (const [env, t] of ev.topologies) {
      for (const g of t.guests.filter((x) => x.hosting === 'vm')) {
        const v = dataVolumeOf(t, g);
        expect(Boolean(v), `${env} ${g.name}`).toBe(holdsData(g));
        if (!v) {
          expect(dataVolumeFiles(t, g)).toEqual([]);
          continue;
        }
        expect(v.mountPoint, g.name).toBe(want[g.service]);
        expect(v.keyRef).toEqual({ path: `${env}/${g.name}/luks`, field: 'key' });
        expect(dataVolumeFiles(t, g).map((f) => f.path)).toContain(`/etc/systemd/system/${mountUnitName(v.mountPoint)}`);
      }
    }
    const services = new Set(prod.guests.filter((g) => g.hosting === 'vm' && holdsData(g)).map((g) => `${g.service}/${g.role}`));
    expect([...services].sort()).toEqual(['backup/server', 'kafka/broker', 'postgresql/primary', 'postgresql/standby']);
  });

  it('Kafka brokers and backup servers mount theirs on their own path, ordered before their service', () => {
    const kafka = decode(prod, prod.guests.find((g) => g.service === 'kafka')!);
    expect(kafka.files.get('/etc/systemd/system/var-lib-kafka.mount')!.content).toContain('Where=/var/lib/kafka\n');
    expect(kafka.files.get('/etc/systemd/system/kafka.service.d/hds-data-volume.conf')!.content).toContain('RequiresMountsFor=/var/lib/kafka');
    const backup = decode(prod, prod.guests.find((g) => g.service === 'backup')!);
    expect(backup.files.get('/etc/systemd/system/var-lib-pgbackrest.mount')!.content).toContain('Where=/var/lib/pgbackrest\n');
  });

  it('the compute plan gives data holders a separate data disk (scsi1, serial hds-data): system + data = the model’s disk', () => {
    for (const site of ['DC1', 'DC2', 'DC3']) {
      for (const v of computePlan(prod, site, DEFAULT_OPTIONS)) {
        if (!v.holdsData) {
          expect(v.dataDisk, v.name).toBeUndefined();
          expect(v.systemDiskGiB).toBe(v.diskGiB);
          continue;
        }
        expect(v.dataDisk).toEqual({ interface: 'scsi1', sizeGiB: v.diskGiB - SYSTEM_DISK_GIB, serial: 'hds-data' });
        expect(v.systemDiskGiB).toBe(SYSTEM_DISK_GIB);
      }
    }
  });

  it('the secret scanner stays green: no decoded file of any guest of any environment holds an inline secret', () => {
    for (const [, t] of ev.topologies)
      for (const g of t.guests.filter((x) => x.hosting === 'vm' && x.service !== 'openshift'))
        for (const [path, f] of decode(t, g).files) expect(findInlineSecrets(f.content), `${g.name} ${path}`).toEqual([]);
  });
});
