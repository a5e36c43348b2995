/**
 * Command-line conventions in one place: data on stdout, progress and logs on stderr,
 * colour only on a TTY and never with NO_COLOR, exit codes 0 ok / 1 error / 2 findings.
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_FINDINGS = 2;

/** An expected failure: one line for the user, an exit code, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message);
  }
}

function colourEnabled(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';
}

const paint = (code: number) => (text: string, stream: NodeJS.WriteStream = process.stderr) =>
  colourEnabled(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;

export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);
export const bold = paint(1);

/** Data for the caller (pipes, files). */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Progress and logs for the operator. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
