/**
 * Generated lab secrets (passwords, cipher passphrases): random, stored under
 * `<stateDir>/secrets/<name>` with mode 0600 in a 0700 directory, never in the repository.
 * Get-or-create is idempotent and race-free: the value is written to a temp file and
 * hard-linked to its final name, so two concurrent callers end up with the same value.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from '../runtime/fsutil.ts';
import type { SecretEncoding } from '../services/secrets.ts';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function secretsDir(stateDir: string): string {
  return join(stateDir, 'secrets');
}

/**
 * Returns the secret `name`, creating it with `bytes` random bytes the first time: base64url by
 * default (safe in YAML, INI files and connection strings), standard base64 when asked
 * (`secretEncoding` of modules/services/secrets.ts: a field ending in `.base64`).
 */
export async function getOrCreateSecret(stateDir: string, name: string, bytes = 32, encoding: SecretEncoding = 'base64url'): Promise<string> {
  if (!NAME_RE.test(name)) throw new Error(`invalid secret name ${JSON.stringify(name)} (a-z 0-9 . _ - only)`);
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) throw new Error(`secret ${name}: bytes must be an integer in [16, 1024]`);
  const dir = secretsDir(stateDir);
  await ensureDir(dir, 0o700);
  const path = join(dir, name);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(bytes).toString(encoding);
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, `${value}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  return (await readFile(path, 'utf8')).trim();
}
