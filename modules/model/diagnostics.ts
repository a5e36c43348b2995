/**
 * A problem found in the input, pointing at the document and the JSON path that caused it.
 * The loader turns (document, path) into `file:line:col`; the model never does I/O.
 */
export type DocumentRef = { kind: 'Environment' | 'Platform' | 'ApplicationCatalog'; name: string };

export interface Diagnostic {
  code: string;
  message: string;
  hint: string;
  doc: DocumentRef;
  path: Array<string | number>;
  /** Requirement ids of the catalog the rule enforces, when it enforces one. */
  requirements?: string[];
}

export function jsonPointer(path: Array<string | number>): string {
  return path.length === 0 ? '/' : path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
