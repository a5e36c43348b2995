/**
 * One-shot provisioning of a DC's HSM token for the lab: token initialised (idempotent) and
 * one wrapping key per micro-service domain (EXG_SEC_4.2, EXG_SEC_4.3). Run by the lab CLI
 * before the reference services start; the services only look their key up.
 */
import { HsmKeyStore, type KeyMetadata } from './keystore.ts';
import { initToken } from './token.ts';

export interface ProvisionHsmInput {
  /** Rendered softhsm2.conf of this DC. */
  confPath: string;
  tokenLabel: string;
  soPin: string;
  userPin: string;
  /** Key domains, e.g. LabPlan.hsmKeyDomains. */
  domains: string[];
  modulePath?: string;
}

export async function provisionHsmToken(input: ProvisionHsmInput): Promise<{ tokenCreated: boolean; keys: KeyMetadata[] }> {
  const { created } = await initToken({ confPath: input.confPath, label: input.tokenLabel, soPin: input.soPin, userPin: input.userPin });
  const store = HsmKeyStore.open({
    softhsmConfPath: input.confPath,
    tokenLabel: input.tokenLabel,
    userPin: input.userPin,
    ...(input.modulePath !== undefined ? { modulePath: input.modulePath } : {}),
  });
  try {
    return { tokenCreated: created, keys: store.ensureDomainKeys(input.domains) };
  } finally {
    store.close();
  }
}
