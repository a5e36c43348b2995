/**
 * Process entry point of the WAF log relay (issue 11, EXG_SEC_5.4):
 *   node --import tsx modules/runtime/wafLogRelay/main.ts --config <log-relay.json>
 * SIGHUP reopens the output files (rotation); SIGTERM/SIGINT stop it (exit 0). An invalid
 * configuration or a port that cannot be bound exits 1 and the supervisor restarts it.
 * Its own output (stdout) is status lines only, never a request value.
 */
import { loadRelayConfig, startWafLogRelay } from './relay.ts';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function fail(msg: string, err?: unknown): never {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: 'waf-log-relay', msg, error: err instanceof Error ? err.message : err })}\n`,
  );
  process.exit(1);
}

process.on('uncaughtException', (err) => fail('fatal: uncaught exception', err));

async function main(): Promise<void> {
  const file = argValue(process.argv.slice(2), '--config');
  if (!file) {
    process.stderr.write('usage: main.ts --config <log-relay.json>\n');
    process.exit(2);
  }
  const relay = await startWafLogRelay(await loadRelayConfig(file));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 5000);
    hard.unref();
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => relay.reopen());
}

main().catch((err: unknown) => fail('fatal', err));
