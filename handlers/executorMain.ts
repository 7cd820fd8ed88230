// Entry of the executor function bundle (FC starts `node index.js`); the server itself is in executor.ts.
import { logLine } from './http';
import { main } from './executor';

main().catch((err) => {
  logLine({ event: 'startup_failed', error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
