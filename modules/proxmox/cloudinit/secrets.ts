/**
 * Secrets never travel inline (not in the Terraform JSON, not in its state, not in the
 * snippet on the hypervisor). A configuration file that needs one carries a placeholder
 * `@@secret:<path>#<field>@@`; at first boot `hds-secrets` (written by cloud-init) logs in to
 * the secret store (OpenBao, AppRole) with a single-use wrapped secret-id that the deploy
 * runbook hands to the guest through the QEMU guest agent, resolves the placeholders in place
 * (mode 0600) and forgets the token. docs/proxmox.md#secrets explains the choice.
 */

export interface SecretFinding {
  kind: string;
  excerpt: string;
}

const PATTERNS: Array<{ kind: string; re: RegExp }> = [
  { kind: 'private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { kind: 'Proxmox API token secret', re: /[a-z0-9._-]+@[a-z0-9.-]+![a-z0-9._-]+=[0-9a-f]{8}-[0-9a-f]{4}-/i },
  { kind: 'OpenBao/Vault token', re: /\b(hvs|hvb|s)\.[A-Za-z0-9]{24,}\b/ },
  { kind: 'password in a URL', re: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^@\s/]+@/i },
  {
    kind: 'literal password',
    // etcd's initial-cluster-token is a cluster identifier (it is in every member's config), not a secret.
    re: /(?<!@@|initial-cluster-)\b(password|passwd|secret|api_token|token|passphrase|encryption_key)\b["']?\s*[:=]\s*["']?(?!@@secret:|\$|\s|["']?\s*$|null\b|["']?\{\{)[^\s"',}]{4,}/i,
  },
];

/** Things that look like secrets in a text; a placeholder or a Terraform variable reference is not one. */
export function findInlineSecrets(text: string): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const line of text.split('\n')) {
    for (const p of PATTERNS) {
      const m = p.re.exec(line);
      if (m) out.push({ kind: p.kind, excerpt: line.trim().slice(0, 120) });
    }
  }
  return out;
}
