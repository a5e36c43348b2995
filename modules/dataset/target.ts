/**
 * Where a dataset goes: `--target lab` (the lab's write endpoint), `postgres://...` (one
 * database, a schema per domain; or one database per domain when the URL contains `{domain}`),
 * `dir:PATH` (files), or nothing (`--check` alone). Production is refused (EXG_ENV_6): by the
 * class or data source of `--env`, and by the address of the server when it falls in a
 * production supernet of the platforms in environments/platforms.
 */
import { defaultEnvironmentsDir, loadWorkspace } from '../loader/load.ts';
import { displayPath } from '../loader/paths.ts';
import { contains, parseCidr, parseIpv4 } from '../model/cidr.ts';

export type TargetConfig = { kind: 'pg'; url: string } | { kind: 'dir'; path: string } | { kind: 'null' };

class TargetError extends Error {}

/**
 * `--target lab` (the default) needs the lab's write endpoint, resolved by the caller from the
 * running lab (modules/lab/dataTarget.ts): undefined means the lab is not up.
 */
export function parseTarget(text: string | undefined, labUrl?: string): TargetConfig {
  if (text === undefined || text === 'lab') {
    if (!labUrl) throw new TargetError('the lab is not running; start it with `hdsctl lab up`');
    return { kind: 'pg', url: labUrl };
  }
  if (/^postgres(ql)?:\/\//.test(text)) {
    try {
      new URL(text.replace('{domain}', 'x'));
    } catch {
      throw new TargetError(`--target "${text}": not a valid PostgreSQL URL (postgres://user:password@host:port/database)`);
    }
    return { kind: 'pg', url: text };
  }
  if (text.startsWith('dir:') && text.length > 4) return { kind: 'dir', path: text.slice(4) };
  if (text === 'null:') return { kind: 'null' };
  throw new TargetError(`--target "${text}": expected lab, postgres://..., or dir:PATH`);
}

/** Refuses production targets (EXG_ENV_6): the environment's class and data source, the server address. */
export function refuseProduction(target: TargetConfig, envName: string | undefined, envDir: string = defaultEnvironmentsDir()): { envClass: string | null } {
  const ws = loadWorkspace(envDir);
  let envClass: string | null = null;
  if (envName) {
    const env = ws.environments.get(envName);
    if (!env)
      throw new TargetError(`--env: "${envName}" is not an environment of ${displayPath(envDir)} (known: ${[...ws.environments.keys()].sort().join(', ')}); use one of them (e.g. --env formation)`);
    envClass = env.doc.class;
    if (env.doc.class === 'production' || env.doc.dataSource === 'production') {
      const why = env.doc.class === 'production' ? 'its class is production' : 'its data source is production';
      throw new TargetError(
        `--env: "${envName}" is refused: ${why}, and synthetic datasets never go there (EXG_ENV_6: production data and test data never mix); give a non-production environment (e.g. --env formation)`,
      );
    }
  }
  if (target.kind === 'pg') {
    const host = new URL(target.url.replace('{domain}', 'x')).hostname;
    const ip = parseIpv4(host);
    if (ip !== undefined) {
      for (const [name, p] of ws.platforms) {
        const net = p.doc.network?.production;
        const cidr = net ? parseCidr(net.supernet) : null;
        if (cidr?.ok && contains(cidr.cidr, { network: ip, prefix: 32 })) {
          throw new TargetError(
            `--target: "${redact(target.url)}" is refused: ${host} is in the production supernet ${net!.supernet} of platform ${name} (EXG_ENV_6); give a non-production server`,
          );
        }
      }
    }
  }
  return { envClass };
}

/** The URL of a domain's database: `{domain}` replaced, or the same database for every domain. */
export function domainUrl(url: string, domain: string): string {
  return url.replace('{domain}', domain);
}

/** The URL without its password, for messages and manifests. */
export function redact(url: string): string {
  try {
    const u = new URL(url.replace('{domain}', '__domain__'));
    if (u.password) u.password = '***';
    return u.toString().replace('__domain__', '{domain}');
  } catch {
    return url;
  }
}
