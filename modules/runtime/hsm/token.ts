/**
 * Token lifecycle with the SoftHSM2 CLI: initialise a token (idempotent) and clone a token
 * directory to another DC (lab stand-in for HSM cluster key replication).
 *
 * PINs come from the caller (generated with generatePin, stored mode 0600); none is hard-coded.
 */
import { randomInt } from 'node:crypto';
import { chmod, cp, mkdir, readdir } from 'node:fs/promises';
import { execa } from 'execa';

export interface InitTokenInput {
  /** Path of the rendered softhsm2.conf (exported as SOFTHSM2_CONF to the CLI). */
  confPath: string;
  label: string;
  soPin: string;
  userPin: string;
  /** softhsm2-util binary, default `softhsm2-util`. */
  softhsmUtil?: string;
}

const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const PIN_RE = /^[\x21-\x7e]{4,255}$/;

/** A random numeric PIN (default 16 digits) from the CSPRNG. */
export function generatePin(digits = 16): string {
  if (!Number.isInteger(digits) || digits < 8 || digits > 64) throw new Error('PIN length must be 8..64');
  let s = '';
  for (let i = 0; i < digits; i++) s += String(randomInt(10));
  return s;
}

/** Labels of the initialised tokens visible through `confPath`. */
export async function listTokenLabels(confPath: string, softhsmUtil = 'softhsm2-util'): Promise<string[]> {
  const r = await execa(softhsmUtil, ['--show-slots'], { env: { SOFTHSM2_CONF: confPath }, timeout: 30_000 });
  const labels: string[] = [];
  let initialized = false;
  for (const line of String(r.stdout).split('\n')) {
    const t = line.trim();
    if (t.startsWith('Slot ')) initialized = false;
    if (/^Initialized:\s+yes/.test(t)) initialized = true;
    const m = /^Label:\s+(.*)$/.exec(t);
    if (m && initialized) labels.push((m[1] ?? '').trim());
  }
  return labels;
}

/**
 * Initialises a token labelled `label` on the first free slot, unless one with that label
 * exists already. Returns whether a token was created.
 *
 * Lab caveat: softhsm2-util takes the PINs as arguments (visible in /proc while it runs,
 * about 100 ms); the lab runs it as root in its own state directory.
 */
export async function initToken(input: InitTokenInput): Promise<{ created: boolean }> {
  if (!LABEL_RE.test(input.label)) throw new Error(`invalid token label ${input.label}`);
  if (!PIN_RE.test(input.soPin) || !PIN_RE.test(input.userPin)) throw new Error('PINs must be 4..255 printable characters');
  const util = input.softhsmUtil ?? 'softhsm2-util';
  if ((await listTokenLabels(input.confPath, util)).includes(input.label)) return { created: false };
  await execa(util, ['--init-token', '--free', '--label', input.label, '--so-pin', input.soPin, '--pin', input.userPin], {
    env: { SOFTHSM2_CONF: input.confPath },
    timeout: 60_000,
  });
  return { created: true };
}

/**
 * Copies every token of `fromTokenDir` into the empty `toTokenDir` (lab stand-in for the
 * replication of key material inside an HSM cluster: DC2 must unwrap what DC1 wrapped).
 * The copy is the encrypted SoftHSM object store; no key ever leaves it in clear.
 */
export async function cloneTokenDir(fromTokenDir: string, toTokenDir: string): Promise<void> {
  await mkdir(toTokenDir, { recursive: true, mode: 0o700 });
  if ((await readdir(toTokenDir)).length > 0) throw new Error(`refusing to clone into non-empty token dir ${toTokenDir}`);
  await cp(fromTokenDir, toTokenDir, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
  await chmod(toTokenDir, 0o700);
}
