/**
 * Test helpers for Kafka's metrics (metrics.test.ts, stacks/kafkaConfig.test.ts): what the
 * Prometheus JMX exporter would name an MBean under a rendered rules file, and the metric names a
 * PromQL alert expression reads. Small models of two outside tools, used to check that the rules
 * file and the alerts agree; not used by any renderer. Pure.
 */
import YAML from 'yaml';

interface JmxRulesDoc {
  lowercaseOutputName?: boolean;
  includeObjectNames?: string[];
  rules?: Array<{ pattern?: string; name?: string }>;
}

/**
 * The metric name the JMX exporter gives the `Value` attribute of `mbean` (a
 * `domain:key=value,...` Yammer gauge) under the rules file `rulesYaml`, or undefined when the
 * MBean is not queried (`includeObjectNames`) or no rule matches (unmatched attributes are not
 * collected once rules are given). As the exporter does: the input is
 * `domain<k1=v1, k2=v2><>Value: <value>`, each pattern is tried as `^.*(?:pattern).*$` in
 * order, the first match wins, `$n` in `name` takes capture group n, then `lowercaseOutputName`.
 */
export function jmxExporterMetricName(rulesYaml: string, mbean: string, value = 0): string | undefined {
  const cfg = YAML.parse(rulesYaml) as JmxRulesDoc;
  if (cfg.includeObjectNames && !cfg.includeObjectNames.includes(mbean)) return undefined;
  const colon = mbean.indexOf(':');
  if (colon <= 0) throw new Error(`${mbean} is not an ObjectName`);
  const input = `${mbean.slice(0, colon)}<${mbean
    .slice(colon + 1)
    .split(',')
    .join(', ')}><>Value: ${value}`;
  for (const r of cfg.rules ?? []) {
    const m = new RegExp(`^.*(?:${r.pattern ?? '.*'}).*$`).exec(input);
    if (!m) continue;
    if (r.name === undefined) return undefined;
    const name = r.name.replace(/\$(\d+)/g, (_, i: string) => m[Number(i)] ?? '');
    return cfg.lowercaseOutputName ? name.toLowerCase() : name;
  }
  return undefined;
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers outside strings, label matchers,
 * range/offset brackets and `by (…)`-style label lists, that are neither a function call nor a
 * keyword. Enough for alert expressions; not a PromQL parser.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !PROMQL_KEYWORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
  return [...new Set(names)];
}
