/**
 * cephx keys of a new cluster (docs/storage.md, "Runtime"): one key per entity, made by
 * `ceph-authtool --gen-print-key`, written as keyring files 0600 (temp file + rename), never
 * printed or logged. Every entity of the cluster — the monitors' shared `mon.` key, client.admin,
 * client.bootstrap-osd, each manager, OSD and gateway — is created here before the monitors
 * exist and handed to `ceph-mon --mkfs` in one seed keyring, so the monitors start with the whole
 * auth database and the bootstrap needs no `ceph auth` round trip (EXG_SEC_4.1: cephx everywhere).
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { exists, type Owner, writeFileAtomic } from '../fsutil.ts';

/** A cephx entity with its capabilities (`caps mon = "..."`), e.g. `osd.0`. */
export interface CephEntity {
  name: string;
  caps: Readonly<Partial<Record<'mon' | 'mgr' | 'osd' | 'mds', string>>>;
}

export interface CephKey extends CephEntity {
  /** The base64 cephx secret. */
  key: string;
}

const ENTITY_RE = /^(mon\.|client\.[a-z0-9][a-z0-9._-]*|osd\.\d+|mgr\.[a-z0-9][a-z0-9._-]*)$/;
/** A cephx secret: base64 of a 28-byte header+AES key, 40 characters. */
const KEY_RE = /^[A-Za-z0-9+/]{38}==$/;

/** Ceph's documented capabilities of each kind of entity (manual deployment, Ceph 16). */
export const CEPH_CAPS = {
  mon: { mon: 'allow *' },
  admin: { mon: 'allow *', osd: 'allow *', mds: 'allow *', mgr: 'allow *' },
  bootstrapOsd: { mon: 'profile bootstrap-osd', mgr: 'allow r' },
  mgr: { mon: 'allow profile mgr', osd: 'allow *', mds: 'allow *' },
  osd: { mon: 'allow profile osd', mgr: 'allow profile osd', osd: 'allow *' },
  rgw: { mon: 'allow rw', osd: 'allow rwx', mgr: 'allow rw' },
} as const satisfies Record<string, CephEntity['caps']>;

/** The keyring text of `keys` (ceph-authtool's format). Pure. */
export function keyringText(keys: readonly CephKey[]): string {
  return keys
    .map((k) => {
      if (!ENTITY_RE.test(k.name)) throw new Error(`invalid cephx entity name ${JSON.stringify(k.name)}`);
      if (!KEY_RE.test(k.key)) throw new Error(`invalid cephx key for ${k.name}`);
      const caps = Object.entries(k.caps).map(([what, cap]) => {
        if (cap.includes('"')) throw new Error(`cephx caps of ${k.name} hold a double quote`);
        return `\tcaps ${what} = "${cap}"`;
      });
      return [`[${k.name}]`, `\tkey = ${k.key}`, ...caps].join('\n');
    })
    .join('\n')
    .concat('\n');
}

/** Entity name -> key of a keyring file's text. Pure. */
export function parseKeyring(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const section = /^\[(.+)\]$/.exec(line);
    if (section) current = section[1];
    const key = /^key\s*=\s*(\S+)$/.exec(line);
    if (key && current) out.set(current, key[1]!);
  }
  return out;
}

/** A new random cephx secret (`ceph-authtool --gen-print-key`). */
export async function generateCephKey(): Promise<string> {
  const r = await execa('ceph-authtool', ['--gen-print-key'], { reject: false, timeout: 30_000 });
  const key = String(r.stdout).trim();
  if (r.exitCode !== 0 || !KEY_RE.test(key))
    throw new Error(`ceph-authtool --gen-print-key failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').pop() ?? ''}`);
  return key;
}

/**
 * The key of `entity` in the keyring at `path`, created (with a new key) when the file does not
 * exist; an existing file is kept as is (a restarted bootstrap keeps the cluster's keys).
 */
export async function ensureKeyring(path: string, entity: CephEntity, owner?: Owner): Promise<CephKey> {
  if (await exists(path)) {
    const key = parseKeyring(await readFile(path, 'utf8')).get(entity.name);
    if (!key) throw new Error(`keyring ${path} exists but holds no key for ${entity.name}: remove it or the cluster's data`);
    return { ...entity, key };
  }
  const k: CephKey = { ...entity, key: await generateCephKey() };
  await writeFileAtomic(path, keyringText([k]), { mode: 0o600, ...(owner ? { owner } : {}) });
  return k;
}
