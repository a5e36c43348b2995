/**
 * Process entry point of the reference service:
 *   node --import tsx modules/refservice/main.ts --config <file.json|yaml>
 * Stops cleanly on SIGTERM/SIGINT (in-flight requests finish, pool and HSM session closed;
 * exit 0, a second signal changes nothing). A database that does not answer is not fatal
 * (the service answers 503 meanwhile); an invalid config, a missing HSM key, a port that
 * cannot be bound or an uncaught exception are: logged, exit 1, and the supervisor (lab
 * wrapper / systemd Restart=on-failure) restarts the process.
 */

import { startRefService } from './app.ts';
import { loadConfig, RefServiceConfigError } from './config.ts';
import { createLogger, type Logger } from './log.ts';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

let log: Logger = createLogger('refservice');

function errorFields(err: unknown): Record<string, unknown> {
  // A refused configuration is one located line (file:line:col /pointer: what (how to fix)): no stack.
  if (err instanceof RefServiceConfigError) return { error: err.message };
  return err instanceof Error ? { error: err.message, stack: err.stack } : { error: String(err) };
}

// An uncaught exception leaves the process in an unknown state: log it and exit non-zero (the
// supervisor restarts us). A stray rejected promise is a bug worth a log line, not a restart.
process.on('uncaughtException', (err) => {
  log.error('fatal: uncaught exception', errorFields(err));
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  log.error('unhandled promise rejection', errorFields(reason));
});

async function main(): Promise<void> {
  const file = argValue(process.argv.slice(2), '--config');
  if (!file) {
    process.stderr.write('usage: main.ts --config <file>\n');
    process.exit(2);
  }
  const cfg = await loadConfig(file);
  log = createLogger(cfg.serviceName);
  const svc = await startRefService(cfg, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    svc.log.info('stopping', { signal });
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    svc.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.error('fatal', errorFields(err));
  process.exit(1);
});
