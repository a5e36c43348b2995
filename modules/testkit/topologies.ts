/**
 * The shipped environments' topologies in tests: environments/ through the loader (schema defaults
 * applied, every semantic check run), for the tests of the services layer, which may import
 * modules/testkit but not the loader. The workspace is loaded once per process; callers get copies.
 */
import { join } from 'node:path';
import { evaluate, loadWorkspace, type Workspace } from '../loader/load.ts';
import type { Topology } from '../model/topology.ts';
import type { EnvironmentDoc } from '../model/types.ts';
import { evaluateEnvironment } from '../model/validate.ts';

let loaded: { workspace: Workspace; topologies: Map<string, Topology> } | undefined;

function shipped() {
  if (!loaded) {
    const workspace = loadWorkspace(join(import.meta.dirname, '..', '..', 'environments'));
    loaded = { workspace, topologies: evaluate(workspace).topologies };
  }
  return loaded;
}

/**
 * The topology of shipped environment `name`; with `edit`, of its document as `edit` returns it
 * (e.g. a service added before the file declares it), expanded with its platform and the catalogs.
 */
export function shippedTopology(name: string, edit?: (doc: EnvironmentDoc) => EnvironmentDoc): Topology {
  const { workspace, topologies } = shipped();
  if (!edit) {
    const t = topologies.get(name);
    if (!t) throw new Error(`environment ${name} does not evaluate: run hdsctl validate`);
    return structuredClone(t);
  }
  const env = workspace.environments.get(name)?.doc;
  const platform = env && workspace.platforms.get(env.platform)?.doc;
  if (!env || !platform) throw new Error(`environment ${name} or its platform is not in environments/`);
  const result = evaluateEnvironment(
    platform,
    edit(structuredClone(env)),
    [...workspace.catalogs.values()].map((c) => c.doc),
  );
  const t = result.expansion.topology;
  if (!t) throw new Error(`environment ${name} as edited does not expand: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return t;
}
