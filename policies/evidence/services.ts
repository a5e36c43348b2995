/**
 * Service configurations as evidence: for every guest of the topology, exactly the files its
 * cloud-init writes — the one adapter (modules/services/fromTopology, production profile) that
 * cloud-init and the lab also call. So a rule judges the configuration a VM receives, byte for
 * byte (policies/evidence/services.test.ts checks it against the decoded user-data).
 *
 * What this proves: the configuration the platform ships for this topology has the property
 * (synchronous_mode_strict, TLS floor, cipher type, CRS on, alert rules). What it cannot prove:
 * that a running host uses it — that is the lab's and the drills' job. Secrets are placeholders
 * (`@@secret:…@@`), never values.
 */
import type { Topology } from '../../modules/model/topology.ts';
import { guestFiles } from '../../modules/services/fromTopology/index.ts';
import { PRODUCTION } from '../../modules/services/fromTopology/profile.ts';
import type { RenderedConfig } from '../types.ts';

/** Every service file of every guest of this topology (model order), as the guests receive them. */
export function renderedEvidence(t: Topology): RenderedConfig[] {
  return t.guests.flatMap((g): RenderedConfig[] => {
    try {
      return guestFiles(t, g, PRODUCTION).map((f) => ({
        service: f.service,
        owner: g.name,
        guestService: g.service,
        file: f.path,
        path: `${g.name}:${f.path}`,
        content: f.content,
      }));
    } catch (e) {
      // A renderer that refuses the input the topology implies: the refusal is evidence too.
      const service =
        g.service === 'postgresql' ? 'postgresql' : g.service === 'waf' || g.service === 'monitoring' || g.service === 'backup' ? g.service : 'postgresql';
      return [
        { service, owner: g.name, guestService: g.service, file: '', path: `${g.name}:`, content: '', error: e instanceof Error ? e.message : String(e) },
      ];
    }
  });
}
