/**
 * A minimal Prometheus counter registry and its text exposition (format 0.0.4), enough for the
 * WAF log relay's counters without a dependency. Label values come from the relay's whitelist
 * (rule families, route labels, rule ids, classes), never from a request.
 */

export interface CounterDef {
  name: string;
  help: string;
  labels: readonly string[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Counter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  constructor(readonly def: CounterDef) {}

  private key(labels: Record<string, string>): string {
    return this.def.labels.map((l) => labels[l] ?? '').join('\u0000');
  }

  inc(labels: Record<string, string>, by = 1): void {
    for (const l of this.def.labels) if (labels[l] === undefined) throw new Error(`counter ${this.def.name}: label ${l} missing`);
    const k = this.key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels: Object.fromEntries(this.def.labels.map((l) => [l, labels[l]!])), value: by });
  }

  /** Creates the series at 0 if absent (so `rate()` and `increase()` see the first event). */
  init(labels: Record<string, string>): void {
    this.inc(labels, 0);
  }

  get(labels: Record<string, string>): number {
    return this.values.get(this.key(labels))?.value ?? 0;
  }

  expose(): string {
    const lines = [`# HELP ${this.def.name} ${this.def.help}`, `# TYPE ${this.def.name} counter`];
    for (const { labels, value } of this.values.values()) {
      const l = this.def.labels.map((n) => `${n}="${escapeLabel(labels[n]!)}"`).join(',');
      lines.push(`${this.def.name}${l ? `{${l}}` : ''} ${value}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private readonly counters: Counter[] = [];
  private readonly gauges: Array<{ name: string; help: string; value: () => number }> = [];

  counter(def: CounterDef): Counter {
    const c = new Counter(def);
    this.counters.push(c);
    return c;
  }

  gauge(name: string, help: string, value: () => number): void {
    this.gauges.push({ name, help, value });
  }

  expose(): string {
    const parts = this.counters.map((c) => c.expose());
    for (const g of this.gauges) parts.push(`# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n${g.name} ${g.value()}`);
    return `${parts.join('\n')}\n`;
  }
}
