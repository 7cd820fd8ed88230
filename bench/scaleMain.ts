// `node dist/benchScale/index.js`: the scale scenarios alone (bench/scale.ts); `npm run bench` runs them too.
import { benchScale } from './scale';

benchScale().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
