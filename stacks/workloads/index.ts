/**
 * Pulumi entry point of the workloads (Pulumi.yaml `main`): `pulumi up` on stack
 * `<environment>-<site>` deploys the application workloads of that OpenShift cluster.
 *
 * Config (all optional): `hds:environment`, `hds:cluster` (override the stack name),
 * `hds:kubeconfig` (secret; default: the operator's $KUBECONFIG), `hds:context`.
 * Outputs: the environment, the cluster, the namespaces and counts — never a resource value.
 */
import * as pulumi from '@pulumi/pulumi';
import { LayoutError } from '../../modules/workloads/layout.ts';
import { ProgramError, type ProgramOutputs, workloadsProgram } from './program.ts';

const config = new pulumi.Config('hds');
let outputs: ProgramOutputs;
try {
  const kubeconfig = config.getSecret('kubeconfig');
  const context = config.get('context');
  const environment = config.get('environment');
  const cluster = config.get('cluster');
  outputs = workloadsProgram({
    stack: pulumi.getStack(),
    ...(environment ? { environment } : {}),
    ...(cluster ? { cluster } : {}),
    provider: { ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) },
  });
} catch (e) {
  // An expected failure: the message only, without a stack trace.
  if (e instanceof ProgramError || e instanceof LayoutError) throw new pulumi.RunError(e.message);
  throw e;
}

export const environment = outputs.environment;
export const cluster = outputs.cluster;
export const namespaces = outputs.namespaces;
export const counts = outputs.counts;
export const resources = outputs.resources;
