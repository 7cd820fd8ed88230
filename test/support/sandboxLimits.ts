/** The run limits the sandbox-level tests give their programs: roomy enough for python, small enough to matter. */
import type { RunLimits } from '../../core/protocol';
import { RUN_LIMITS } from '../../core/runLimits';

export const SANDBOX_TEST_LIMITS: RunLimits = {
  timeoutMs: 30_000,
  busyTimeoutMs: RUN_LIMITS.busyTimeoutMs.default,
  outputBytes: 1 << 20,
  memoryBytes: 512 << 20,
  cpuMs: 20_000,
  processes: 32,
  fileBytes: 8 << 20,
  openFiles: 128,
  diskBytes: 64 << 20,
};
