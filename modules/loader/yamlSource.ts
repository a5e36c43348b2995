/**
 * A YAML document kept with its positions, so any JSON path into it can be turned back
 * into `line:col` for error messages. Syntax problems are located where the user must look:
 * an unclosed quote at its opening quote, a duplicate key at the repeated key (named), an
 * alias bomb or an unknown alias at the alias.
 */
import { type Alias, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';

export interface Position {
  line: number;
  col: number;
}

export interface YamlProblem {
  message: string;
  position: Position;
  /** JSON path of the node concerned ([] for the document). */
  path: Array<string | number>;
  hint: string;
}

export interface YamlSource {
  file: string;
  /** The text parsed. */
  text: string;
  data: unknown;
  /** Syntax errors (and alias problems): message, position, path and hint. */
  syntaxErrors: YamlProblem[];
  /** Position of the deepest node of `path` that exists (the key for a map entry). */
  locate(path: Array<string | number>): Position;
}

/** Alias expansions allowed per document (the yaml library's guard against alias bombs). */
export const MAX_ALIAS_COUNT = 100;

interface Visited {
  node: Node;
  path: Array<string | number>;
  isKey: boolean;
}

/** Every node (keys included) with its JSON path, in document order. */
function walk(root: unknown): Visited[] {
  const out: Visited[] = [];
  const go = (node: unknown, path: Array<string | number>) => {
    if (!node || typeof node !== 'object') return;
    out.push({ node: node as Node, path, isKey: false });
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (pair.key && typeof pair.key === 'object') out.push({ node: pair.key as Node, path: [...path, key], isKey: true });
        go(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, k) => {
        go(item, [...path, k]);
      });
    }
  };
  go(root, []);
  return out;
}

/** Number of nodes `node` stands for once its aliases are expanded (memoised, capped). */
function expandedSize(node: unknown, doc: ReturnType<typeof parseDocument>, memo: Map<unknown, number>, depth = 0): number {
  if (!node || typeof node !== 'object') return 1;
  if (memo.has(node)) return memo.get(node)!;
  memo.set(node, 1); // cycles count once
  let n = 1;
  if (depth > 64) n = Number.MAX_SAFE_INTEGER;
  else if (isAlias(node)) n = expandedSize((node as Alias).resolve(doc), doc, memo, depth + 1);
  else if (isMap(node)) for (const p of node.items) n += expandedSize(p.key, doc, memo, depth + 1) + expandedSize(p.value, doc, memo, depth + 1);
  else if (isSeq(node)) for (const i of node.items) n += expandedSize(i, doc, memo, depth + 1);
  n = Math.min(n, Number.MAX_SAFE_INTEGER);
  memo.set(node, n);
  return n;
}

export function parseYaml(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const nodes = walk(doc.contents);
  const syntaxErrors: YamlProblem[] = doc.errors.map((e) => {
    const offset = e.pos[0];
    if (e.code === 'MISSING_CHAR' && /quote/.test(e.message)) {
      const open = nodes
        .filter(({ node }) => isScalar(node) && ((node as Scalar).type === 'QUOTE_DOUBLE' || (node as Scalar).type === 'QUOTE_SINGLE'))
        .filter(({ node }) => node.range && node.range[0] < offset && node.range[1] >= offset)
        .sort((a, b) => b.node.range![0] - a.node.range![0])[0];
      const double = /"/.test(e.message);
      if (open) {
        return {
          message: `unclosed ${double ? 'double' : 'single'} quote: the string that starts here is never closed`,
          position: pos(open.node.range![0]),
          path: open.path,
          hint: `close it with ${double ? '"' : "'"} on the same line, or remove the opening quote`,
        };
      }
    }
    if (e.code === 'DUPLICATE_KEY') {
      const dup = nodes.find(({ node, isKey }) => isKey && node.range?.[0] === offset);
      if (dup) {
        const name = String(dup.path[dup.path.length - 1]);
        const first = nodes.find(({ node, isKey, path }) => isKey && node !== dup.node && path.join('\u0000') === dup.path.join('\u0000'));
        return {
          message: `duplicate key "${name}"`,
          position: pos(offset),
          path: dup.path,
          hint: `${first?.node.range ? `first at line ${pos(first.node.range[0]).line}; ` : ''}keep one of them`,
        };
      }
    }
    return {
      message: `invalid YAML: ${e.message.split('\n')[0] ?? e.message}`,
      position: pos(offset),
      path: [],
      hint: 'fix the YAML syntax (indentation, quotes, duplicate keys)',
    };
  });
  const locate = (path: Array<string | number>): Position => {
    let node: unknown = doc.contents;
    let best = node && typeof node === 'object' && 'range' in node ? ((node as Node).range?.[0] ?? 0) : 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key));
        if (!pair) break;
        const keyNode = pair.key as Node | undefined;
        best = keyNode?.range?.[0] ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        best = item.range?.[0] ?? best;
        node = item;
      } else break;
    }
    return pos(best);
  };
  let data: unknown;
  if (syntaxErrors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      syntaxErrors.push(aliasProblem(e, doc, nodes, pos));
    }
  }
  return { file, text, data, syntaxErrors, locate };
}

/** An alias that cannot be expanded: too many expansions (an alias bomb) or no anchor. */
function aliasProblem(e: unknown, doc: ReturnType<typeof parseDocument>, nodes: Visited[], pos: (offset: number) => Position): YamlProblem {
  const aliases = nodes.filter(({ node }) => isAlias(node));
  const message = e instanceof Error ? e.message : String(e);
  const at = (v: Visited | undefined) => ({ position: pos(v?.node.range?.[0] ?? 0), path: v?.path ?? [] });
  const unresolved = aliases.find(({ node }) => !(node as Alias).resolve(doc));
  if (/Unresolved alias/.test(message) && unresolved) {
    const name = (unresolved.node as Alias).source;
    return { message: `unknown YAML alias *${name}`, ...at(unresolved), hint: `define the anchor &${name} before the alias, or write the value out` };
  }
  if (/Excessive alias count/.test(message)) {
    const memo = new Map<unknown, number>();
    const biggest = aliases.map((v) => ({ v, size: expandedSize(v.node, doc, memo) })).sort((a, b) => b.size - a.size)[0];
    const size = biggest && biggest.size < Number.MAX_SAFE_INTEGER ? `, *${(biggest.v.node as Alias).source} alone stands for ${biggest.size.toLocaleString('en')} nodes` : '';
    return {
      message: `too many YAML aliases: more than ${MAX_ALIAS_COUNT} expansions${size}`,
      ...at(biggest?.v),
      hint: 'an alias bomb? aliases of aliases multiply: write the values out or nest fewer aliases',
    };
  }
  return { message: `invalid YAML: ${message.split('\n')[0]}`, ...at(aliases[0]), hint: 'fix the anchors and aliases' };
}
