/**
 * A YAML document kept with its positions, so any JSON path into it can be turned back
 * into `line:col` for error messages.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  file: string;
  data: unknown;
  /** Syntax errors: message and position. */
  syntaxErrors: Array<{ message: string; position: Position }>;
  /** Position of the deepest node of `path` that exists (the key for a map entry). */
  locate(path: Array<string | number>): Position;
}

export function parseYaml(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const syntaxErrors = doc.errors.map((e) => ({ message: e.message.split('\n')[0] ?? e.message, position: pos(e.pos[0]) }));
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
  return { file, data: syntaxErrors.length ? undefined : doc.toJS(), syntaxErrors, locate };
}
