/**
 * Integration (SoftHSM2 and openssl, no root, no namespace, no running lab): the export signing
 * key is an ECDSA P-256 pair generated inside a temporary token, its private key cannot leave
 * it (EXG_SEC_4.2, EXG_REV_19); openssl accepts its signatures; an export signed by it verifies
 * against the CA that certified it, and a signature by another token key is refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as graphene from 'graphene-pk11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmKeyStore, withTokenSession } from '../runtime/hsm/keystore.ts';
import { ensureLabCa } from '../runtime/pki.ts';
import { generatePin, initToken } from '../runtime/hsm/token.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { SHA256SUMS_FILE, SIGNATURE_FILE } from './manifest.ts';
import {
  CERTIFICATE_FILE,
  ensureSigningKey,
  hsmSigner,
  issueSigningCertificate,
  type SigningKeyOptions,
  signExport,
  signWithHsm,
  verifyExport,
} from './signing.ts';

describe('export signing key on a SoftHSM2 token', () => {
  let root = '';
  let opts: SigningKeyOptions;
  let ca: { cert: string; key: string };
  const userPin = generatePin();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hds-signing-hsm-'));
    const tokens = join(root, 'tokens');
    mkdirSync(tokens, { mode: 0o700 });
    await writeRenderedFiles(root, renderSoftHsmConf({ tokenDir: tokens }));
    const conf = join(root, SOFTHSM_CONF_FILE);
    await initToken({ confPath: conf, label: 'hds-dc1', soPin: generatePin(), userPin });
    opts = { softhsmConfPath: conf, tokenLabel: 'hds-dc1', userPin, label: 'reversibility-signing' };
    ca = await ensureLabCa(join(root, 'pki'));
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('generates the pair inside the token once: sign-only, sensitive, never extractable', () => {
    const first = ensureSigningKey(opts);
    expect(first.created).toBe(true);
    expect(first.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(first.metadata).toMatchObject({
      label: 'reversibility-signing',
      type: 'EC',
      curve: 'P-256',
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      local: true,
      private: true,
      canSign: true,
      canDecrypt: false,
      canDerive: false,
      canUnwrap: false,
      mechanism: 'CKM_ECDSA',
    });
    const again = ensureSigningKey(opts);
    expect(again.created).toBe(false);
    expect(again.publicKeyPem).toBe(first.publicKeyPem);
    expect(again.metadata).toEqual(first.metadata);
    expect(JSON.stringify(first.metadata)).not.toMatch(/value|BEGIN PRIVATE/i);
  });

  it('the private key cannot be read, wrapped out or made extractable', () => {
    withTokenSession(opts, (session) => {
      const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: opts.label });
      expect(found.length).toBe(1);
      const key = found.items(0).toType<graphene.PrivateKey>();
      expect(() => key.getAttribute('value')).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      const exporter = session.generateKey(graphene.KeyGenMechanism.AES, {
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        valueLen: 32,
        token: false,
        extractable: true,
        sensitive: false,
        wrap: true,
        unwrap: true,
      });
      expect(() => session.wrapKey('AES_KEY_WRAP_PAD', exporter, key)).toThrow(/CKR_KEY_UNEXTRACTABLE/);
      expect(() => key.setAttribute({ extractable: true })).toThrow();
      expect(() => key.setAttribute({ sensitive: false })).toThrow();
    });
  });

  it('openssl dgst -sha256 -verify accepts its DER signature, and rejects it for other data', () => {
    const { publicKeyPem } = ensureSigningKey(opts);
    const pub = join(root, 'pub.pem');
    const data = join(root, 'data.txt');
    const sig = join(root, 'data.sig');
    writeFileSync(pub, publicKeyPem);
    writeFileSync(data, 'SHA256SUMS stand-in\n');
    writeFileSync(sig, signWithHsm(opts, readFileSync(data)));
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, data], { encoding: 'utf8' })).toBe('Verified OK\n');
    writeFileSync(data, 'SHA256SUMS stand-in!\n');
    const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, data], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('Verification failure\n');
  });

  it('works while a domain key store holds the same token open (one PKCS#11 module per process)', () => {
    const store = HsmKeyStore.open(opts);
    try {
      store.ensureDomainKeys(['documents']);
      expect(signWithHsm(opts, Buffer.from('x')).length).toBeGreaterThan(60);
      expect(store.keyInventory().map((k) => k.label)).toEqual(['documents']);
    } finally {
      store.close();
    }
    expect(() => signWithHsm({ ...opts, label: 'absent' }, Buffer.from('x'))).toThrow(/no signing key labelled absent/);
  });

  it('signs an export that verifies against the CA; a signature by another token key is refused', async () => {
    const dir = join(root, 'export');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), '{"version":1}\n');
    writeFileSync(join(dir, 'data/a.csv'), 'id\n1\n');
    const key = ensureSigningKey(opts);
    await issueSigningCertificate({
      publicKeyPem: key.publicKeyPem,
      subject: '/O=hds-platform/OU=lab/CN=reversibility export signing',
      ca,
      days: 30,
      outPath: join(dir, CERTIFICATE_FILE),
    });
    // The key options as signer: the certificate is taken from the export.
    await signExport(dir, opts);
    const caPem = readFileSync(ca.cert, 'utf8');
    expect(await verifyExport(dir, { trustedCaPem: caPem })).toEqual({ ok: true, problems: [], checked: 3 });
    expect(execFileSync('openssl', ['verify', '-CAfile', ca.cert, join(dir, CERTIFICATE_FILE)], { encoding: 'utf8' })).toMatch(/: OK/);

    const other = { ...opts, label: 'another-key' };
    ensureSigningKey(other);
    writeFileSync(join(dir, SIGNATURE_FILE), signWithHsm(other, readFileSync(join(dir, SHA256SUMS_FILE))));
    const v = await verifyExport(dir, { trustedCaPem: caPem });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/^SHA256SUMS\.sig: does not verify SHA256SUMS/)]);
    // The other key with the first key's certificate: signExport checks before writing.
    await expect(signExport(dir, hsmSigner(other, readFileSync(join(dir, CERTIFICATE_FILE), 'utf8')))).rejects.toThrow(/is the certificate the signing key's/);
  });
});
