/** Worker thread: processes the units the main thread sends, reports progress and results. */
import { parentPort, workerData } from 'node:worker_threads';
import { type Job, type UnitTask, UnitProcessor } from './work.ts';

const port = parentPort!;
const job = workerData as Job;
let entities = 0;
let rows = 0;
let last = performance.now();
const processor = new UnitProcessor(job, (n, r) => {
  entities += n;
  rows += r;
  const now = performance.now();
  if (now - last > 200) {
    port.postMessage({ type: 'progress', entities, rows });
    entities = 0;
    rows = 0;
    last = now;
  }
});

port.on('message', async (msg: { type: 'unit'; task: UnitTask } | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    await processor.close();
    port.postMessage({ type: 'progress', entities, rows });
    port.postMessage({ type: 'closed' });
    return;
  }
  try {
    const result = await processor.process(msg.task);
    port.postMessage({ type: 'progress', entities, rows });
    entities = 0;
    rows = 0;
    port.postMessage({ type: 'done', result });
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message });
  }
});
port.postMessage({ type: 'ready' });
