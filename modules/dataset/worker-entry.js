// Worker thread bootstrap: load TypeScript through tsx (no build step), then the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
