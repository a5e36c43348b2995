/**
 * Envelope encryption of document contents (EXG_SEC_4.2, EXG_SEC_4.3): a fresh AES-256-GCM
 * data key per document, itself wrapped by the domain's key in the HSM. The data key lives in
 * memory only for the call; only its wrapped form is stored.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What the service needs from the HSM (HsmKeyStore implements it). */
export interface KeyWrapper {
  wrapDataKey(domain: string, dataKey: Buffer): Buffer;
  unwrapDataKey(domain: string, wrapped: Buffer): Buffer;
}

export interface SealedContent {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
  wrappedKey: Buffer;
}

/** Additional authenticated data: binds a ciphertext to its document id and key domain. */
function aad(documentId: string, domain: string): Buffer {
  return Buffer.from(`hds-doc-v1|${documentId}|${domain}`, 'utf8');
}

/** update() + final() output: GCM's final() is empty, so a 20 MiB document is not copied a second time. */
function joined(body: Buffer, last: Buffer): Buffer {
  return last.length === 0 ? body : Buffer.concat([body, last]);
}

export function seal(plaintext: Buffer, documentId: string, domain: string, hsm: KeyWrapper): SealedContent {
  const dataKey = randomBytes(32);
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(aad(documentId, domain));
    const ciphertext = joined(cipher.update(plaintext), cipher.final());
    const tag = cipher.getAuthTag();
    const wrappedKey = hsm.wrapDataKey(domain, dataKey);
    return { ciphertext, iv, tag, wrappedKey };
  } finally {
    dataKey.fill(0);
  }
}

export function open(sealed: SealedContent, documentId: string, domain: string, hsm: KeyWrapper): Buffer {
  const dataKey = hsm.unwrapDataKey(domain, sealed.wrappedKey);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.iv);
    decipher.setAAD(aad(documentId, domain));
    decipher.setAuthTag(sealed.tag);
    const body = decipher.update(sealed.ciphertext);
    return joined(body, decipher.final());
  } finally {
    dataKey.fill(0);
  }
}
