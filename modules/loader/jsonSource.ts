/**
 * JSON files read by the command line (a cdktf manifest.json, stack files), with the position
 * of the first syntax error: `file:line:col: invalid JSON: message (hint)`.
 */
import { readFileSync } from 'node:fs';
import { isFsError } from './safeOutput.ts';
import { displayPath } from './paths.ts';

export class JsonFileError extends Error {
  override name = 'JsonFileError';
}

/** Offset and description of the first JSON syntax error of `text`, or undefined when it parses. */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw { offset: at, message };
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describe = () => (i >= text.length ? 'unexpected end of file' : `unexpected character ${JSON.stringify(text[i])}`);
  const value = (depth: number): void => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`${describe()}, expected a property name in double quotes`);
        string();
        ws();
        if (text[i] !== ':') fail(`${describe()}, expected ':' after the property name`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`${describe()}, expected ',' or '}'`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`${describe()}, expected ',' or ']'`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === '-') fail('invalid number');
      i += m![0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`${describe()}, expected a value`);
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail('control character in a string (escape it)');
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail(`invalid escape \\${e ?? ''}`);
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string', start);
    i++;
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`${describe()} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (e && typeof e === 'object' && 'offset' in e) return e as { offset: number; message: string };
    throw e;
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      last = k;
    }
  }
  return { line, col: offset - last };
}

/** Parses JSON text; a syntax error becomes `file:line:col: invalid JSON: message (hint)`. */
export function parseJsonText(file: string, text: string, hint = 'fix the JSON syntax'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const err = jsonSyntaxError(text) ?? { offset: 0, message: 'not valid JSON' };
    const { line, col } = lineCol(text, err.offset);
    throw new JsonFileError(`${displayPath(file)}:${line}:${col}: invalid JSON: ${err.message} (${hint})`);
  }
}

/** Reads and parses a JSON file; system errors and syntax errors are one located line. */
export function readJsonFile(file: string, hint?: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (isFsError(e) && e.code === 'EISDIR')
      throw new JsonFileError(`${displayPath(file)}: is a directory, expected a JSON file (${hint ?? 'give the path of the JSON file'})`);
    if (isFsError(e) && e.code === 'ENOENT') throw new JsonFileError(`${displayPath(file)}: not found (${hint ?? 'give the path of an existing JSON file'})`);
    throw e;
  }
  return parseJsonText(file, text, hint);
}
