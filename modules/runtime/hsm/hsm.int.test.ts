/**
 * Integration: real SoftHSM2 tokens in a temp dir, keys generated and used through
 * graphene-pk11 (PKCS#11), exactly as the reference service does.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as graphene from 'graphene-pk11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../../services/hsm/render.ts';
import { writeRenderedFiles } from '../../testkit/files.ts';
import { HsmKeyStore } from './keystore.ts';
import { provisionHsmToken } from './provision.ts';
import { cloneTokenDir, generatePin, initToken, listTokenLabels } from './token.ts';

describe('HSM key store on SoftHSM2', () => {
  let dir = '';
  let conf1 = '';
  let conf2 = '';
  const soPin = generatePin();
  const userPin = generatePin();
  let store: HsmKeyStore | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-hsm-'));
    for (const dc of ['dc1', 'dc2']) {
      await mkdir(path.join(dir, dc, 'tokens'), { recursive: true, mode: 0o700 });
      await writeRenderedFiles(path.join(dir, dc), renderSoftHsmConf({ tokenDir: path.join(dir, dc, 'tokens') }));
    }
    conf1 = path.join(dir, 'dc1', SOFTHSM_CONF_FILE);
    conf2 = path.join(dir, 'dc2', SOFTHSM_CONF_FILE);
  });

  afterAll(async () => {
    store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('initialises a token once (idempotent)', async () => {
    expect(await initToken({ confPath: conf1, label: 'hds-dc1', soPin, userPin })).toEqual({ created: true });
    expect(await initToken({ confPath: conf1, label: 'hds-dc1', soPin, userPin })).toEqual({ created: false });
    expect(await listTokenLabels(conf1)).toEqual(['hds-dc1']);
  });

  it('refuses a wrong PIN', () => {
    expect(() => HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin: '0000000000' })).toThrow(/login/);
  });

  it('creates one non-extractable AES-256 wrapping key per domain, idempotently', () => {
    store = HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin });
    const inv = store.ensureDomainKeys(['documents', 'identity']);
    expect(inv.map((k) => k.label)).toEqual(['documents', 'identity']);
    for (const k of inv) {
      expect(k).toMatchObject({
        type: 'AES',
        bits: 256,
        extractable: false,
        sensitive: true,
        neverExtractable: true,
        alwaysSensitive: true,
        local: true,
        canWrap: true,
        canUnwrap: true,
        canEncrypt: false,
        mechanism: 'CKM_AES_KEY_WRAP_PAD',
      });
    }
    store.ensureDomainKeys(['documents', 'identity', 'messaging']);
    expect(store.keyInventory().map((k) => k.label)).toEqual(['documents', 'identity', 'messaging']);
  });

  it('round-trips a data key through wrap/unwrap; wrapped bytes differ from the key; domains are separated', () => {
    if (!store) throw new Error('store not open');
    const dk = randomBytes(32);
    const w = store.wrapDataKey('documents', dk);
    expect(w.length).toBe(40);
    expect(w.includes(dk)).toBe(false);
    expect(store.unwrapDataKey('documents', w).equals(dk)).toBe(true);
    expect(() => store?.unwrapDataKey('identity', w)).toThrow();
    expect(() => store?.wrapDataKey('unknown', dk)).toThrow(/no key for domain/);
    expect(() => store?.wrapDataKey('documents', Buffer.alloc(7))).toThrow(/16, 24 or 32/);
  });

  it('the inventory carries metadata only', () => {
    if (!store) throw new Error('store not open');
    const inv = store.keyInventory();
    const json = JSON.stringify(inv);
    expect(json).not.toMatch(/value/i);
    for (const k of inv)
      expect(Object.keys(k).sort()).toEqual(
        [
          'alwaysSensitive',
          'bits',
          'canEncrypt',
          'canUnwrap',
          'canWrap',
          'extractable',
          'id',
          'label',
          'local',
          'mechanism',
          'neverExtractable',
          'sensitive',
          'type',
        ].sort(),
      );
  });

  it('a domain key cannot be exported: CKA_VALUE read, wrap under another key and attribute change all fail', () => {
    store?.close();
    store = undefined;
    // Raw PKCS#11 session on the same token, as an attacker holding the user PIN would have.
    process.env.SOFTHSM2_CONF = conf1;
    const mod = graphene.Module.load('/usr/lib/softhsm/libsofthsm2.so', 'raw');
    mod.initialize();
    try {
      const slots = mod.getSlots(true);
      let slot: graphene.Slot | undefined;
      for (let i = 0; i < slots.length; i++) if (slots.items(i).getToken().label === 'hds-dc1') slot = slots.items(i);
      if (!slot) throw new Error('token not found');
      const s = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      s.login(userPin);
      const key = s.find({ class: graphene.ObjectClass.SECRET_KEY, label: 'documents' }).items(0).toType<graphene.SecretKey>();
      expect(() => key.getAttribute('value')).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      const exporter = s.generateKey(graphene.KeyGenMechanism.AES, {
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        valueLen: 32,
        token: false,
        extractable: true,
        sensitive: false,
        wrap: true,
        unwrap: true,
      });
      expect(() => s.wrapKey('AES_KEY_WRAP_PAD', exporter, key)).toThrow(/CKR_KEY_UNEXTRACTABLE/);
      expect(() => key.setAttribute({ extractable: true })).toThrow();
      expect(() => key.setAttribute({ sensitive: false })).toThrow();
      s.logout();
      s.close();
    } finally {
      mod.finalize();
    }
  });

  it('a token that goes away fails the operation; once it is back the store re-opens its session by itself', async () => {
    store?.close();
    store = HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin });
    const tokens = path.join(dir, 'dc1', 'tokens');
    const dk = randomBytes(32);
    const before = store.wrapDataKey('documents', dk);
    // The HSM unreachable (drill fault hsm-loss): the token's object files are gone.
    await rename(tokens, `${tokens}.away`);
    await mkdir(tokens, { mode: 0o700 });
    try {
      expect(() => store?.wrapDataKey('documents', dk)).toThrow(/CKR_|no initialised token/);
    } finally {
      await rm(tokens, { recursive: true });
      await rename(`${tokens}.away`, tokens);
    }
    const reopenedBefore = store.reopened;
    const after = store.wrapDataKey('documents', dk);
    expect(store.unwrapDataKey('documents', after).equals(dk)).toBe(true);
    expect(store.unwrapDataKey('documents', before).equals(dk)).toBe(true);
    expect(store.reopened).toBeGreaterThan(reopenedBefore);
    store.close();
    store = undefined;
  });

  it('token files are not readable by others', async () => {
    const tokens = path.join(dir, 'dc1', 'tokens');
    expect((await stat(tokens)).mode & 0o077).toBe(0);
    const [sub] = await readdir(tokens);
    const files = await readdir(path.join(tokens, sub ?? ''));
    for (const f of files) {
      // the object store is encrypted: the domain label is stored, the key value is not in clear
      expect((await stat(path.join(tokens, sub ?? '', f))).mode & 0o007).toBe(0);
    }
  });

  it('provisionHsmToken initialises a token and its domain keys in one call, idempotently', async () => {
    const conf3dir = path.join(dir, 'dc3');
    await mkdir(path.join(conf3dir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(conf3dir, renderSoftHsmConf({ tokenDir: path.join(conf3dir, 'tokens') }));
    const confPath = path.join(conf3dir, SOFTHSM_CONF_FILE);
    const a = await provisionHsmToken({ confPath, tokenLabel: 'hds-dc3', soPin, userPin, domains: ['documents', 'identity'] });
    expect(a.tokenCreated).toBe(true);
    expect(a.keys.map((k) => k.label)).toEqual(['documents', 'identity']);
    const b = await provisionHsmToken({ confPath, tokenLabel: 'hds-dc3', soPin, userPin, domains: ['documents', 'identity'] });
    expect(b.tokenCreated).toBe(false);
    expect(b.keys.map((k) => k.id)).toEqual(a.keys.map((k) => k.id));
  });

  it('a cloned token (HSM cluster replication stand-in) unwraps in DC2 what DC1 wrapped', async () => {
    const s1 = HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin });
    const dk = randomBytes(32);
    const w = s1.wrapDataKey('documents', dk);
    s1.close();
    await cloneTokenDir(path.join(dir, 'dc1', 'tokens'), path.join(dir, 'dc2', 'tokens'));
    await expect(cloneTokenDir(path.join(dir, 'dc1', 'tokens'), path.join(dir, 'dc2', 'tokens'))).rejects.toThrow(/non-empty/);
    const s2 = HsmKeyStore.open({ softhsmConfPath: conf2, tokenLabel: 'hds-dc1', userPin });
    try {
      expect(s2.unwrapDataKey('documents', w).equals(dk)).toBe(true);
      s2.ensureDomainKeys(['dc2-only']); // proves the store really switched to the DC2 token dir
    } finally {
      s2.close();
    }
    const back = HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin });
    try {
      expect(back.keyInventory().map((k) => k.label)).not.toContain('dc2-only');
    } finally {
      back.close();
    }
    expect(() => {
      const a = HsmKeyStore.open({ softhsmConfPath: conf1, tokenLabel: 'hds-dc1', userPin });
      try {
        HsmKeyStore.open({ softhsmConfPath: conf2, tokenLabel: 'hds-dc1', userPin });
      } finally {
        a.close();
      }
    }).toThrow(/already initialised/);
    expect(await readFile(conf2, 'utf8')).toContain(path.join(dir, 'dc2', 'tokens'));
  });
});
