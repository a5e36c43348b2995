/**
 * The workloads program run under Pulumi's own mocks (`pulumi.runtime.setMocks`): the same
 * mapping as `pulumi up` (resources.ts), with a mock resource monitor that records the inputs of
 * every resource as Pulumi serialises them for the engine. Those inputs — not the plan's objects
 * passed through — are what `hdsctl workloads render` validates and writes.
 *
 * The Pulumi runtime keeps its state in globals. `setMocks` may be called again for another stack
 * in the same process (capture.test.ts proves the second stack sees only its own resources) once
 * the first has drained, so captures here run one after the other, never interleaved. The end of
 * a capture is deterministic: `runInPulumiStack` resolves when the program has returned, and
 * `pulumi.runtime.disconnect()` waits until the queue of registrations has drained.
 */
import * as pulumi from '@pulumi/pulumi';
import type { Topology } from '../model/topology.ts';
import type { K8sObject } from '../model/workloads.ts';
import { workloadObjects } from './plan/index.ts';
import { describeObject, layoutEntries, layoutResources, PROJECT, stackName } from './layout.ts';
import { clusterProvider, createWorkloads, type WorkloadsOutputs } from './resources.ts';

/** How Pulumi marks a secret value in serialised inputs (sdk/nodejs/runtime/rpc.ts specialSigKey / specialSecretSig). */
const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';

export class CaptureError extends Error {
  override name = 'CaptureError';
}

export interface Capture {
  project: string;
  stack: string;
  /** Every Kubernetes resource's inputs, in the order the program creates them. */
  objects: K8sObject[];
  /** The stack outputs the program returned. */
  outputs: WorkloadsOutputs;
  /** Resources registered in all (stack, components, provider and Kubernetes objects). */
  registered: number;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `f` after every capture already queued (the Pulumi runtime is one per process). */
function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const run = queue.then(f, f);
  queue = run.catch(() => undefined);
  return run;
}

/** Fails on a value Pulumi marks secret, wherever it is. */
function refuseSecrets(value: unknown, where: string, path = ''): void {
  if (Array.isArray(value)) {
    for (const [k, v] of value.entries()) refuseSecrets(v, where, `${path}/${k}`);
  } else if (value && typeof value === 'object') {
    if (SECRET_SIG_KEY in value)
      throw new CaptureError(`${where} ${path || '/'}: a secret value is an input of the workloads program; reference its OpenBao path instead`);
    for (const [k, v] of Object.entries(value)) refuseSecrets(v, where, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

const METADATA_ORDER = ['name', 'namespace', 'labels', 'annotations'];
const TOP_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'data'];

function ordered(obj: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj).sort()) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** Registered inputs as a Kubernetes object: apiVersion, kind, metadata (name, namespace, labels...) first. */
function asObject(inputs: Record<string, unknown>): K8sObject {
  const metadata = ordered((inputs.metadata ?? {}) as Record<string, unknown>, METADATA_ORDER);
  return ordered({ ...inputs, metadata }, TOP_ORDER) as K8sObject;
}

/**
 * Runs the program's mapping over `objects` under mocks, as stack `stack` of project
 * hds-workloads, and returns what was registered. A bad object (layout.ts) is refused before
 * the Pulumi runtime starts.
 */
export function captureObjects(objects: K8sObject[], site: string, stack: string): Promise<Capture> {
  const layout = layoutResources(objects);
  const expected = layoutEntries(layout);
  return exclusive(async () => {
    const registered = new Map<string, Record<string, unknown>>();
    let count = 0;
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          count++;
          if (a.type.startsWith('kubernetes:')) registered.set(`${a.type}::${a.name}`, a.inputs as Record<string, unknown>);
          return { id: `${a.name}-id`, state: {} };
        },
        call: (a) => {
          throw new CaptureError(`the workloads program called ${a.token}; it must not read the cluster (no invoke)`);
        },
      },
      PROJECT,
      stack,
      false,
    );
    // Pulumi records a stack trace for every resource and promise (source positions, leak
    // reports); under mocks nobody reads them and they cost a third of the time.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let outputs: WorkloadsOutputs;
    try {
      outputs = (await pulumi.runtime.runInPulumiStack(async () => createWorkloads(layout, clusterProvider(site)))) as WorkloadsOutputs;
      await pulumi.runtime.disconnect();
    } finally {
      Error.stackTraceLimit = limit;
    }
    const captured = expected.map((e) => {
      const inputs = registered.get(`${e.type}::${e.name}`);
      if (!inputs) throw new CaptureError(`${describeObject(e.object)} was not registered by the workloads program (${e.type} ${e.name})`);
      registered.delete(`${e.type}::${e.name}`);
      refuseSecrets(inputs, describeObject(e.object));
      return asObject(inputs);
    });
    const extra = [...registered.keys()];
    if (extra.length) throw new CaptureError(`the workloads program registered resources that are not in the plan: ${extra.join(', ')}`);
    return { project: PROJECT, stack, objects: captured, outputs, registered: count };
  });
}

/** Every resource of the OpenShift cluster of `site` in environment `t`, as the Pulumi program would send them. */
export async function captureWorkloads(t: Topology, site: string): Promise<K8sObject[]> {
  return (await captureStack(t, site)).objects;
}

/** The capture of the stack `<env>-<site>`, with its outputs and counts. */
export function captureStack(t: Topology, site: string): Promise<Capture> {
  return captureObjects(workloadObjects(t, site), site, stackName(t.environment.name, site));
}
