/**
 * Integration (SoftHSM2, no root, no namespace, no running lab): the key metadata of a
 * configuration backup set read from a real token laid out as the lab lays out DC1's — in a
 * temporary state directory, never the lab's. The set describes every domain key (label, CKA_ID,
 * non-extractable, sensitive, the wrapping mechanism) and holds neither the PINs nor any key
 * material; a wrong PIN gives "unavailable" with the reason, not a silent omission.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeSites, HSM_TOKEN_LABEL, hsmPaths } from '../lab/edgeEndpoints.ts';
import { secretsDir } from '../lab/secrets.ts';
import { shippedLabPlan } from '../lab/testing.ts';
import type { LabPlan } from '../lab/types.ts';
import { ensureDir } from '../runtime/fsutil.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { provisionHsmToken } from '../runtime/hsm/provision.ts';
import { generatePin } from '../runtime/hsm/token.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { labHsmKeys, labKnownSecrets, readEnvironmentTree } from './collect.ts';
import { configSetEntries, KEYS_PATH } from './configSet.ts';

describe('configuration set: HSM key metadata from a SoftHSM2 token', () => {
  let stateDir = '';
  let plan: LabPlan;
  let conf = '';
  const soPin = generatePin();
  const userPin = generatePin();

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'hds-config-hsm-'));
    plan = shippedLabPlan(stateDir);
    const site = edgeSites(plan)[0]!.site.id;
    const p = hsmPaths(stateDir, site);
    await ensureDir(p.confDir, 0o700);
    await ensureDir(p.tokenDir, 0o700);
    await writeRenderedFiles(p.confDir, renderSoftHsmConf({ tokenDir: p.tokenDir }));
    conf = path.join(p.confDir, SOFTHSM_CONF_FILE);
    await ensureDir(secretsDir(stateDir), 0o700);
    await writeFile(path.join(secretsDir(stateDir), 'hsm-user-pin'), `${userPin}\n`, { mode: 0o600 });
    await writeFile(path.join(secretsDir(stateDir), 'hsm-so-pin'), `${soPin}\n`, { mode: 0o600 });
    await provisionHsmToken({ confPath: conf, tokenLabel: HSM_TOKEN_LABEL, soPin, userPin, domains: plan.hsmKeyDomains });
  });

  afterAll(async () => {
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("reads every domain key's metadata from DC1's token; the set holds them, and neither PIN", () => {
    const hsm = labHsmKeys(plan);
    expect(hsm).toMatchObject({ status: 'read', token: HSM_TOKEN_LABEL, site: edgeSites(plan)[0]!.site.id });
    if (hsm.status !== 'read') throw new Error('unreachable');
    expect(hsm.keys.map((k) => k.label)).toEqual([...plan.hsmKeyDomains].sort());
    const known = labKnownSecrets(stateDir);
    expect(known.map((k) => k.name)).toEqual(['hsm-so-pin', 'hsm-user-pin']);
    const entries = configSetEntries({
      topology: plan.topology,
      environmentFiles: readEnvironmentTree(path.join(import.meta.dirname, '..', '..', 'environments')),
      hsm,
      knownSecrets: known,
    });
    const doc = JSON.parse(entries.find((e) => e.path === KEYS_PATH)!.content);
    expect(doc.keys).toHaveLength(plan.hsmKeyDomains.length);
    for (const k of doc.keys)
      expect(k).toMatchObject({
        domain: k.label,
        id: Buffer.from(`hds:${k.label}:1`, 'ascii').toString('hex'),
        keyType: 'AES',
        bits: 256,
        mechanism: 'CKM_AES_KEY_WRAP_PAD',
        extractable: false,
        sensitive: true,
        neverExtractable: true,
        local: true,
      });
    for (const e of entries) {
      expect(e.content.includes(userPin), e.path).toBe(false);
      expect(e.content.includes(soPin), e.path).toBe(false);
    }
  });

  it('the keys themselves cannot be read out of the token: what the set describes is all there is', () => {
    const store = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: HSM_TOKEN_LABEL, userPin });
    try {
      const inv = store.keyInventory();
      expect(inv.every((k) => !k.extractable && k.sensitive)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('a wrong PIN: "unavailable" with the reason, the PIN not in it', async () => {
    const pinFile = path.join(secretsDir(stateDir), 'hsm-user-pin');
    const wrong = generatePin();
    await writeFile(pinFile, `${wrong}\n`, { mode: 0o600 });
    try {
      const hsm = labHsmKeys(plan);
      expect(hsm.status).toBe('unavailable');
      if (hsm.status !== 'unavailable') throw new Error('unreachable');
      expect(hsm.reason).toMatch(new RegExp(`^the HSM token ${HSM_TOKEN_LABEL} of \\w+ could not be read: login to token`));
      expect(hsm.reason).not.toContain(wrong);
    } finally {
      await writeFile(pinFile, `${userPin}\n`, { mode: 0o600 });
    }
  });
});
