/**
 * SoftHSM2 configuration renderer: one token directory per DC in the lab, standing in for
 * the ANSSI-qualified HSM cluster of production (EXG_SEC_4.2). Pure function.
 */
import type { RenderedFile } from '../types.ts';

export interface SoftHsmConfInput {
  /** Absolute directory holding the tokens of this HSM (one per DC), mode 0700. */
  tokenDir: string;
  /** SoftHSM log level, default ERROR. */
  logLevel?: 'ERROR' | 'WARNING' | 'INFO' | 'DEBUG';
}

export const SOFTHSM_CONF_FILE = 'softhsm2.conf';
/** Debian path of the SoftHSM2 PKCS#11 module (package libsofthsm2). */
export const SOFTHSM_MODULE_PATH = '/usr/lib/softhsm/libsofthsm2.so';

export function renderSoftHsmConf(input: SoftHsmConfInput): RenderedFile[] {
  if (!input.tokenDir.startsWith('/') || /[\s"'\n]/.test(input.tokenDir))
    throw new Error(`tokenDir must be an absolute path without spaces: ${input.tokenDir}`);
  const content = [
    '# SoftHSM2 configuration, rendered by hds-platform (modules/services/hsm). Point SOFTHSM2_CONF here.',
    `directories.tokendir = ${input.tokenDir.replace(/\/+$/, '')}/`,
    'objectstore.backend = file',
    `log.level = ${input.logLevel ?? 'ERROR'}`,
    'slots.removable = false',
    'slots.mechanisms = ALL',
    'library.reset_on_fork = false',
    '',
  ].join('\n');
  return [{ path: SOFTHSM_CONF_FILE, content, mode: 0o644 }];
}
