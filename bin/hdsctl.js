#!/usr/bin/env node
// Entry point of `npx hdsctl`: loads the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

// A closed pipe (`hdsctl show ... | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

register();
const { main } = await import('../scripts/hdsctl/main.ts');
process.exitCode = await main(process.argv.slice(2));
