/**
 * What the destruction certificate's HSM signature covers, and how anyone checks it with the
 * signing certificate (the same key and certificate as the export's manifest, signing-cert.pem).
 *
 * The signed content is the certificate's canonical JSON (keys sorted, modules/reports/pv/json.ts)
 * without `signature`, `validation` and `rex`: those are filled in after signing (the signature
 * itself, then the signatories on paper and the lessons learned), and do not change what was
 * destroyed nor its proofs. The lead signs `destructionSignedPayload(cert)` with the HSM key
 * (modules/runtime/hsm/keystore.ts) and records `{ algorithm, certificateSha256, sig }`.
 *
 * With stock tools: write the payload to a file, the signature (base64-decoded) to another, then
 * `openssl dgst -sha256 -verify <(openssl x509 -in signing-cert.pem -pubkey -noout) -signature sig.der payload.json`.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { stableJson } from '../../reports/pv/json.ts';
import type { DestructionCertificate } from './types.ts';

/** The bytes the HSM key signs: the canonical JSON of the certificate without `signature`, `validation` and `rex`. */
export function destructionSignedPayload(cert: DestructionCertificate): string {
  const { signature: _s, validation: _v, rex: _r, ...signed } = cert;
  return stableJson(signed);
}

/** SHA-256 (hex) of the signed content, printed in the certificate. */
export function destructionSignedSha256(cert: DestructionCertificate): string {
  return createHash('sha256').update(destructionSignedPayload(cert)).digest('hex');
}

/** Bytes of one coordinate per curve: a raw r‖s signature is twice that. */
const COORDINATE_BYTES: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

export const SIGNATURE_FAILURES = ['unsigned', 'bad-certificate', 'certificate-mismatch', 'content-changed', 'bad-signature'] as const;

/**
 * - `bad-certificate`: the certificate given is not a PEM X.509 certificate;
 * - `certificate-mismatch`: it is not the one the signature names (`certificateSha256`);
 * - `content-changed`: the SHA-256 the signer recorded (`signedSha256`) is not the content's;
 * - `bad-signature`: the signature does not verify over the content.
 */
export type SignatureFailure = (typeof SIGNATURE_FAILURES)[number];

export type SignatureCheck = { valid: true } | { valid: false; reason: SignatureFailure };

/**
 * Checks the certificate's signature with the signing certificate (PEM): the certificate must be
 * the one named (`certificateSha256`, over its DER), the recorded `signedSha256` (when any) the
 * content's, and the signature must verify over `destructionSignedPayload`. ECDSA signatures are
 * accepted DER-encoded (openssl) or as the raw r‖s a PKCS#11 token returns (CKM_ECDSA). Says
 * nothing of whom the certificate belongs to: compare `certificateSha256` with the export's
 * signing-cert.pem.
 */
export function verifyDestructionSignature(cert: DestructionCertificate, certificatePem: string): SignatureCheck {
  const s = cert.signature;
  if (!s) return { valid: false, reason: 'unsigned' };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificatePem);
  } catch {
    return { valid: false, reason: 'bad-certificate' };
  }
  if (createHash('sha256').update(x509.raw).digest('hex') !== String(s.certificateSha256).toLowerCase())
    return { valid: false, reason: 'certificate-mismatch' };
  if (s.signedSha256 !== undefined && String(s.signedSha256).toLowerCase() !== destructionSignedSha256(cert))
    return { valid: false, reason: 'content-changed' };
  const key = x509.publicKey;
  const sig = Buffer.from(String(s.sig), 'base64');
  const data = Buffer.from(destructionSignedPayload(cert));
  const ec = key.asymmetricKeyType === 'ec';
  const raw = ec && sig.length === 2 * (COORDINATE_BYTES[String(key.asymmetricKeyDetails?.namedCurve)] ?? 32);
  let ok = false;
  try {
    ok = verify('sha256', data, ec ? { key, dsaEncoding: raw ? 'ieee-p1363' : 'der' } : key, sig);
  } catch {
    ok = false;
  }
  return ok ? { valid: true } : { valid: false, reason: 'bad-signature' };
}
