/**
 * The Pulumi entry point (index.ts) run under mocks as `pulumi up` would run it on stack
 * production-dc1, and the stack-to-target resolution with its one-line errors.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { captureWorkloads } from '../../modules/workloads/capture.ts';
import { ProgramError, REPO_ENVIRONMENTS, resolveTarget } from './program.ts';

describe('the workloads program', { timeout: 120_000 }, () => {
  it('index.ts on stack production-dc1 registers the captured resources through one explicit provider and exports names and counts only', async () => {
    const registered: Array<{ type: string; name: string; provider?: string; inputs: Record<string, unknown> }> = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name, inputs: a.inputs, ...(a.provider ? { provider: a.provider } : {}) });
          return { id: `${a.name}-id`, state: {} };
        },
        call: () => {
          throw new Error('no invoke expected');
        },
      },
      'hds-workloads',
      'production-dc1',
      false,
    );
    const outputs = (await pulumi.runtime.runInPulumiStack(async () => ({ ...(await import('./index.ts')) }))) as Record<string, unknown>;
    await pulumi.runtime.disconnect();
    const kube = registered.filter((r) => r.type.startsWith('kubernetes:'));
    const providers = registered.filter((r) => r.type === 'pulumi:providers:kubernetes');
    expect(providers.map((p) => [p.name, p.inputs])).toEqual([['openshift-dc1', { enableServerSideApply: 'true' }]]);
    expect(kube.length).toBeGreaterThan(100);
    expect(new Set(kube.map((r) => r.provider?.split('::').slice(-1)[0]))).toEqual(new Set(['openshift-dc1-id']));
    const captured = await captureWorkloads(
      await import('../../modules/loader/load.ts').then((m) => m.evaluate(m.loadWorkspace(REPO_ENVIRONMENTS), 'production').topologies.get('production')!),
      'DC1',
    );
    expect(kube).toHaveLength(captured.length);
    expect(new Set(kube.map((r) => `${r.inputs.kind} ${r.name}`))).toEqual(
      new Set(captured.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)),
    );
    // The stack outputs: environment, cluster, namespaces and counts — nothing read from a resource.
    expect(Object.keys(outputs).sort()).toEqual(['cluster', 'counts', 'environment', 'namespaces', 'resources']);
    expect(outputs).toMatchObject({ environment: 'production', cluster: 'DC1', resources: captured.length });
    expect(outputs.namespaces).toEqual(captured.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  });

  it('resolves the environment and cluster from the stack name or the config, with a one-line fix otherwise', () => {
    expect(resolveTarget({ stack: 'production-dc2' })).toMatchObject({ environment: 'production', site: 'DC2' });
    expect(resolveTarget({ stack: 'anything', environment: 'preprod-n1', cluster: 'DC1' })).toMatchObject({ environment: 'preprod-n1', site: 'DC1' });
    const fails = (s: Parameters<typeof resolveTarget>[0]) => {
      try {
        resolveTarget(s);
      } catch (e) {
        expect(e).toBeInstanceOf(ProgramError);
        return (e as Error).message;
      }
      throw new Error('expected a ProgramError');
    };
    expect(fails({ stack: 'production' })).toBe(
      'stack "production" does not name an environment and a cluster; name it <environment>-<site> (e.g. pulumi stack init production-dc1) or set hds:environment and hds:cluster',
    );
    expect(fails({ stack: 'nope-dc1' })).toMatch(/^environment "nope" \(stack nope-dc1\) is not in .*environments; known: .*production/);
    expect(fails({ stack: 'production-dc3' })).toBe('cluster "dc3" (stack production-dc3) is not an OpenShift site of production; use one of: DC1, DC2');
    expect(fails({ stack: 'lab-dc1' })).toBe(
      'cluster "dc1" (stack lab-dc1) is not an OpenShift site of lab; use one of: none (the environment has no OpenShift)',
    );
  });

  it('refuses an environment without workloads, and invalid environments with their located diagnostics', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-wl-envs-'));
    cpSync(REPO_ENVIRONMENTS, dir, { recursive: true });
    const file = join(dir, 'recette.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.deleteIn(['workloads']);
    writeFileSync(file, doc.toString());
    expect(() => resolveTarget({ stack: 'recette-dc1', environmentsDir: dir })).toThrow(
      'environment "recette" runs no application workloads (no workloads: section in its file); add one, or deploy another environment',
    );
    doc.setIn(['services', 'openshift', 'workers', 'count'], 'many');
    writeFileSync(file, doc.toString());
    expect(() => resolveTarget({ stack: 'recette-dc1', environmentsDir: dir })).toThrow(
      /^the environments are not valid, nothing was deployed \(hdsctl validate --env recette\):\n.*recette\.yaml:\d+:\d+ \/services\/openshift\/workers\/count/,
    );
  });

  it('loads as Pulumi.yaml tells the Pulumi CLI to run it (node + its nodeargs, ESM), taking the stack and config from the language host', () => {
    const project = parse(readFileSync(join(import.meta.dirname, 'Pulumi.yaml'), 'utf8')) as {
      name: string;
      main: string;
      runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
    };
    expect(project).toMatchObject({ name: 'hds-workloads', main: 'index.ts', runtime: { name: 'nodejs', options: { typescript: false } } });
    expect(existsSync(join(import.meta.dirname, project.main))).toBe(true);
    // What the Node.js language host does for an ESM package: node <nodeargs> ... import(<main>), in the project directory,
    // with the stack and the config in PULUMI_NODEJS_STACK and PULUMI_CONFIG. Without an engine, resources go nowhere.
    const load = (env: Record<string, string>) =>
      spawnSync(
        process.execPath,
        [
          ...project.runtime.options.nodeargs.split(/\s+/),
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(new URL(project.main, `file://${import.meta.dirname}/`).href)}); console.log(JSON.stringify({ environment: m.environment, cluster: m.cluster, resources: m.resources }));`,
        ],
        { cwd: import.meta.dirname, env: { ...process.env, PULUMI_NODEJS_PROJECT: project.name, ...env }, encoding: 'utf8' },
      );
    const byName = load({ PULUMI_NODEJS_STACK: 'production-dc2' });
    expect(byName.status).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ environment: 'production', cluster: 'DC2' });
    // The config overrides the stack name (here a cluster that does not exist); the failure is a RunError: its message, no stack trace.
    const bad = load({ PULUMI_NODEJS_STACK: 'production', PULUMI_CONFIG: JSON.stringify({ 'hds:environment': 'preprod-n1', 'hds:cluster': 'DC9' }) });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('RunError: cluster "DC9" (stack production) is not an OpenShift site of preprod-n1; use one of: DC1, DC2');
  });
});
