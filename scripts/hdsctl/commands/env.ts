/** `hdsctl env new|list`: environment files for DSI teams. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { defaultEnvironmentsDir, evaluate, formatDiagnostic, loadWorkspace, type Workspace } from '../../../modules/loader/load.ts';
import { describeSchemaErrors, schemas } from '../../../modules/loader/schemas.ts';
import { parseYaml } from '../../../modules/loader/yamlSource.ts';
import type { EnvironmentDoc } from '../../../modules/model/types.ts';
import { segregationOf } from '../../../modules/model/expand.ts';
import { writeFileAtomic } from '../../../modules/loader/atomicWrite.ts';
import { CliError, EXIT_OK, green, log, out, printJson } from '../output.ts';
import { table } from '../table.ts';

const NAME = /^[a-z][a-z0-9-]{1,30}$/;

export function register(program: Command, setExit: (code: number) => void): void {
  const env = program.command('env').description('create and list environment files');
  env
    .command('list')
    .description('list environments with their class, platform and address slot')
    .option('--dir <path>', 'environments directory')
    .option('--json', 'machine-readable output')
    .action((opts: { dir?: string; json?: boolean }) => {
      const ws = loadWorkspace(opts.dir ?? defaultEnvironmentsDir());
      const rows = [...ws.environments.values()].map(({ doc }) => ({ name: doc.name, class: doc.class, platform: doc.platform, slot: doc.network.slot, sites: doc.sites }));
      rows.sort((a, b) => a.name.localeCompare(b.name));
      if (opts.json) printJson(rows);
      else for (const l of table(['name', 'class', 'platform', 'slot', 'sites'], rows.map((r) => [r.name, r.class, r.platform, r.slot, r.sites.join(',')]))) out(l);
      setExit(EXIT_OK);
    });
  env
    .command('new')
    .description('create environments/<name>.yaml from a template, with the next free address slot of its class')
    .requiredOption('--from <template>', 'existing environment to copy (e.g. recette)')
    .requiredOption('--name <name>', 'name of the new environment')
    .option('--slot <n>', 'address slot to use instead of the next free one', (v) => Number.parseInt(v, 10))
    .option('--dir <path>', 'environments directory')
    .option('--json', 'print the created environment summary as JSON')
    .action((opts: { from: string; name: string; slot?: number; dir?: string; json?: boolean }) => {
      const dir = opts.dir ?? defaultEnvironmentsDir();
      if (!NAME.test(opts.name)) throw new CliError(`--name "${opts.name}" is not a valid environment name (lower-case letters, digits and dashes, 2-31 characters, starting with a letter)`);
      const ws = loadWorkspace(dir);
      const template = ws.environments.get(opts.from);
      if (!template) throw new CliError(`unknown template "${opts.from}" in ${dir} (known: ${[...ws.environments.keys()].sort().join(', ')})`);
      const target = join(dir, `${opts.name}.yaml`);
      if (ws.environments.has(opts.name) || existsSync(target)) throw new CliError(`environment "${opts.name}" already exists (${target}); choose another --name`);
      const seg = segregationOf(template.doc);
      const taken = new Set([...ws.environments.values()].filter(({ doc }) => doc.platform === template.doc.platform && segregationOf(doc) === seg).map(({ doc }) => doc.network.slot));
      let slot = opts.slot ?? 0;
      if (opts.slot === undefined) while (taken.has(slot)) slot += 1;

      // Copy the template's text, keeping its comments, with a new name and slot.
      const yaml = parseDocument(readFileSync(template.source.file, 'utf8'));
      yaml.set('name', opts.name);
      yaml.setIn(['network', 'slot'], slot);
      yaml.delete('description');
      yaml.set('description', `Created from ${opts.from} by hdsctl env new.`);
      const text = yaml.toString();

      // Validate the new file together with the existing ones before writing anything.
      const check = diagnosticsWith(ws, target, text);
      if (check.length) throw new CliError(`the new environment would not be valid, nothing was written:\n${check.join('\n')}`);
      writeFileAtomic(target, text);
      log(green(`created ${target} (class ${template.doc.class}, slot ${slot}); check it with: hdsctl validate --env ${opts.name}`));
      if (opts.json) printJson({ name: opts.name, file: target, slot, class: template.doc.class });
      else out(target);
      setExit(EXIT_OK);
    });
}


/** Diagnostics of the workspace with one more environment file, before it is written. */
function diagnosticsWith(ws: Workspace, file: string, text: string): string[] {
  const source = parseYaml(file, text);
  const validate = schemas().environment;
  if (!validate(source.data)) return describeSchemaErrors(validate.errors).map((p) => `${file} ${p.path.join('.')}: ${p.message} (${p.hint})`);
  const doc = source.data as EnvironmentDoc;
  ws.environments.set(doc.name, { doc, source });
  return evaluate(ws, doc.name).diagnostics.map(formatDiagnostic);
}
