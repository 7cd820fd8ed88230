/**
 * The Node flags both function bundles run with: in FC (infra/customRuntime.ts, the custom runtime's command) and on
 * the local platform and the simulated cloud (local/executorInstance.ts).
 *
 * `--no-flush-bytecode`: V8 throws away the bytecode of functions that have not run for a few garbage collections,
 * and an idle instance's collections (the memory reducer's) age all of the run path out; the first run after a pause
 * then compiled it again, lazily, on its critical path: 10-15 ms more from the invocation to the executor's first
 * storage request, measured in the simulated cloud (`npm run bench -- --cloud`, BENCH_TRACE: the executor's first
 * GET 68-72 ms after the manifest's PUT instead of 56-62). Kept, the bytecode costs well under a MiB.
 */
export const HANDLER_NODE_FLAGS: readonly string[] = ['--no-flush-bytecode'];
