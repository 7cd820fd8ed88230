/**
 * core/compileLimits.ts: a request (Piston's `compile_*`) can lower the compile budget, never raise it, never below a
 * run limit's minimum, and a manifest's non-numbers are ignored.
 */
import { compileLimits, type CompileBudget } from '../../core/compileLimits';
import * as L from '../../core/limits';
import { RUN_LIMITS } from '../../core/runLimits';
import { SANDBOX_TEST_LIMITS } from '../support/sandboxLimits';

const step = { command: () => ['cc'], limits: { memoryBytes: 2 * L.COMPILE_MEMORY_BYTES } };

const cases: Array<[string, CompileBudget | Record<string, unknown>, { timeoutMs: number; cpuMs: number; memoryBytes: number }]> = [
  ['nothing asked: the budget (with the language\'s memory)', {}, { timeoutMs: L.COMPILE_TIMEOUT_MS, cpuMs: L.COMPILE_CPU_MS, memoryBytes: 2 * L.COMPILE_MEMORY_BYTES }],
  ['less asked: lowered', { timeoutMs: 2_000, cpuMs: 1_500, memoryBytes: 64 << 20 }, { timeoutMs: 2_000, cpuMs: 1_500, memoryBytes: 64 << 20 }],
  ['more asked: the budget', { timeoutMs: 10 * L.COMPILE_TIMEOUT_MS, cpuMs: 10 * L.COMPILE_CPU_MS, memoryBytes: 10 * L.COMPILE_MEMORY_BYTES }, { timeoutMs: L.COMPILE_TIMEOUT_MS, cpuMs: L.COMPILE_CPU_MS, memoryBytes: 2 * L.COMPILE_MEMORY_BYTES }],
  ['below the minimum: the minimum', { timeoutMs: 1, cpuMs: 1, memoryBytes: 1 }, { timeoutMs: RUN_LIMITS.timeoutMs.min, cpuMs: RUN_LIMITS.cpuMs.min, memoryBytes: RUN_LIMITS.memoryBytes.min }],
  ['not numbers (a tampered manifest): ignored', { timeoutMs: '5', cpuMs: null, memoryBytes: Number.NaN }, { timeoutMs: L.COMPILE_TIMEOUT_MS, cpuMs: L.COMPILE_CPU_MS, memoryBytes: 2 * L.COMPILE_MEMORY_BYTES }],
];

test.each(cases)('%s', (_name, asked, expected) => {
  const limits = compileLimits(step, SANDBOX_TEST_LIMITS, asked as CompileBudget);
  expect({ timeoutMs: limits.timeoutMs, cpuMs: limits.cpuMs, memoryBytes: limits.memoryBytes }).toEqual(expected);
  expect(limits.busyTimeoutMs).toBe(limits.timeoutMs);
  expect(limits.diskBytes).toBe(SANDBOX_TEST_LIMITS.diskBytes);
});
