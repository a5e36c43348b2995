/**
 * Encryption at rest of the data disk of every guest that holds data (a NIC in the backup zone:
 * PostgreSQL data nodes, Kafka brokers, backup servers): LUKS2, AES-256 in XTS mode
 * (aes-xts-plain64 with a 512-bit key, i.e. two AES-256 keys), argon2id (EXG_SEC_4.2, EXG_SEC_4.3,
 * ANSSI PG-083). Rule CRYPTO-002 checks what this renders.
 *
 * The disk is the plan's separate data disk (plan/compute.ts: scsi1, serial `hds-data`), opened by
 * its stable /dev/disk/by-id path. The volume key never travels in cloud-init: the snippet carries a
 * `secretRef('<env>/<guest>/luks', 'key')` placeholder written to /run (tmpfs); hds-secrets
 * resolves it at first boot (0600), `hds-data-volume prepare` fetches it again at later boots, and
 * systemd-cryptsetup removes it once the volume is open. docs/proxmox.md, "Encryption at rest".
 *
 * Boot chain: <service>.service --RequiresMountsFor--> <mount unit> --Requires/After-->
 * systemd-cryptsetup@hdsdata (/etc/crypttab) --Requires/After--> hds-data-volume.service (key,
 * luksFormat only if not LUKS). First boot: runcmd runs `hds-data-volume` (userData.ts), which also
 * creates the filesystem when the opened volume is empty and enables the mount.
 * Pure: the same topology gives the same files.
 */
import type { Guest, Topology } from '../../model/topology.ts';
import { DATA_DISK_SERIAL, dataDiskById, holdsData } from '../plan/compute.ts';
import { secretRef } from '../../services/secrets.ts';
import type { RenderedFile } from './types.ts';

/** The script cloud-init writes and runs (userData.ts runs it after hds-secrets). */
export const DATA_VOLUME_SCRIPT = '/usr/local/sbin/hds-data-volume';
/** Packages the data volume needs on top of the cloud image (userData.ts adds them when the script is written). */
export const DATA_VOLUME_PACKAGES = ['cryptsetup', 'xfsprogs'];
/** Device-mapper name of the opened volume: /dev/mapper/hdsdata. No dash: systemd unit names stay unescaped. */
export const DATA_VOLUME_NAME = 'hdsdata';
/** Key file on tmpfs, 0600, present only while the volume is being formatted or opened. */
export const DATA_VOLUME_KEY_FILE = `/run/hds/luks/${DATA_VOLUME_NAME}.key`;
/** LUKS2 AES-256-XTS: the options of `cryptsetup luksFormat` (CRYPTO-002 checks them). */
export const LUKS_FORMAT_OPTIONS = '--type luks2 --cipher aes-xts-plain64 --key-size 512 --hash sha512 --pbkdf argon2id --sector-size 4096';

/** Where each data-holding service keeps its data, and the units that must not start before it is mounted. */
const SERVICES: Record<string, { path: string; units: string[] }> = {
  postgresql: { path: '/var/lib/postgresql', units: ['patroni.service', 'postgresql@.service'] },
  kafka: { path: '/var/lib/kafka', units: ['kafka.service'] },
  backup: { path: '/var/lib/pgbackrest', units: ['pgbackrest.service'] },
};

export interface DataVolume {
  /** Stable path of the data disk in the guest. */
  device: string;
  mapper: string;
  keyFile: string;
  /** Secret store reference of the per-VM volume key: <env>/<guest>/luks#key. */
  keyRef: { path: string; field: string };
  mountPoint: string;
  mountUnit: string;
  /** Service units ordered after the mount (RequiresMountsFor). */
  units: string[];
}

/** systemd's escaping of a mount point into a unit name, for the plain paths used here. */
export function mountUnitName(path: string): string {
  if (!/^(\/[a-z0-9_]+)+$/.test(path)) throw new Error(`mount point ${path}: only plain lowercase paths are supported`);
  return `${path.slice(1).replace(/\//g, '-')}.mount`;
}

/** The data volume of a guest, or undefined when it holds no data. */
export function dataVolumeOf(t: Topology, g: Guest): DataVolume | undefined {
  if (!holdsData(g) || g.hosting !== 'vm') return undefined;
  const svc = SERVICES[g.service] ?? { path: `/var/lib/${g.service}`, units: [`${g.service}.service`] };
  return {
    device: dataDiskById(DATA_DISK_SERIAL),
    mapper: `/dev/mapper/${DATA_VOLUME_NAME}`,
    keyFile: DATA_VOLUME_KEY_FILE,
    keyRef: { path: `${t.environment.name}/${g.name}/luks`, field: 'key' },
    mountPoint: svc.path,
    mountUnit: mountUnitName(svc.path),
    units: svc.units,
  };
}

function script(g: Guest, v: DataVolume): string {
  const cryptUnit = `systemd-cryptsetup@${DATA_VOLUME_NAME}.service`;
  return `#!/bin/sh
# Managed by hds-platform (modules/proxmox/cloudinit/dataVolume.ts). Data disk of ${g.name},
# encrypted at rest: LUKS2, AES-256-XTS (aes-xts-plain64, 512-bit key), argon2id
# (EXG_SEC_4.2/4.3, ANSSI PG-083). The volume key comes from the secret store (OpenBao,
# ${v.keyRef.path}#${v.keyRef.field}) into ${v.keyFile} (tmpfs, 0600) and is removed once the volume is open.
#   hds-data-volume          first boot (cloud-init runcmd): prepare, open, create the filesystem
#                            only when the volume is empty, enable and start the mount
#   hds-data-volume prepare  every boot (hds-data-volume.service, before ${cryptUnit}):
#                            fetch the key if absent, luksFormat only if the disk is not LUKS yet
set -eu
umask 077
DEV='${v.device}'
KEY='${v.keyFile}'
KEY_REF='${v.keyRef.path}#${v.keyRef.field}'
MAPPER='${v.mapper}'
MOUNTPOINT='${v.mountPoint}'
MOUNT_UNIT='${v.mountUnit}'

log() { echo "hds-data-volume: $*" >&2; }

resolved() { [ -s "$KEY" ] && ! grep -q '@@secret:' "$KEY"; }

# First boot: hds-secrets already resolved the placeholder cloud-init wrote. Later boots: write
# the placeholder again and let hds-secrets resolve it (it waits for the wrapped secret-id the
# runbook delivers through the guest agent, as at first boot).
fetch_key() {
  resolved && return 0
  install -d -m 0700 "$(dirname "$KEY")"
  printf '@@secret:%s@@' "$KEY_REF" > "$KEY"
  printf '%s\\n' "$KEY" > "$KEY.list"
  /usr/local/sbin/hds-secrets "$KEY.list"
  rm -f "$KEY.list"
  resolved || { log "no volume key from the secret store"; exit 1; }
}

wait_device() {
  i=0
  while [ ! -b "$DEV" ]; do
    i=$((i + 1)); [ "$i" -gt 60 ] && { log "$DEV not found"; exit 1; }
    udevadm settle || true
    sleep 2
  done
}

prepare() {
  fetch_key
  wait_device
  # Idempotent: a LUKS disk is never formatted again.
  if cryptsetup isLuks ${v.device}; then return 0; fi
  # Not LUKS: format only a blank disk (blkid exit 2 = no signature), never one holding something else.
  rc=0; blkid -p "$DEV" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || { log "$DEV is not LUKS and not blank (blkid $rc): refusing to format it"; exit 1; }
  cryptsetup luksFormat --batch-mode ${LUKS_FORMAT_OPTIONS} --label hds-data --key-file ${v.keyFile} ${v.device}
}

up() {
  systemctl daemon-reload # the generators read the /etc/crypttab cloud-init wrote after boot
  prepare
  [ -b "$MAPPER" ] || systemctl start ${cryptUnit}
  # Create the filesystem only when the opened volume is empty.
  rc=0; blkid -p "$MAPPER" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    0) ;;
    2) mkfs.xfs -K -L hds-data "$MAPPER" ;;
    *) log "cannot probe $MAPPER (blkid $rc)"; exit 1 ;;
  esac
  systemctl enable "$MOUNT_UNIT"
  systemctl start "$MOUNT_UNIT"
  [ "$(findmnt -n -o SOURCE --mountpoint "$MOUNTPOINT")" = "$MAPPER" ] || { log "$MOUNTPOINT is not on $MAPPER"; exit 1; }
}

case "\${1:-up}" in
  up) up ;;
  prepare) prepare ;;
  *) log "usage: hds-data-volume [up|prepare]"; exit 2 ;;
esac
`;
}

/** The files of a data holder's encrypted data volume; none for other guests. */
export function dataVolumeFiles(t: Topology, g: Guest): RenderedFile[] {
  const v = dataVolumeOf(t, g);
  if (!v) return [];
  const cryptUnit = `systemd-cryptsetup@${DATA_VOLUME_NAME}.service`;
  const header = '# Managed by hds-platform (cloud-init, modules/proxmox/cloudinit/dataVolume.ts).';
  return [
    {
      path: '/etc/crypttab',
      content: [
        header,
        '# The data disk: LUKS2 AES-256-XTS; key file on tmpfs from the secret store, removed once open.',
        '# _netdev: unlocked after the network (the key comes from OpenBao); noauto: pulled by the mount only.',
        '# <name> <device> <key file> <options>',
        `${DATA_VOLUME_NAME} ${v.device} ${v.keyFile} luks,_netdev,noauto,headless=true,tries=1`,
        '',
      ].join('\n'),
      mode: 0o644,
    },
    // The placeholder, not the key: hds-secrets resolves it in place (tmpfs, 0600) at first boot.
    { path: v.keyFile, content: secretRef(v.keyRef.path, v.keyRef.field), mode: 0o600 },
    { path: DATA_VOLUME_SCRIPT, content: script(g, v), mode: 0o700 },
    {
      path: '/etc/systemd/system/hds-data-volume.service',
      content: [
        header,
        '[Unit]',
        `Description=HDS data volume: key from the secret store, LUKS2 format if blank (before ${cryptUnit})`,
        'Wants=network-online.target',
        'After=network-online.target',
        `Before=${cryptUnit}`,
        '',
        '[Service]',
        'Type=oneshot',
        `ExecStart=${DATA_VOLUME_SCRIPT} prepare`,
        '',
      ].join('\n'),
      mode: 0o644,
    },
    {
      path: `/etc/systemd/system/${cryptUnit}.d/hds-data-volume.conf`,
      content: [
        header,
        '[Unit]',
        'Requires=hds-data-volume.service',
        'After=hds-data-volume.service',
        '',
        '[Service]',
        '# The key stays in RAM only while the volume is being opened.',
        `ExecStartPost=-/bin/rm -f ${v.keyFile}`,
        '',
      ].join('\n'),
      mode: 0o644,
    },
    {
      path: `/etc/systemd/system/${v.mountUnit}`,
      content: [
        header,
        '[Unit]',
        `Description=HDS encrypted data volume of ${g.service} (${v.mapper}, LUKS2 AES-256-XTS)`,
        // No default dependencies: nothing but the services below waits for the key (no boot-time cycle on network-online).
        'DefaultDependencies=no',
        `Requires=${cryptUnit}`,
        `After=${cryptUnit} network-online.target`,
        'Conflicts=umount.target',
        'Before=umount.target',
        '',
        '[Mount]',
        `What=${v.mapper}`,
        `Where=${v.mountPoint}`,
        'Type=xfs',
        'Options=noatime,nodev,nosuid',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        '',
      ].join('\n'),
      mode: 0o644,
    },
    ...v.units.map((u) => ({
      path: `/etc/systemd/system/${u}.d/hds-data-volume.conf`,
      content: `${header}\n# Never start on the unencrypted system disk: the data path must be the mounted LUKS2 volume.\n[Unit]\nRequiresMountsFor=${v.mountPoint}\n`,
      mode: 0o644,
    })),
  ];
}
