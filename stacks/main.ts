/**
 * The cdktf application entry (`npx cdktf synth`, cdktf.json "app"): one stack per
 * environment x site x layer for the bpg/proxmox provider, plus one per Proxmox VE cluster.
 * Every cdktf import of the project lives under stacks/ and modules/proxmox/bindings/
 * (docs/adr/0001-cdktf-and-opentofu.md), so the engine can be swapped in one place.
 *
 * HDS_ENV picks the environments (a name, a comma list or `all`; default `lab`); the other
 * variables are in stacks/options.ts. `hdsctl synth` is the same build with a summary and an
 * atomic write.
 */
import { defaultEnvironmentsDir, evaluate, formatDiagnostic, loadWorkspace } from '../modules/loader/load.ts';
import { writeMarker } from '../modules/loader/safeOutput.ts';
import { buildApp, selectEnvironments } from './app.ts';
import { stackOptionsFromEnv } from './options.ts';

const evaluation = evaluate(loadWorkspace(defaultEnvironmentsDir()));
if (evaluation.diagnostics.length) {
  process.stderr.write(`the environments are not valid, fix them first (hdsctl validate --all):\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}\n`);
  process.exit(1);
}
const environments = selectEnvironments(process.env.HDS_ENV, evaluation.topologies.keys());
const { app, stacks } = buildApp({ topologies: evaluation.topologies, environments, options: stackOptionsFromEnv() });
process.stderr.write(`hds-platform: ${stacks.length} stacks for ${environments.join(', ')}\n`);
app.synth();
// The same output directory `hdsctl synth` owns: mark it so that command may replace it later.
writeMarker(app.outdir, 'synth');
