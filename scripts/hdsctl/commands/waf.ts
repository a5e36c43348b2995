/**
 * `hdsctl waf patch add|list|remove`: the virtual patches of the WAF (modules/model/virtualPatches.ts)
 * in the environment files (`services.waf.virtualPatches`).
 *
 * `add` and `remove` change only the text of that list (comments and layout kept), then check the
 * result as `hdsctl validate` does (schema, model, and the WAF renderer on every WAF guest) before
 * writing anything; the files are replaced all or nothing (staged, then renamed). Bad input is one
 * line naming the flag, the file is left byte for byte as it was.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { type Evaluation, evaluate, formatDiagnostic, type LocatedDiagnostic, loadWorkspace, type Workspace } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { writeFileSet } from '../../../modules/loader/safeOutput.ts';
import { describeSchemaErrors, schemas } from '../../../modules/loader/schemas.ts';
import { parseYaml } from '../../../modules/loader/yamlSource.ts';
import type { EnvironmentDoc } from '../../../modules/model/types.ts';
import {
  checkVirtualPatches,
  derivedRuleId,
  firstFreeRuleId,
  resolveVirtualPatch,
  VP_ACTIONS,
  VP_ID,
  VP_SIGNATURE_NAMES,
  VP_STATUSES,
  VP_TRANSFORMS,
  VP_VARIABLES,
  type VirtualPatch,
  type VirtualPatchDoc,
} from '../../../modules/model/virtualPatches.ts';
import { wafFilesFor } from '../../../modules/services/fromTopology/waf.ts';
import { PRODUCTION } from '../../../modules/services/fromTopology/profile.ts';
import { ArgProblem, badValue, calendarDate, checkOptions, environmentsDir, integer, listOf, name, oneOf, text } from '../args.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson } from '../output.ts';
import { table } from '../table.ts';
import { appendItem, removeItem, SpliceError } from '../yamlSplice.ts';

const PATH = ['services', 'waf', 'virtualPatches'];
const ENV_NAME = /^[a-z][a-z0-9-]{1,30}$/;

const todayUtc = () => new Date().toISOString().slice(0, 10);
const collect = (v: string, prev: string[]) => [...prev, v];

/** Which flag wrote each field of a patch, to turn a model problem into a flag error. */
const FLAG_OF: Record<string, string> = {
  id: '--id',
  cve: '--cve',
  justification: '--justification',
  description: '--description',
  routes: '--route',
  variables: '--variables',
  signature: '--signature',
  regex: '--regex',
  contains: '--contains',
  transforms: '--transforms',
  action: '--action',
  status: '--status',
  added: '--added',
  expires: '--expires',
  ruleId: '--rule-id',
};

function refuseUnreadable(ws: Workspace): void {
  const broken = ws.diagnostics.filter((d) => d.code === 'E_YAML' || d.code === 'E_READ' || d.code === 'E_NO_DIR');
  if (broken.length)
    throw new CliError(`${broken.length} environment file(s) cannot be read; fix them first (hdsctl validate):\n${broken.map(formatDiagnostic).join('\n')}`);
}

/** The environments named by --env (comma list) or --all (every environment with a WAF). */
function targets(ws: Workspace, env: string | undefined, all: boolean | undefined, verb: string): string[] {
  const withWaf = [...ws.environments.values()]
    .filter((e) => e.doc.services.waf)
    .map((e) => e.doc.name)
    .sort();
  if (all && env !== undefined) throw new CliError('--env and --all: give one of them (e.g. --env production, or --all for every environment with a WAF)');
  if (all) return withWaf;
  if (env === undefined)
    throw new CliError(`--env is required; name the environment(s) to ${verb} (e.g. --env production, or --env production,preprod-n, or --all)`);
  const names = env.split(',').map((s) => s.trim());
  const problems: string[] = [];
  for (const n of names) {
    const e = ws.environments.get(n);
    if (!ENV_NAME.test(n) || !e)
      problems.push(
        badValue(
          '--env',
          n,
          `is not an environment of ${displayPath(ws.dir)}`,
          `use one of: ${[...ws.environments.keys()].sort().join(', ')} (e.g. --env production)`,
        ),
      );
    else if (!e.doc.services.waf) problems.push(badValue('--env', n, 'has no WAF (services.waf)', `use an environment with a WAF: ${withWaf.join(', ')}`));
  }
  if (new Set(names).size !== names.length) problems.push(badValue('--env', env, 'names an environment twice', 'name each once'));
  if (problems.length) throw new CliError(problems.join('\nerror: '));
  return names;
}

/** Refuses to edit a file that is already invalid (the user would not know which error is whose). */
function refuseInvalid(evaluation: Evaluation, ws: Workspace, names: string[]): void {
  const files = new Set(names.map((n) => displayPath(ws.environments.get(n)!.source.file)));
  const bad = evaluation.diagnostics.filter((d) => files.has(d.file));
  if (bad.length)
    throw new CliError(
      `${[...new Set(bad.map((d) => d.file))].join(', ')} already has errors; fix them first (hdsctl validate), nothing was written:\n${bad.map(formatDiagnostic).join('\n')}`,
    );
}

/**
 * The workspace with the edited texts in place: schema, model and renderer problems of the
 * edited files, as located lines (empty when the change is valid).
 */
function checkEdited(dir: string, edited: Map<string, string>): string[] {
  const ws = loadWorkspace(dir);
  const problems: string[] = [];
  const files = new Set<string>();
  for (const [name, content] of edited) {
    const file = ws.environments.get(name)!.source.file;
    files.add(displayPath(file));
    const source = parseYaml(file, content);
    const validate = schemas().environment;
    if (source.syntaxErrors.length) {
      problems.push(...source.syntaxErrors.map((e) => `${displayPath(file)}:${e.position.line}:${e.position.col}: ${e.message} (${e.hint})`));
      continue;
    }
    if (!validate(source.data)) {
      for (const p of describeSchemaErrors(validate.errors)) {
        const at = source.locate(p.path);
        problems.push(`${displayPath(file)}:${at.line}:${at.col} /${p.path.join('/')}: ${p.message} (${p.hint})`);
      }
      continue;
    }
    ws.environments.set(name, { doc: source.data as EnvironmentDoc, source });
  }
  if (problems.length) return problems;
  const evaluation = evaluate(ws);
  problems.push(...evaluation.diagnostics.filter((d: LocatedDiagnostic) => files.has(d.file)).map(formatDiagnostic));
  if (problems.length) return problems;
  // What the WAF guests would receive: the renderer refuses what it cannot write (an undeclared route...).
  for (const name of edited.keys()) {
    const t = evaluation.topologies.get(name);
    for (const g of t?.guests.filter((x) => x.service === 'waf') ?? []) {
      try {
        wafFilesFor(t!, PRODUCTION, g);
      } catch (e) {
        const source = ws.environments.get(name)!.source;
        const at = source.locate(PATH);
        problems.push(
          `${displayPath(source.file)}:${at.line}:${at.col} /${PATH.join('/')}: the WAF renderer refuses the patches for ${g.name}: ${(e as Error).message}`,
        );
        break;
      }
    }
  }
  return problems;
}

/** Writes the edited files all or nothing. */
function writeEdited(ws: Workspace, edited: Map<string, string>, command: string): string[] {
  return writeFileSet(
    ws.dir,
    [...edited].map(([n, content]) => ({ name: basename(ws.environments.get(n)!.source.file), content })),
    { command, flag: '--dir' },
  );
}

function summary(p: VirtualPatch): string {
  return p.match.kind === 'signature'
    ? `signature ${p.match.signature}`
    : `${p.match.kind} ${p.match.regex.length > 40 ? `${p.match.regex.slice(0, 37)}...` : p.match.regex}`;
}

export function register(program: Command, setExit: (code: number) => void): void {
  const waf = program.command('waf').description('WAF operations: virtual patches').exitOverride();
  const patch = waf.command('patch').description('virtual patches of the WAF (services.waf.virtualPatches of an environment file)').exitOverride();

  patch
    .command('list')
    .description('list the virtual patches of one or all environments; exit 2 when one has expired')
    .option('--env <names>', 'environment(s), comma-separated (default: every environment with a WAF)')
    .option('--today <date>', 'judge expiry as of this date (YYYY-MM-DD; default today)')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .action((opts: { env?: string; today?: string; dir?: string; json?: boolean }) => {
      const a = checkOptions(opts, { dir: environmentsDir, today: calendarDate('2026-11-23') });
      const today = a.today ?? todayUtc();
      const ws = loadWorkspace(a.dir);
      refuseUnreadable(ws);
      const names = opts.env === undefined ? targets(ws, undefined, true, 'list') : targets(ws, opts.env, false, 'list');
      const evaluation = evaluate(ws);
      const rows: Array<VirtualPatch & { environment: string; file: string; line: number; expired: boolean }> = [];
      for (const n of names) {
        const loaded = ws.environments.get(n)!;
        const docs = loaded.doc.services.waf?.virtualPatches ?? [];
        const bad = new Set(checkVirtualPatches(docs).map((p) => p.path[0]));
        docs.forEach((d, k) => {
          if (bad.has(k)) return;
          const p = resolveVirtualPatch(d);
          rows.push({ environment: n, file: displayPath(loaded.source.file), line: loaded.source.locate([...PATH, k]).line, ...p, expired: p.expires < today });
        });
      }
      if (opts.json) printJson(rows);
      else
        for (const l of table(
          ['environment', 'id', 'cve', 'rule', 'action', 'routes', 'variables', 'match', 'added', 'expires', 'state'],
          rows.map((r) => [
            r.environment,
            r.id,
            r.cve.join(',') || '-',
            r.ruleId,
            r.action === 'deny' ? `deny ${r.status}` : 'detect',
            r.routes === 'all' ? 'all' : r.routes.join(','),
            r.variables.join(','),
            summary(r),
            r.added,
            r.expires,
            r.expired ? 'EXPIRED' : 'active',
          ]),
        ))
          out(l);
      const invalid = evaluation.diagnostics.filter(
        (d) => d.pointer.startsWith('/services/waf/virtualPatches') && names.some((n) => d.file === displayPath(ws.environments.get(n)!.source.file)),
      );
      for (const d of invalid) log(`invalid patch, not listed: ${formatDiagnostic(d)}`);
      const expired = rows.filter((r) => r.expired);
      if (expired.length) {
        log(
          `${expired.length} virtual patch(es) expired as of ${today}: ${expired.map((r) => `${r.environment}/${r.id} (${r.expires})`).join(', ')}; review them (renew expires, or remove once the application is fixed)`,
        );
        setExit(EXIT_FINDINGS);
      } else setExit(EXIT_OK);
    });

  patch
    .command('add')
    .description('add a virtual patch to environment file(s), checked as hdsctl validate does before anything is written')
    .option('--env <names>', 'environment(s), comma-separated')
    .option('--all', 'every environment with a WAF')
    .option('--id <id>', 'patch id, e.g. VP-2021-44228-log4shell (the rule id derives from it)')
    .option('--cve <ids>', 'CVE ids, comma-separated, e.g. CVE-2021-44228,CVE-2021-45046')
    .option('--justification <text>', 'why, when there is no CVE (one line)')
    .option('--description <text>', 'what the patch blocks (one line)')
    .option('--variables <list>', `collections inspected, comma-separated: ${VP_VARIABLES.join(', ')} (or one member, e.g. REQUEST_HEADERS:User-Agent)`)
    .option('--route <route>', 'a declared route "METHOD /path-regex" (repeat; default: all routes)', collect, [])
    .option('--signature <name>', `a vetted matcher: ${VP_SIGNATURE_NAMES.join(', ')}`)
    .option('--regex <re>', 'a PCRE regex (subset; no double quote, write \\x22)')
    .option('--contains <phrase>', 'a phrase to match (repeat for several)', collect, [])
    .option('--transforms <list>', `transformations for --regex/--contains, comma-separated (default urlDecodeUni,lowercase): ${VP_TRANSFORMS.join(', ')}`)
    .option('--action <action>', 'deny (default) or detect (log only)')
    .option('--status <code>', 'status of a denial: 403 (default), 400 or 404')
    .option('--added <date>', 'day added (YYYY-MM-DD; default today)')
    .option('--expires <date>', 'day after which the patch must be reviewed (YYYY-MM-DD)')
    .option('--rule-id <n>', 'rule id override (19100-19999), only to resolve a collision')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .exitOverride()
    .action((opts: Record<string, unknown> & { route: string[]; contains: string[]; env?: string; all?: boolean }) => {
      const a = checkOptions(opts, {
        dir: environmentsDir,
        id: {
          check: name(VP_ID, 'VP- then letters, digits, dots, dashes or underscores', 'VP-2021-44228-log4shell'),
          required: 'name the patch (e.g. --id VP-2021-44228-log4shell)',
        },
        cve: listCheck(/^CVE-\d{4}-\d{4,7}$/, 'CVE id', 'CVE-2021-44228'),
        justification: text(300, '"no CVE: SSRF through alternate IP encodings"'),
        description: {
          check: text(300, '"Log4Shell lookups in any header"'),
          required: 'say what the patch blocks (e.g. --description "Log4Shell lookups in any header")',
        },
        variables: {
          check: listCheck(/^[A-Z_]+(?::[A-Za-z0-9_.-]{1,64})?$/, 'variable', 'REQUEST_HEADERS,ARGS'),
          required: `list the collections to inspect (e.g. --variables REQUEST_HEADERS,ARGS; known: ${VP_VARIABLES.join(', ')})`,
        },
        signature: oneOf(VP_SIGNATURE_NAMES, 'signature'),
        regex: (raw: string) => raw,
        transforms: listOf(VP_TRANSFORMS, 'transformation'),
        action: oneOf(VP_ACTIONS, 'action'),
        status: oneOf(VP_STATUSES.map(String), 'status'),
        added: calendarDate('2026-11-30'),
        expires: { check: calendarDate('2027-05-31'), required: 'give the review date (e.g. --expires 2027-05-31)' },
        ruleId: integer(19100, 19999, 19100),
      });
      const kinds = [a.signature !== undefined && '--signature', a.regex !== undefined && '--regex', opts.contains.length > 0 && '--contains'].filter(Boolean);
      if (kinds.length !== 1)
        throw new CliError(
          kinds.length
            ? `${kinds.join(' and ')}: give exactly one way to match`
            : `give one of --signature (${VP_SIGNATURE_NAMES.join(', ')}), --regex or --contains`,
        );
      if (a.signature !== undefined && a.transforms !== undefined)
        throw new CliError('--transforms: a signature brings its own transformations; leave --transforms out, or use --regex');
      const added = a.added ?? todayUtc();
      if (a.expires <= added)
        throw new CliError(
          badValue('--expires', a.expires, `is not after the day the patch is added (${added})`, 'give a later review date (e.g. 6 months ahead)'),
        );
      const entry: VirtualPatchDoc = {
        id: a.id,
        ...(a.cve ? { cve: a.cve } : {}),
        ...(a.justification !== undefined ? { justification: a.justification } : {}),
        description: a.description,
        target: { ...(opts.route.length ? { routes: opts.route } : {}), variables: a.variables },
        match: {
          ...(a.signature !== undefined ? { signature: a.signature } : {}),
          ...(a.regex !== undefined ? { regex: a.regex } : {}),
          ...(opts.contains.length ? { contains: opts.contains } : {}),
          ...(a.transforms ? { transforms: a.transforms } : {}),
        },
        ...(a.action !== undefined && a.action !== 'deny' ? { action: a.action } : {}),
        ...(a.status !== undefined && a.status !== '403' ? { status: Number(a.status) } : {}),
        added,
        expires: a.expires,
        ...(a.ruleId !== undefined ? { ruleId: a.ruleId } : {}),
      };
      const ws = loadWorkspace(a.dir);
      refuseUnreadable(ws);
      const names = targets(ws, opts.env, opts.all, 'patch');
      refuseInvalid(evaluate(ws), ws, names);

      // The patch against each environment's list, problems named by the flag that caused them.
      const edited = new Map<string, string>();
      for (const n of names) {
        const loaded = ws.environments.get(n)!;
        const existing = loaded.doc.services.waf?.virtualPatches ?? [];
        const twin = existing.findIndex((p) => p.id === entry.id);
        if (twin >= 0) {
          const at = loaded.source.locate([...PATH, twin, 'id']);
          throw new CliError(
            badValue(
              '--id',
              entry.id,
              `is already a patch of ${n} (${displayPath(loaded.source.file)}:${at.line}:${at.col})`,
              'choose another id, or remove that patch first (hdsctl waf patch remove)',
            ),
          );
        }
        const all = [...existing, entry];
        const problems = checkVirtualPatches(all).filter((p) => p.path[0] === existing.length);
        if (problems.length) {
          throw new CliError(
            problems
              .map((p) => {
                const field = [...p.path].reverse().find((x) => typeof x === 'string' && FLAG_OF[x]) as string | undefined;
                const flag =
                  p.code === 'E_VPATCH_RULE_ID'
                    ? a.ruleId !== undefined
                      ? '--rule-id'
                      : '--id'
                    : field
                      ? FLAG_OF[field]!
                      : p.code === 'E_VPATCH_REASON'
                        ? '--cve'
                        : '--id';
                const clash = p.code === 'E_VPATCH_RULE_ID' ? ` (environment ${n})` : '';
                const hint =
                  p.code === 'E_VPATCH_RULE_ID'
                    ? `rename the patch, or give --rule-id ${firstFreeRuleId(all)}`
                    : p.code === 'E_VPATCH_REASON'
                      ? 'give --cve CVE-YYYY-NNNN, or --justification "why"'
                      : p.hint;
                return `${flag}: ${p.message}${clash}; ${hint}`;
              })
              .join('\nerror: '),
          );
        }
        try {
          edited.set(n, appendItem(loaded.source.text, PATH, entry as unknown as Record<string, unknown>));
        } catch (e) {
          if (!(e instanceof SpliceError)) throw e;
          throw new CliError(
            `${displayPath(loaded.source.file)}: cannot add the patch by editing the text (${e.message}); add it by hand (see docs/waf.md#virtual-patches), nothing was written`,
          );
        }
      }
      const problems = checkEdited(a.dir, edited);
      if (problems.length) throw new CliError(nothingWritten('the patch would make the environment invalid', problems));
      const written = writeEdited(ws, edited, 'waf patch add');
      const ruleId = entry.ruleId ?? derivedRuleId(entry.id);
      log(
        green(
          `added ${entry.id} (rule ${ruleId}) to ${written.map((f) => displayPath(f)).join(', ')}; deploy with the usual pipeline (the WAF guests' modsecurity/virtual-patches.conf)`,
        ),
      );
      for (const f of written) out(displayPath(f));
      setExit(EXIT_OK);
    });

  patch
    .command('remove')
    .description('remove a virtual patch from environment file(s)')
    .option('--env <names>', 'environment(s), comma-separated')
    .option('--all', 'every environment with a WAF that has the patch')
    .option('--id <id>', 'patch id')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .exitOverride()
    .action((opts: { env?: string; all?: boolean; id?: string; dir?: string }) => {
      const a = checkOptions(opts, {
        dir: environmentsDir,
        id: {
          check: name(VP_ID, 'VP- then letters, digits, dots, dashes or underscores', 'VP-2021-44228-log4shell'),
          required: 'name the patch to remove (e.g. --id VP-2021-44228-log4shell)',
        },
      });
      const ws = loadWorkspace(a.dir);
      refuseUnreadable(ws);
      const has = (n: string) => (ws.environments.get(n)!.doc.services.waf?.virtualPatches ?? []).some((p) => p.id === a.id);
      let names = targets(ws, opts.env, opts.all, 'remove the patch from');
      if (opts.all) names = names.filter(has);
      const missing = names.filter((n) => !has(n));
      if (missing.length || names.length === 0)
        throw new CliError(badValue('--id', a.id, `is not a patch of ${missing.length ? missing.join(', ') : 'any environment'}`, 'see hdsctl waf patch list'));
      refuseInvalid(evaluate(ws), ws, names);
      const edited = new Map<string, string>();
      for (const n of names) {
        const loaded = ws.environments.get(n)!;
        const k = loaded.doc.services.waf!.virtualPatches!.findIndex((p) => p.id === a.id);
        try {
          edited.set(n, removeItem(loaded.source.text, PATH, k));
        } catch (e) {
          if (!(e instanceof SpliceError)) throw e;
          throw new CliError(
            `${displayPath(loaded.source.file)}: cannot remove the patch by editing the text (${e.message}); remove it by hand, nothing was written`,
          );
        }
      }
      const problems = checkEdited(a.dir, edited);
      if (problems.length) throw new CliError(nothingWritten('removing the patch would make the environment invalid', problems));
      const written = writeEdited(ws, edited, 'waf patch remove');
      log(green(`removed ${a.id} from ${written.map((f) => displayPath(f)).join(', ')}`));
      for (const f of written) out(displayPath(f));
      setExit(EXIT_OK);
    });
}

/** One problem: one line; several: a heading and one line each. */
function nothingWritten(what: string, problems: string[]): string {
  return problems.length === 1 ? `${problems[0]} (${what}; nothing was written)` : `${what}, nothing was written:\n${problems.join('\n')}`;
}

/** A comma list of values of one shape, no repetition. */
function listCheck(pattern: RegExp, what: string, example: string) {
  return (raw: string, flag: string): string[] => {
    const list = raw.split(',').map((s) => s.trim());
    const bad = list.find((v) => !pattern.test(v));
    if (raw.trim() === '' || bad !== undefined) {
      const why = raw.trim() === '' ? 'is empty' : list.length === 1 ? `is not a ${what}` : `has ${JSON.stringify(bad)}, not a ${what}`;
      throw new ArgProblem(`${JSON.stringify(raw)} ${why}; use a comma list (e.g. ${flag} ${example})`);
    }
    const dup = list.find((v, k) => list.indexOf(v) !== k);
    if (dup) throw new ArgProblem(`${JSON.stringify(raw)} names ${JSON.stringify(dup)} twice; name each once (e.g. ${flag} ${example})`);
    return list;
  };
}
