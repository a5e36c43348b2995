/**
 * The auditor's evidence is what the VMs receive: for every guest of every environment, the
 * service files the policy rules judge are byte-identical to the files of that guest's
 * cloud-init user-data (same path, same content), and no cloud-init service file is missing
 * from the evidence.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluate, loadWorkspace } from '../../modules/loader/load.ts';
import { defaultConfigFor } from '../../modules/proxmox/cloudinit/defaultConfig.ts';
import { buildUserData } from '../../modules/proxmox/cloudinit/userData.ts';
import { stackOptionsFromEnv } from '../../stacks/options.ts';
import { configFor } from '../../stacks/serviceConfig.ts';
import { renderedEvidence } from './services.ts';

const ev = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', 'environments')));
const options = stackOptionsFromEnv({}, { backend: 'local' }).proxmox;

describe('policy evidence = cloud-init files', () => {
  for (const [env, t] of ev.topologies) {
    it(`${env}: every evidence file is the guest's cloud-init file, byte for byte, and none is missing`, () => {
      const evidence = renderedEvidence(t);
      expect(evidence.filter((r) => r.error)).toEqual([]);
      let compared = 0;
      for (const g of t.guests.filter((x) => x.hosting === 'vm' && x.service !== 'openshift')) {
        const doc = parse(buildUserData({ topology: t, guest: g, options, configFor }).replace(/^#cloud-config\n/, '')) as {
          write_files: Array<{ path: string; content: string }>;
        };
        const defaults = new Set(defaultConfigFor(t, g).map((f) => f.path));
        const shipped = new Map(
          doc.write_files
            .filter(
              (f) => f.path.startsWith('/') && !defaults.has(f.path) && !f.path.startsWith('/etc/hds/secrets') && f.path !== '/usr/local/sbin/hds-secrets',
            )
            .map((f) => [f.path, Buffer.from(f.content, 'base64').toString('utf8')]),
        );
        const mine = evidence.filter((r) => r.owner === g.name);
        for (const r of mine) {
          expect(shipped.get(r.file), `${env} ${g.name} ${r.file}`).toBe(r.content);
          compared++;
        }
        // Nothing the guest receives besides its default set escapes the evidence.
        expect([...shipped.keys()].sort(), `${env} ${g.name}`).toEqual(mine.map((r) => r.file).sort());
      }
      if (t.guests.some((g) => g.service === 'postgresql')) expect(compared).toBeGreaterThan(0);
    });
  }
});
