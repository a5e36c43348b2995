/**
 * Editing a list inside an environment file by splicing text, so every other byte (comments,
 * blank lines, flow style, quoting) stays as it was: the yaml library's Document API locates
 * the nodes, the change is a text insertion or deletion, and the result is re-parsed and
 * compared with the intended data before anyone writes it.
 */
import { Document, isMap, isScalar, isSeq, type Node, type Pair, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';

export class SpliceError extends Error {
  override name = 'SpliceError';
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The pair `key` of a block map, or undefined. */
function pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined;
}

/**
 * One list item as block YAML lines at `indent` columns (`- ` on the first line). Lists of
 * scalars are written in flow style (`[A, B]`), like the rest of the environment files.
 */
export function itemText(value: Record<string, unknown>, indent: number): string {
  const doc = new Document(value);
  const flowify = (node: unknown) => {
    if (isSeq(node) || isMap(node)) {
      const children = isSeq(node) ? node.items : node.items.map((p) => p.value);
      if (isSeq(node) && children.every((c) => isScalar(c)) && children.length > 0) node.flow = true;
      else for (const c of children) flowify(c);
    }
  };
  for (const p of (doc.contents as YAMLMap).items) flowify(p.value);
  const body = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).replace(/\n$/, '').split('\n');
  const pad = ' '.repeat(indent);
  return `${body.map((l, k) => (k === 0 ? `${pad}- ${l}` : `${pad}  ${l}`)).join('\n')}\n`;
}

/** Checks that `text` parses to `expected` (what the change meant); throws SpliceError otherwise. */
function verify(text: string, expected: unknown): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw new SpliceError(`the edited file would not parse (${doc.errors[0]!.message.split('\n')[0]})`);
  if (JSON.stringify(doc.toJS()) !== JSON.stringify(expected)) throw new SpliceError('the edited file would not hold what was intended (unusual layout)');
  return text;
}

/**
 * Appends `item` to the block sequence at `path` (a list of map keys), creating the key at the
 * end of its parent block map when absent, or replacing an empty flow list (`[]`).
 */
export function appendItem(text: string, path: string[], item: Record<string, unknown>): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  const expected = doc.toJS() as Record<string, unknown>;
  const parentPath = path.slice(0, -1);
  const key = path.at(-1)!;
  // The intended data.
  let cursor: Record<string, unknown> = expected;
  for (const k of parentPath) cursor = cursor[k] as Record<string, unknown>;
  cursor[key] = [...((cursor[key] as unknown[] | undefined) ?? []), item];

  const parent = doc.getIn(parentPath, true);
  if (!isMap(parent) || parent.flow) throw new SpliceError(`${parentPath.join('.')} is not a block mapping`);
  const pair = pairOf(parent, key);
  const seq = pair?.value as Node | null | undefined;
  if (pair && isSeq(seq) && !seq.flow && seq.items.length > 0) {
    const first = seq.items[0] as Node;
    const last = seq.items.at(-1) as Node;
    const indent = text.slice(lineStart(text, first.range![0]), first.range![0]).indexOf('-');
    let at = last.range![2];
    let prefix = '';
    if (text[at - 1] !== '\n') prefix = '\n';
    // A trailing comment on the last line belongs to it: insert after that line.
    if (prefix) {
      const nl = text.indexOf('\n', at);
      at = nl === -1 ? text.length : nl + 1;
      prefix = nl === -1 ? '\n' : '';
    }
    return verify(text.slice(0, at) + prefix + itemText(item, indent) + text.slice(at), expected);
  }
  const firstKey = parent.items[0]?.key as Node | undefined;
  if (!firstKey?.range) throw new SpliceError(`${parentPath.join('.')} is empty`);
  const keyIndent = firstKey.range[0] - lineStart(text, firstKey.range[0]);
  if (pair) {
    // `key: []` or `key:` (null): the block list replaces the value.
    if (seq && !(isSeq(seq) && (seq as YAMLSeq).items.length === 0) && !(isScalar(seq) && seq.value === null))
      throw new SpliceError(`${path.join('.')} is neither a block list nor empty`);
    const k = pair.key as Node;
    const from = k.range![1];
    const colon = text.indexOf(':', from);
    const to = seq?.range ? seq.range[1] : colon + 1;
    const rest = text.slice(to);
    const eol = rest.indexOf('\n');
    const tail = eol === -1 ? '' : rest.slice(0, eol); // a comment after `[]` stays on the key line
    return verify(`${text.slice(0, from)}:${tail}\n${itemText(item, keyIndent + 2)}${eol === -1 ? '' : rest.slice(eol + 1)}`, expected);
  }
  const lastPair = parent.items.at(-1) as Pair<Node, Node>;
  const end = (lastPair.value?.range ?? (lastPair.key as Node).range)![2];
  let at = end;
  let prefix = '';
  if (text[at - 1] !== '\n') {
    const nl = text.indexOf('\n', at);
    at = nl === -1 ? text.length : nl + 1;
    prefix = nl === -1 ? '\n' : '';
  }
  const block = `${' '.repeat(keyIndent)}${key}:\n${itemText(item, keyIndent + 2)}`;
  return verify(text.slice(0, at) + prefix + block + text.slice(at), expected);
}

/**
 * Removes item `index` of the block sequence at `path`; the last item leaves `key: []`.
 */
export function removeItem(text: string, path: string[], index: number): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  const expected = doc.toJS() as Record<string, unknown>;
  let cursor: Record<string, unknown> = expected;
  for (const k of path.slice(0, -1)) cursor = cursor[k] as Record<string, unknown>;
  (cursor[path.at(-1)!] as unknown[]).splice(index, 1);

  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) throw new SpliceError(`${path.slice(0, -1).join('.')} is not a mapping`);
  const pair = pairOf(parent, path.at(-1)!);
  const seq = pair?.value;
  if (!pair || !isSeq(seq) || seq.flow) throw new SpliceError(`${path.join('.')} is not a block list`);
  const item = seq.items[index] as Node | undefined;
  if (!item?.range) throw new SpliceError(`${path.join('.')} has no item ${index}`);
  if (seq.items.length === 1) {
    const k = pair.key as Node;
    const from = k.range![1];
    let to = seq.range![2];
    if (text[to - 1] !== '\n') {
      const nl = text.indexOf('\n', to);
      to = nl === -1 ? text.length : nl + 1;
    }
    return verify(`${text.slice(0, from)}: []\n${text.slice(to)}`, expected);
  }
  const from = lineStart(text, item.range[0]);
  let to = item.range[2];
  if (text[to - 1] !== '\n') {
    const nl = text.indexOf('\n', to);
    to = nl === -1 ? text.length : nl + 1;
  }
  return verify(text.slice(0, from) + text.slice(to), expected);
}
