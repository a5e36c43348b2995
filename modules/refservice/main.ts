/**
 * Process entry point of the reference service:
 *   node --import tsx modules/refservice/main.ts --config <file.json|yaml>
 * Stops cleanly on SIGTERM/SIGINT (in-flight requests finish, pool and HSM session closed).
 */

import { startRefService } from './app.ts';
import { loadConfig } from './config.ts';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

async function main(): Promise<void> {
  const file = argValue(process.argv.slice(2), '--config');
  if (!file) {
    process.stderr.write('usage: main.ts --config <file>\n');
    process.exit(2);
  }
  const cfg = await loadConfig(file);
  const svc = await startRefService(cfg);
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
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: 'refservice', msg: 'fatal', error: (err as Error).message })}\n`,
  );
  process.exit(1);
});
