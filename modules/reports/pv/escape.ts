/** Escaping of every value a PV (drill, restore test) takes from its run, for HTML/SVG and for Markdown. */

/** Text and attribute values of HTML and SVG. */
export const escHtml = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/**
 * Inline Markdown text (also a table cell): HTML special characters as entities, Markdown
 * punctuation and table pipes backslash-escaped, line breaks as spaces.
 */
export const mdText = (s: unknown): string =>
  String(s ?? '')
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([`*_[\]|~])/g, '\\$1');

/** One line of free text at the start of a Markdown line: inline escaping, and no block marker (heading, list, quote, rule). */
export const mdLine = (s: unknown): string =>
  mdText(s).replace(/^(\s*)([#+=-]|\d+\.)/, (_m, sp: string, mark: string) => `${sp}${mark.replace(/([#+=.-])/, '\\$1')}`);

const longestRun = (s: string) => Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));

/** A code span (ids, paths, hashes): literal content; in a table, pipes escaped (GitHub/GitLab tables require it even in code). */
export const mdCode = (s: unknown, inTable = true): string => {
  const one = String(s ?? '').replace(/\r?\n|\r/g, ' ');
  const v = inTable ? one.replace(/\|/g, '\\|') : one;
  const fence = '`'.repeat(longestRun(v) + 1);
  const pad = v.startsWith('`') || v.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
};

/** A fenced code block of literal lines; the fence is longer than any backtick run inside. */
export const mdFence = (lines: unknown[]): string[] => {
  const body = lines.map((l) => String(l ?? '').replace(/\r/g, ''));
  const fence = '`'.repeat(Math.max(3, longestRun(body.join('\n')) + 1));
  return [`${fence}text`, ...body, fence];
};
