/**
 * Virtual patches renderer: the model's patches (modules/model/virtualPatches.ts) as ModSecurity
 * rules, the content of `modsecurity/virtual-patches.conf`. main.conf includes it after the API
 * positive model and before the CRS, so a patch blocks in phase 2 before the CRS scores anything.
 *
 * One rule per patch, id 19100-19999 (derived from the patch id, stable), tagged
 * `hds/virtual-patch`, `EXG_WAF_1`, `hds/vp/<id>` and each CVE (and SIGNATURE_TAG for shipped
 * signatures). A route-scoped patch is a chain
 * whose first link matches `METHOD path` (recorded by rule 19000) against the declared routes.
 * Messages name the patch and its CVEs only: no `logdata`, so no request value is copied into
 * the rule message (the audit log's log policy is the main configuration's).
 *
 * Expired patches are still rendered: removing protection silently on a date would be worse than
 * keeping it; the policy rule NET-007 flags them for review.
 *
 * Pure function: patches -> text. It refuses (throws) what the model's validation refuses.
 */
import { resolvedPatchProblems, VP_ROUTE_RULE_ID, type VirtualPatch } from '../../model/virtualPatches.ts';

/**
 * Tag of the rules of shipped signatures. None of them can match a value of an inert contract
 * format (base64, uuid, date, code: letters, digits and `. _ - + / =`; the SSRF numeric forms
 * need a context such a value practically never has), so the contract, once it has proved a
 * field's format, may remove that field from these rules as it does from the CRS
 * (`ctl:ruleRemoveTargetByTag=hds/virtual-patch/signature;ARGS:json.<field>`): inspecting a
 * 27 MB base64 document costs seconds of CPU. Patches with their own regex keep every target.
 */
export const SIGNATURE_TAG = 'hds/virtual-patch/signature';

export interface VirtualPatchRenderOptions {
  /** The declared routes of the positive model, to resolve route-scoped patches (`METHOD /path-regex`). */
  routes: ReadonlyArray<{ method: string; pathRegex: string }>;
}

/** Strips user-supplied anchors; the renderer anchors the whole `METHOD path` string itself. */
function unanchor(re: string): string {
  return re.replace(/^\^/, '').replace(/\$$/, '');
}

function actions(p: VirtualPatch, transforms: string, chain: boolean): string {
  const disruptive = p.action === 'deny' ? `deny,status:${p.status}` : 'pass';
  const tags = ['hds/virtual-patch', ...(p.match.kind === 'signature' ? [SIGNATURE_TAG] : []), 'EXG_WAF_1', `hds/vp/${p.id}`, ...p.cve].map(
    (t) => `tag:'${t}'`,
  );
  const why = p.cve.length ? p.cve.join(', ') : 'no CVE, see justification';
  return [
    `id:${p.ruleId}`,
    'phase:2',
    disruptive,
    'log',
    'auditlog',
    transforms,
    `msg:'Virtual patch ${p.id} (${why})${p.action === 'detect' ? ' [detect only]' : ''}'`,
    ...tags,
    "severity:'CRITICAL'",
    "ver:'hds-virtual-patches/1'",
    ...(chain ? ['chain'] : []),
  ].join(',');
}

function matchRule(p: VirtualPatch, withActions: boolean): string {
  const transforms = ['t:none', ...p.match.transforms.map((t) => `t:${t}`)].join(',');
  const act = withActions ? actions(p, transforms, false) : transforms;
  return `SecRule ${p.variables.join('|')} "@rx ${p.match.regex}" "${act}"`;
}

/** The content of modsecurity/virtual-patches.conf. */
export function renderVirtualPatches(patches: readonly VirtualPatch[], opts: VirtualPatchRenderOptions): string {
  const problems: string[] = [];
  const byRule = new Map<number, string>();
  const seen = new Set<string>();
  const declared = new Map(opts.routes.map((r) => [`${r.method} ${r.pathRegex}`, r]));
  for (const p of patches) {
    for (const why of resolvedPatchProblems(p)) problems.push(`virtual patch ${p.id}: ${why}`);
    if (seen.has(p.id)) problems.push(`virtual patch ${p.id}: declared twice`);
    seen.add(p.id);
    const other = byRule.get(p.ruleId);
    if (other !== undefined) problems.push(`virtual patch ${p.id}: rule id ${p.ruleId} is already used by ${other}`);
    else byRule.set(p.ruleId, p.id);
    if (p.routes !== 'all')
      for (const r of p.routes)
        if (!declared.has(r)) problems.push(`virtual patch ${p.id}: route "${r}" is not a declared route (declared: ${[...declared.keys()].join(', ')})`);
        else if (!/^[A-Z]+$/.test(declared.get(r)!.method) || /["\n\r]|%\{/.test(declared.get(r)!.pathRegex))
          problems.push(`virtual patch ${p.id}: route "${r}" cannot be written into a rule`);
  }
  if (problems.length) throw new Error(problems.join('; '));

  const lines: string[] = [
    '# Virtual patches (EXG_WAF_1, EXG_SEC_5.4): generated from the environment file',
    '# (services.waf.virtualPatches), do not edit; add one with `hdsctl waf patch add`.',
    '# Included after the API positive model and before the OWASP CRS: a match is denied at once in',
    '# phase 2 (or only logged for action detect). Rule ids 19000-19999; tags hds/virtual-patch,',
    '# EXG_WAF_1, hds/vp/<patch id> and the CVE ids.',
    '',
  ];
  if (patches.length === 0) lines.push('# No virtual patch declared.', '');
  if (patches.some((p) => p.routes !== 'all')) {
    lines.push(
      '# METHOD and raw path of the request, for route-scoped patches.',
      `SecAction "id:${VP_ROUTE_RULE_ID},phase:1,pass,nolog,t:none,setvar:'tx.hds_vp_route=%{REQUEST_METHOD} %{REQUEST_FILENAME}'"`,
      '',
    );
  }
  for (const p of patches) {
    lines.push(`# ${p.id}${p.cve.length ? ` -- ${p.cve.join(', ')}` : ''} -- added ${p.added}, expires ${p.expires}`);
    lines.push(`# ${p.description}`);
    if (p.justification) lines.push(`# Why: ${p.justification}`);
    lines.push(
      `# Match: ${p.match.kind === 'signature' ? `signature ${p.match.signature}` : p.match.kind}; routes: ${p.routes === 'all' ? 'all' : p.routes.join(', ')}`,
    );
    if (p.routes === 'all') lines.push(matchRule(p, true));
    else {
      const alternatives = p.routes.map((r) => {
        const route = declared.get(r)!;
        return `${route.method} (?:${unanchor(route.pathRegex)})`;
      });
      lines.push(`SecRule TX:hds_vp_route "@rx ^(?:${alternatives.join('|')})$" "${actions(p, 't:none', true)}"`);
      lines.push(`    ${matchRule(p, false)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
