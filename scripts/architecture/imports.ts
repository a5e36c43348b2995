/**
 * The import graph of the repository's own TypeScript files, from their text alone (pure: no
 * file system, no type checking). Each file is tokenised with the TypeScript scanner (the
 * `typescript` 7 package ships no `preProcessFile`, its in-process JS API is the scanner), and
 * the module specifiers of every import form are collected, `import type` included:
 *
 *   import x from 'm'   import 'm'   import type { T } from 'm'   import x = require('m')
 *   export * from 'm'   export { a } from 'm'   export type { T } from 'm'
 *   import('m')  (also `typeof import('m')` in types)   require('m')
 *
 * Comments, strings, template literals and regular expressions are skipped by the scanner, so
 * `// import 'x'` or `/from 'x'/` is not an import. A dynamic import whose argument is not a
 * literal is recorded with `specifier: undefined` (a rule cannot see through it).
 */
import { builtinModules } from 'node:module';
import { SyntaxKind } from 'typescript/unstable/ast';
import { createScanner } from 'typescript/unstable/ast/scanner';

export type ImportKind = 'import' | 'import-type' | 'export-from' | 'dynamic' | 'require';

export interface ImportRef {
  /** The module specifier as written; undefined for a dynamic import of a computed value. */
  specifier: string | undefined;
  kind: ImportKind;
  /** 1-based line of the `import`/`export`/`require` keyword. */
  line: number;
}

export type ImportTarget = { kind: 'project'; path: string } | { kind: 'builtin'; name: string } | { kind: 'package'; name: string } | { kind: 'unknown' };

export interface ImportEdge extends ImportRef {
  /** Repository-relative path of the importing file (POSIX separators). */
  from: string;
  target: ImportTarget;
}

/** Tokens after which a `/` divides; after anything else it starts a regular expression. */
const ENDS_EXPRESSION = new Set<SyntaxKind>([
  SyntaxKind.Identifier,
  SyntaxKind.PrivateIdentifier,
  SyntaxKind.NumericLiteral,
  SyntaxKind.BigIntLiteral,
  SyntaxKind.StringLiteral,
  SyntaxKind.NoSubstitutionTemplateLiteral,
  SyntaxKind.TemplateTail,
  SyntaxKind.RegularExpressionLiteral,
  SyntaxKind.CloseParenToken,
  SyntaxKind.CloseBracketToken,
  SyntaxKind.CloseBraceToken,
  SyntaxKind.PlusPlusToken,
  SyntaxKind.MinusMinusToken,
  SyntaxKind.ThisKeyword,
  SyntaxKind.SuperKeyword,
  SyntaxKind.TrueKeyword,
  SyntaxKind.FalseKeyword,
  SyntaxKind.NullKeyword,
]);

function isReservedWord(k: SyntaxKind): boolean {
  return k >= SyntaxKind.FirstReservedWord && k <= SyntaxKind.LastReservedWord;
}

function isKeyword(k: SyntaxKind): boolean {
  return k >= SyntaxKind.FirstKeyword && k <= SyntaxKind.LastKeyword;
}

function isNameLike(k: SyntaxKind): boolean {
  return k === SyntaxKind.Identifier || isKeyword(k);
}

interface Token {
  kind: SyntaxKind;
  /** The literal's value for strings and no-substitution templates, the text otherwise. */
  value: string;
  start: number;
}

/** The significant tokens of a TypeScript source, with template and regex re-scanning. */
function tokenize(text: string): Token[] {
  const scanner = createScanner(true, undefined, text);
  const tokens: Token[] = [];
  // One entry per open `{` or `${`: true when it is a template substitution.
  const braces: boolean[] = [];
  let prev: SyntaxKind = SyntaxKind.Unknown;
  for (;;) {
    let kind = scanner.scan();
    if (kind === SyntaxKind.EndOfFile) break;
    if (kind === SyntaxKind.SlashToken || kind === SyntaxKind.SlashEqualsToken) {
      // Contextual keywords (`of`, `type`, …) may be identifiers, reserved words never are.
      const divides = ENDS_EXPRESSION.has(prev) || (isKeyword(prev) && !isReservedWord(prev));
      if (!divides) kind = scanner.reScanSlashToken();
    } else if (kind === SyntaxKind.OpenBraceToken) {
      braces.push(false);
    } else if (kind === SyntaxKind.TemplateHead) {
      braces.push(true);
    } else if (kind === SyntaxKind.CloseBraceToken) {
      if (braces.pop() === true) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === SyntaxKind.TemplateMiddle) braces.push(true);
      }
    }
    const value = kind === SyntaxKind.StringLiteral || kind === SyntaxKind.NoSubstitutionTemplateLiteral ? scanner.getTokenValue() : scanner.getTokenText();
    tokens.push({ kind, value, start: scanner.getTokenStart() });
    prev = kind;
  }
  return tokens;
}

function lineOf(lineStarts: number[], pos: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

type StringToken = Token & { kind: SyntaxKind.StringLiteral | SyntaxKind.NoSubstitutionTemplateLiteral };
const isString = (t: Token | undefined): t is StringToken => t?.kind === SyntaxKind.StringLiteral || t?.kind === SyntaxKind.NoSubstitutionTemplateLiteral;

/** Every module specifier a TypeScript source imports or re-exports, in source order. */
export function extractImports(text: string): ImportRef[] {
  const tokens = tokenize(text);
  const starts = lineStartsOf(text);
  const refs: ImportRef[] = [];
  const at = (i: number) => tokens[i];
  const kindAt = (i: number) => tokens[i]?.kind;

  /**
   * From the token after `import`/`export`, walk an import or export clause (names, `type`,
   * `*`, `as`, commas, one `{ … }`) up to `from 'm'` or `= require('m')`; the index of the
   * specifier token, or undefined when the statement imports nothing.
   */
  const clauseSpecifier = (i: number): { index: number; via: 'from' | 'require' } | undefined => {
    const fromAt = (j: number) => (kindAt(j) === SyntaxKind.FromKeyword && isString(at(j + 1)) ? { index: j + 1, via: 'from' as const } : undefined);
    for (let j = i; j < tokens.length; j++) {
      const k = kindAt(j) ?? SyntaxKind.Unknown;
      if (k === SyntaxKind.OpenBraceToken) {
        // Named bindings: names, `as`, `type`, commas and string names up to the `}`.
        let close = j + 1;
        while (close < tokens.length && kindAt(close) !== SyntaxKind.CloseBraceToken) {
          const c = kindAt(close) ?? SyntaxKind.Unknown;
          if (!(isNameLike(c) || c === SyntaxKind.CommaToken || c === SyntaxKind.StringLiteral)) return undefined;
          close++;
        }
        return fromAt(close + 1);
      }
      const found = fromAt(j);
      if (found) return found;
      if (k === SyntaxKind.EqualsToken) {
        return kindAt(j + 1) === SyntaxKind.RequireKeyword && kindAt(j + 2) === SyntaxKind.OpenParenToken && isString(at(j + 3))
          ? { index: j + 3, via: 'require' }
          : undefined;
      }
      if (!(isNameLike(k) || k === SyntaxKind.AsteriskToken || k === SyntaxKind.CommaToken)) return undefined;
    }
    return undefined;
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const afterDot = kindAt(i - 1) === SyntaxKind.DotToken || kindAt(i - 1) === SyntaxKind.QuestionDotToken;
    if (afterDot) continue;
    const line = lineOf(starts, t.start);
    if (t.kind === SyntaxKind.ImportKeyword) {
      const next = at(i + 1);
      if (next?.kind === SyntaxKind.OpenParenToken) {
        const arg = at(i + 2);
        const literal = isString(arg) && (kindAt(i + 3) === SyntaxKind.CloseParenToken || kindAt(i + 3) === SyntaxKind.CommaToken);
        refs.push({ specifier: literal ? arg.value : undefined, kind: 'dynamic', line });
      } else if (next?.kind === SyntaxKind.DotToken) {
        // import.meta
      } else if (isString(next)) {
        refs.push({ specifier: next.value, kind: 'import', line });
      } else {
        const found = clauseSpecifier(i + 1);
        if (found) {
          const typeOnly = next?.kind === SyntaxKind.TypeKeyword && kindAt(i + 2) !== SyntaxKind.FromKeyword && kindAt(i + 2) !== SyntaxKind.CommaToken;
          refs.push({ specifier: (at(found.index) as Token).value, kind: typeOnly ? 'import-type' : found.via === 'require' ? 'require' : 'import', line });
          i = found.index;
        }
      }
    } else if (t.kind === SyntaxKind.ExportKeyword) {
      let j = i + 1;
      if (kindAt(j) === SyntaxKind.TypeKeyword) j++;
      if (kindAt(j) === SyntaxKind.AsteriskToken || kindAt(j) === SyntaxKind.OpenBraceToken) {
        const found = clauseSpecifier(j);
        if (found?.via === 'from') {
          refs.push({ specifier: (at(found.index) as Token).value, kind: 'export-from', line });
          i = found.index;
        }
      }
    } else if (t.kind === SyntaxKind.RequireKeyword) {
      const arg = at(i + 2);
      if (kindAt(i + 1) === SyntaxKind.OpenParenToken && isString(arg) && kindAt(i + 3) === SyntaxKind.CloseParenToken) {
        refs.push({ specifier: arg.value, kind: 'require', line });
      }
    }
  }
  return refs;
}

const BUILTINS = new Set(builtinModules);

/** Normalise a POSIX path ('a/./b/../c' → 'a/c'); a leading '..' that escapes the root is kept. */
function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/**
 * What a specifier names, seen from `from` (a repository-relative path). Relative specifiers
 * resolve to repository paths: the literal path when it exists in `files` (or when `files`
 * is not given), else `.js` → `.ts`, then `<p>.ts`, then `<p>/index.ts`.
 */
export function resolveImport(from: string, specifier: string | undefined, files?: ReadonlySet<string>): ImportTarget {
  if (specifier === undefined) return { kind: 'unknown' };
  if (specifier.startsWith('node:')) return { kind: 'builtin', name: specifier.slice(5) };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const base = normalizePath(specifier.startsWith('/') ? specifier : `${dirname(from)}/${specifier}`);
    if (!files) return { kind: 'project', path: base };
    const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`];
    return { kind: 'project', path: candidates.find((c) => files.has(c)) ?? base };
  }
  if (BUILTINS.has(specifier)) return { kind: 'builtin', name: specifier };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  if (BUILTINS.has(name)) return { kind: 'builtin', name: specifier };
  return { kind: 'package', name };
}

/**
 * The import graph of a set of sources, keyed by repository-relative POSIX path: one edge per
 * import statement, in path then source order.
 */
export function buildImportGraph(sources: ReadonlyMap<string, string>, otherFiles: Iterable<string> = []): ImportEdge[] {
  const files = new Set<string>([...sources.keys(), ...otherFiles]);
  const edges: ImportEdge[] = [];
  for (const from of [...sources.keys()].sort()) {
    for (const ref of extractImports(sources.get(from) as string)) {
      edges.push({ ...ref, from, target: resolveImport(from, ref.specifier, files) });
    }
  }
  return edges;
}
