/**
 * The cloud-init user-data of a Linux guest: hostname, the break-glass admin account (public
 * keys only), the guest agent, the serial console, and every file of the guest's services as
 * `write_files` (base64, with permissions). Files that carry secret placeholders are listed in
 * /etc/hds/secrets.list and resolved at first boot by /usr/local/sbin/hds-secrets (secrets.ts).
 * Pure: the same topology gives byte-identical user-data.
 */
import { stringify } from 'yaml';
import type { Guest, Topology } from '../../model/topology.ts';
import type { ProxmoxOptions } from '../plan/options.ts';
import { DATA_VOLUME_PACKAGES, DATA_VOLUME_SCRIPT } from './dataVolume.ts';
import { hasSecretRefs } from '../../services/secrets.ts';
import { findInlineSecrets } from './secrets.ts';
import type { ConfigFile, ConfigFor } from './types.ts';

export interface WriteFile {
  path: string;
  encoding: 'b64';
  content: string;
  owner: string;
  permissions: string;
  /** Written in cloud-init's final stage, once packages have created the service users. */
  defer?: true;
}

/** Where a rendered file lands on the guest. */
export function targetPath(g: Guest, f: ConfigFile): string {
  if (f.path.startsWith('/')) return f.path;
  if (f.path.split('/').includes('..')) throw new Error(`rendered file path ${f.path} of ${g.name} escapes its root`);
  return `/etc/hds/${g.service}/${f.path}`;
}

const mode = (m: number | undefined) => `0${(m ?? 0o644).toString(8)}`;

function secretsScript(opts: ProxmoxOptions, t: Topology, g: Guest): string {
  return `#!/bin/sh
# Managed by hds-platform. Resolves @@secret:PATH#FIELD@@ placeholders in the files listed in
# /etc/hds/secrets.list (or the list given as $1) from OpenBao (AppRole login). The single-use
# wrapped secret-id is written to /run/hds/bao-wrapped-secret-id by the deploy runbook through the
# QEMU guest agent; nothing secret is in the cloud-init snippet, the Terraform JSON or its state.
set -eu
umask 077
LIST=\${1:-/etc/hds/secrets.list}
ADDR='${opts.secretStore.address}'
MOUNT='${opts.secretStore.mount}'
ROLE_ID='${t.environment.name}-${g.name}'
WRAPPED=/run/hds/bao-wrapped-secret-id
i=0
while [ ! -s "$WRAPPED" ]; do
  i=$((i + 1)); [ "$i" -gt 720 ] && { echo "hds-secrets: no secret-id delivered after 1 h" >&2; exit 1; }
  sleep 5
done
WRAP=$(cat "$WRAPPED"); rm -f "$WRAPPED"
SECRET_ID=$(curl -fsS -X POST -H "X-Vault-Token: $WRAP" "$ADDR/v1/sys/wrapping/unwrap" | jq -r .data.secret_id)
TOKEN=$(jq -n --arg r "$ROLE_ID" --arg s "$SECRET_ID" '{role_id: $r, secret_id: $s}' | curl -fsS -X POST --data @- "$ADDR/v1/auth/approle/login" | jq -r .auth.client_token)
unset SECRET_ID WRAP
while read -r f; do
  [ -n "$f" ] || continue
  for ref in $(grep -o '@@secret:[a-z0-9/_.-]*#[a-z0-9_.-]*@@' "$f" | sort -u); do
    p=\${ref#@@secret:}; p=\${p%@@}
    value=$(curl -fsS -H "X-Vault-Token: $TOKEN" "$ADDR/v1/$MOUNT/data/\${p%%#*}" | jq -er --arg k "\${p#*#}" '.data.data[$k]')
    jq -Rjs --arg ref "$ref" --arg v "$value" 'split($ref) | join($v)' "$f" > "$f.hds-tmp"
    chmod 0600 "$f.hds-tmp"; chown --reference="$f" "$f.hds-tmp"; mv "$f.hds-tmp" "$f"
  done
done < "$LIST"
curl -fsS -X POST -H "X-Vault-Token: $TOKEN" "$ADDR/v1/auth/token/revoke-self" >/dev/null || true
`;
}

export interface UserDataInput {
  topology: Topology;
  guest: Guest;
  options: ProxmoxOptions;
  configFor: ConfigFor;
}

export function buildUserData({ topology: t, guest: g, options: opts, configFor }: UserDataInput): string {
  const rendered = configFor(t, g);
  const files: WriteFile[] = [];
  const withSecrets: string[] = [];
  const seen = new Set<string>();
  for (const f of rendered) {
    const path = targetPath(g, f);
    if (seen.has(path)) throw new Error(`${g.name}: two rendered files write ${path}`);
    seen.add(path);
    const leaks = findInlineSecrets(f.content);
    if (leaks.length)
      throw new Error(
        `${g.name}: ${path} holds what looks like an inline secret (${leaks[0]!.kind}: ${leaks[0]!.excerpt}); pass secretRef(...) to the renderer instead`,
      );
    const secret = hasSecretRefs(f.content);
    if (secret) withSecrets.push(path);
    const owner = f.owner && f.owner !== 'root' ? f.owner : undefined;
    files.push({
      path,
      encoding: 'b64',
      content: Buffer.from(f.content).toString('base64'),
      owner: owner ? `${owner}:${owner}` : 'root:root',
      permissions: secret ? '0600' : mode(f.mode),
      ...(owner ? { defer: true as const } : {}),
    });
  }
  // The QEMU guest agent only serves a VM; a bare-metal server (NoCloud seed) has no hypervisor to talk to.
  const vm = g.hosting === 'vm';
  const runcmd: string[][] = [
    ['systemctl', 'enable', '--now', ...(vm ? ['qemu-guest-agent'] : []), 'serial-getty@ttyS0.service'],
    ['sysctl', '--system'],
  ];
  if (withSecrets.length) {
    files.push({
      path: '/etc/hds/secrets.list',
      encoding: 'b64',
      content: Buffer.from(`${withSecrets.join('\n')}\n`).toString('base64'),
      owner: 'root:root',
      permissions: '0600',
    });
    files.push({
      path: '/usr/local/sbin/hds-secrets',
      encoding: 'b64',
      content: Buffer.from(secretsScript(opts, t, g)).toString('base64'),
      owner: 'root:root',
      permissions: '0700',
    });
    runcmd.push(['/usr/local/sbin/hds-secrets']);
  }
  // Data holders: unlock (LUKS2-format when blank) and mount the data disk once its key is resolved,
  // before any service is started (dataVolume.ts; the services' units require the mount).
  const dataVolume = seen.has(DATA_VOLUME_SCRIPT);
  if (dataVolume) runcmd.push([DATA_VOLUME_SCRIPT]);
  runcmd.push(['systemctl', 'restart', 'chrony', 'prometheus-node-exporter']);
  // Timers the platform renders (the backup schedule on the repository host, modules/services/backup/schedule.ts):
  // loaded and enabled once the data volume they require is mounted.
  const timers = [...seen].filter((p) => /^\/etc\/systemd\/system\/hds-[A-Za-z0-9@._-]+\.timer$/.test(p)).map((p) => p.slice('/etc/systemd/system/'.length));
  if (timers.length) runcmd.push(['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', ...timers.sort()]);
  const doc = {
    hostname: g.name,
    fqdn: `${g.name}.${opts.dnsDomain}`,
    prefer_fqdn_over_hostname: false,
    manage_etc_hosts: true,
    disable_root: true,
    ssh_pwauth: false,
    users: [
      {
        name: 'hds-admin',
        gecos: 'break-glass administrator (reached through the bastion only)',
        groups: ['sudo'],
        shell: '/bin/bash',
        lock_passwd: true,
        sudo: 'ALL=(ALL) ALL',
        ssh_authorized_keys: opts.adminSshKeys,
      },
    ],
    package_update: false,
    packages: [...(vm ? ['qemu-guest-agent'] : []), 'chrony', 'prometheus-node-exporter', 'curl', 'jq', ...(dataVolume ? DATA_VOLUME_PACKAGES : [])],
    write_files: files,
    runcmd,
  };
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
  if (/[$%]\{/.test(text)) throw new Error(`${g.name}: user-data contains a Terraform template sequence`);
  return text;
}
