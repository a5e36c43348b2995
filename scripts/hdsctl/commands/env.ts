/** `hdsctl env new|list|refresh`: environment files for DSI teams; refresh: ./refresh.ts. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { evaluate, formatDiagnostic, loadWorkspace, type Workspace } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { writeNewFile } from '../../../modules/loader/safeOutput.ts';
import { describeSchemaErrors, schemas } from '../../../modules/loader/schemas.ts';
import { parseYaml } from '../../../modules/loader/yamlSource.ts';
import { parseCidr, subnetCount } from '../../../modules/model/cidr.ts';
import { segregationOf } from '../../../modules/model/expand.ts';
import type { EnvironmentDoc } from '../../../modules/model/types.ts';
import { checkOptions, environmentsDir, integer, name } from '../args.ts';
import { CliError, EXIT_OK, green, log, out, printJson } from '../output.ts';
import { table } from '../table.ts';
import { registerRefresh } from './refresh.ts';

const NAME = /^[a-z][a-z0-9-]{1,30}$/;
const NAME_RULE = 'lower-case letters, digits and dashes, 2-31 characters, starting with a letter';

/** Problems of the loaded directory that make a listing or a copy meaningless, as one error. */
function refuseUnreadable(ws: Workspace): void {
  const broken = ws.diagnostics.filter((d) => d.code === 'E_YAML' || d.code === 'E_READ' || d.code === 'E_NO_DIR');
  if (broken.length) throw new CliError(`${broken.length} environment file(s) cannot be read; fix them first (hdsctl validate):\n${broken.map(formatDiagnostic).join('\n')}`);
}

export function register(program: Command, setExit: (code: number) => void): void {
  const env = program.command('env').description('create, list and refresh environments');
  registerRefresh(env, setExit);
  env
    .command('list')
    .description('list environments with their class, platform and address slot')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'machine-readable output')
    .action((opts: { dir?: string; json?: boolean }) => {
      const { dir } = checkOptions(opts, { dir: environmentsDir });
      const ws = loadWorkspace(dir);
      refuseUnreadable(ws);
      const rows = [...ws.environments.values()].map(({ doc }) => ({ name: doc.name, class: doc.class, platform: doc.platform, slot: doc.network.slot, sites: doc.sites }));
      rows.sort((a, b) => a.name.localeCompare(b.name));
      if (opts.json) printJson(rows);
      else for (const l of table(['name', 'class', 'platform', 'slot', 'sites'], rows.map((r) => [r.name, r.class, r.platform, r.slot, r.sites.join(',')]))) out(l);
      if (ws.diagnostics.length) log(`${ws.diagnostics.length} environment file(s) do not pass the schema and are not listed; see hdsctl validate`);
      setExit(EXIT_OK);
    });
  env
    .command('new')
    .description('create environments/<name>.yaml from a template, with the next free address slot of its class')
    .requiredOption('--from <template>', 'existing environment to copy (e.g. recette)')
    .requiredOption('--name <name>', 'name of the new environment')
    .option('--slot <n>', 'address slot to use instead of the next free one')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'print the created environment summary as JSON')
    .action((opts: { from: string; name: string; slot?: string; dir?: string; json?: boolean }) => {
      const a = checkOptions(opts, {
        name: { check: name(NAME, NAME_RULE, 'recette-2'), required: 'name the new environment (e.g. --name recette-2)' },
        from: { check: name(/^[a-z][a-z0-9-]{0,62}$/, 'the name of an existing environment', 'recette'), required: 'name the template (e.g. --from recette)' },
        dir: environmentsDir,
      });
      const ws = loadWorkspace(a.dir);
      refuseUnreadable(ws);
      const template = ws.environments.get(a.from);
      if (!template) throw new CliError(`--from: "${a.from}" is not an environment of ${displayPath(a.dir)}; use one of: ${[...ws.environments.keys()].sort().join(', ')} (e.g. --from recette)`);
      const target = join(a.dir, `${a.name}.yaml`);
      if (ws.environments.has(a.name)) throw new CliError(`--name: "${a.name}" is already an environment (${displayPath(ws.environments.get(a.name)!.source.file)}); choose another --name`);
      const seg = segregationOf(template.doc);
      const platform = ws.platforms.get(template.doc.platform);
      const classNet = platform?.doc.network?.[seg];
      const supernet = classNet ? parseCidr(classNet.supernet) : undefined;
      const capacity = supernet?.ok && classNet ? subnetCount(supernet.cidr, classNet.environmentPrefix) : undefined;
      const owners = new Map(
        [...ws.environments.values()].filter(({ doc }) => doc.platform === template.doc.platform && segregationOf(doc) === seg).map(({ doc }) => [doc.network.slot, doc.name]),
      );
      let free = 0;
      while (owners.has(free)) free += 1;
      let slot: number;
      if (opts.slot !== undefined) {
        // The range of slots depends on the template's platform and class: checked once it is known.
        const max = capacity !== undefined ? capacity - 1 : 65_535;
        const example = capacity === undefined || free < capacity ? free : 0;
        slot = checkOptions({ slot: opts.slot }, { slot: integer(0, max, example) }).slot!;
        if (owners.has(slot))
          throw new CliError(
            `--slot: "${opts.slot}" is taken by environment ${owners.get(slot)} (${seg} slots of platform ${template.doc.platform}); use a free slot${capacity !== undefined && free < capacity ? ` (e.g. --slot ${free})` : ''}, or leave --slot out to take the next free one`,
          );
      } else {
        if (capacity !== undefined && free >= capacity)
          throw new CliError(
            `no free address slot left for a new ${seg} environment on platform ${template.doc.platform} (${capacity} slots in ${classNet!.supernet}); remove an environment or enlarge the supernet`,
          );
        slot = free;
      }

      // Copy the template's text, keeping its comments, with a new name and slot.
      const yaml = parseDocument(template.source.text);
      yaml.set('name', a.name);
      yaml.setIn(['network', 'slot'], slot);
      yaml.delete('description');
      yaml.set('description', `Created from ${a.from} by hdsctl env new.`);
      const text = yaml.toString();

      // Validate the new file together with the existing ones before writing anything.
      const check = diagnosticsWith(ws, target, text);
      if (check.length) throw new CliError(`the new environment would not be valid, nothing was written:\n${check.join('\n')}`);
      writeNewFile(target, text, { command: 'env new', flag: '--dir' });
      log(green(`created ${displayPath(target)} (class ${template.doc.class}, slot ${slot}); check it with: hdsctl validate --env ${a.name}`));
      if (opts.json) printJson({ name: a.name, file: displayPath(target), slot, class: template.doc.class });
      else out(displayPath(target));
      setExit(EXIT_OK);
    });
}

/** Diagnostics of the workspace with one more environment file, before it is written. */
function diagnosticsWith(ws: Workspace, file: string, text: string): string[] {
  const source = parseYaml(file, text);
  const validate = schemas().environment;
  if (!validate(source.data)) return describeSchemaErrors(validate.errors).map((p) => `${displayPath(file)} ${p.path.join('.')}: ${p.message} (${p.hint})`);
  const doc = source.data as EnvironmentDoc;
  ws.environments.set(doc.name, { doc, source });
  return evaluate(ws, doc.name).diagnostics.map(formatDiagnostic);
}
