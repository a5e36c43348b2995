/** JSON-lines logger: one object per line on stdout, with the correlation id when known. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  correlation_id?: string;
  [key: string]: unknown;
}

export type LogSink = (line: string) => void;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function createLogger(service: string, sink: LogSink = (l) => process.stdout.write(`${l}\n`)): Logger {
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    sink(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields }));
  };
  return {
    log,
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
