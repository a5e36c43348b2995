/**
 * Reading the inputs of a configuration backup set (configSet.ts) from disk: the environments
 * directory's tree, the waivers file, and — against the lab — its generated secrets (for the
 * guard: the set must hold none of their values) and the HSM key metadata of its DC1 token.
 *
 * The lab's SoftHSM token is a file store in the lab's state directory: reading its metadata needs
 * the token created (`hdsctl lab up` did it once), not the lab's processes. Without it, or when it
 * cannot be opened, the set records why it has no key metadata (`keys/hsm-keys.json` says
 * `unavailable` with the reason, the manifest carries the same note): never a silent omission.
 * Nothing here creates a secret or a token.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hsmUserPinFile, labTokens } from '../lab/access.ts';
import { HSM_TOKEN_LABEL } from '../lab/edgeEndpoints.ts';
import { secretsDir } from '../lab/secrets.ts';
import type { LabPlan } from '../lab/types.ts';
import { REPO_ROOT } from '../loader/paths.ts';
import { isFsError } from '../loader/safeOutput.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { ConfigSetError, ENVIRONMENT_TREE, type HsmKeySource, type KnownSecret, type SourceFile } from './configSet.ts';

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (isFsError(e)) throw new ConfigSetError(`config set: ${path} (${what}) cannot be read (${e.code}); fix its permissions or remove it`);
    throw e;
  }
}

/** Every file of the environments tree (ENVIRONMENT_TREE: *.yaml at the top, platforms/, catalogs/, schema/), sorted, paths relative to `dir`. */
export function readEnvironmentTree(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const t of ENVIRONMENT_TREE) {
    const at = t.dir === '' ? dir : join(dir, t.dir);
    let names: string[];
    try {
      names = readdirSync(at);
    } catch (e) {
      if (isFsError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR') && t.dir !== '') continue; // a subdirectory the tree does not have
      if (isFsError(e)) throw new ConfigSetError(`config set: environments directory ${at} cannot be read (${e.code})`);
      throw e;
    }
    for (const name of names.filter((n) => t.files.test(n)).sort()) {
      const file = join(at, name);
      if (!statSync(file).isFile()) continue; // the loader reports a directory named *.yaml
      out.push({ path: t.dir === '' ? name : `${t.dir}/${name}`, content: read(file, 'an environments file') });
    }
  }
  return out;
}

/** The waivers file, or undefined when `path` does not exist. */
export function readWaivers(path: string): SourceFile | undefined {
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  return { path: 'waivers.yaml', content: read(path, 'the waivers file') };
}

/** The values of the lab's generated secrets (`<stateDir>/secrets/*`), named; empty when the lab has none yet. */
export function labKnownSecrets(stateDir: string): KnownSecret[] {
  const dir = secretsDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (isFsError(e) && e.code === 'ENOENT') return [];
    throw new ConfigSetError(
      `config set: the lab's secrets directory ${dir} cannot be read (${(e as NodeJS.ErrnoException).code}); the guard needs it — run as the lab's user`,
    );
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((name) => ({ name, value: read(join(dir, name), 'a lab secret').trim() }));
}

/** The note (manifest, `keys/hsm-keys.json`) when the lab's token is not there. */
export const LAB_NOT_RUNNING = 'lab not running: no key metadata';

/**
 * The key metadata of the lab's first HSM token (DC1's; DC2's is its clone), read with the user
 * PIN the lab generated; `unavailable` with the reason when the token or the PIN is absent or the
 * token cannot be opened.
 */
export function labHsmKeys(plan: LabPlan): HsmKeySource {
  const first = labTokens(plan)[0];
  if (!first) return { status: 'unavailable', reason: `environment ${plan.topology.environment.name} has no WAF site, hence no HSM token in the lab` };
  const conf = first.softhsmConfPath;
  const pinFile = hsmUserPinFile(plan);
  const missing = [conf, pinFile].filter((p) => !statSync(p, { throwIfNoEntry: false })?.isFile());
  if (missing.length)
    return {
      status: 'unavailable',
      reason: `${LAB_NOT_RUNNING} (no ${missing.join(' and no ')}; \`hdsctl lab up\` creates the token, then take the set again)`,
    };
  let store: HsmKeyStore | undefined;
  try {
    store = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: HSM_TOKEN_LABEL, userPin: read(pinFile, 'the HSM user PIN').trim() });
    return { status: 'read', token: HSM_TOKEN_LABEL, site: first.site, keys: store.keyInventory() };
  } catch (e) {
    if (e instanceof ConfigSetError) throw e;
    return { status: 'unavailable', reason: `the HSM token ${HSM_TOKEN_LABEL} of ${first.site} could not be read: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    store?.close();
  }
}

/** `git rev-parse HEAD` of the tool's repository; null outside a git checkout. */
export function toolCommit(): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}
