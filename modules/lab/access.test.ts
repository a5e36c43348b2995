// The one place the toolkit's operations (reversibility export/import/destroy, the restore test,
// the configuration set) reach a lab's databases and HSM tokens: what it resolves from the plan.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { domainWriteEndpoint, hsmUserPin, hsmUserPinFile, labTokenOptions, labTokens } from './access.ts';
import { edgeSites, HSM_TOKEN_LABEL } from './edgeEndpoints.ts';
import { haproxyEndpoints } from './endpoints.ts';
import { secretsDir } from './secrets.ts';
import { shippedLabPlan } from './testing.ts';

const state = mkdtempSync(join(tmpdir(), 'hds-access-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));
const plan = shippedLabPlan(state);

describe('lab access', () => {
  it("finds each domain's primary behind the first HAProxy, and nothing for an unknown domain", () => {
    const h = haproxyEndpoints(plan)[0]!;
    expect(h.clusters.length).toBeGreaterThan(0);
    for (const c of h.clusters) expect(domainWriteEndpoint(plan, c.domain)).toEqual({ host: h.address, port: c.writePort });
    expect(domainWriteEndpoint(plan, 'no-such-domain')).toBeUndefined();
  });

  it("lists one SoftHSM token per WAF site, under the lab's state directory, first site first", () => {
    const tokens = labTokens(plan);
    expect(tokens.map((t) => t.site)).toEqual(edgeSites(plan).map((e) => e.site.id));
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const t of tokens) expect(t.softhsmConfPath.startsWith(state)).toBe(true);
    expect(new Set(tokens.map((t) => t.softhsmConfPath)).size).toBe(tokens.length);
  });

  it('reads the user PIN the lab generated; names a site it has no token for', async () => {
    mkdirSync(secretsDir(state), { recursive: true });
    writeFileSync(hsmUserPinFile(plan), '123456\n', { mode: 0o600 });
    expect(await hsmUserPin(plan)).toBe('123456');
    const second = labTokens(plan)[1]!;
    expect(await labTokenOptions(plan, second.site)).toEqual({ softhsmConfPath: second.softhsmConfPath, tokenLabel: HSM_TOKEN_LABEL, userPin: '123456' });
    expect((await labTokenOptions(plan)).softhsmConfPath).toBe(labTokens(plan)[0]!.softhsmConfPath);
    await expect(labTokenOptions(plan, 'DC9')).rejects.toThrow(/has no HSM token at DC9 \(tokens: DC1, DC2/);
  });
});
