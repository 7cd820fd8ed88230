/**
 * Judge0's `/config_info` (handlers/judge0/judge0ConfigInfo.ts): exactly the fields of Judge0 v1.13.1's
 * app/helpers/config.rb, each of the type the judge0-python SDK's `Config` model requires (src/judge0/base_types.py),
 * and the limits read off the deployment's policy rather than typed again.
 */
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import { RUN_LIMITS } from '../../core/runLimits';
import { judge0ConfigInfo } from '../../handlers/judge0/judge0ConfigInfo';

type Kind = 'bool' | 'int' | 'float' | 'list[str]';

/** Judge0's fields and the SDK's type of each. */
const FIELDS: Record<string, Kind> = {
  maintenance_mode: 'bool',
  enable_wait_result: 'bool',
  enable_compiler_options: 'bool',
  allowed_languages_for_compile_options: 'list[str]',
  enable_command_line_arguments: 'bool',
  enable_submission_delete: 'bool',
  enable_callbacks: 'bool',
  callbacks_max_tries: 'int',
  callbacks_timeout: 'float',
  enable_additional_files: 'bool',
  max_queue_size: 'int',
  cpu_time_limit: 'float',
  max_cpu_time_limit: 'float',
  cpu_extra_time: 'float',
  max_cpu_extra_time: 'float',
  wall_time_limit: 'float',
  max_wall_time_limit: 'float',
  memory_limit: 'int',
  max_memory_limit: 'int',
  stack_limit: 'int',
  max_stack_limit: 'int',
  max_processes_and_or_threads: 'int',
  max_max_processes_and_or_threads: 'int',
  enable_per_process_and_thread_time_limit: 'bool',
  allow_enable_per_process_and_thread_time_limit: 'bool',
  enable_per_process_and_thread_memory_limit: 'bool',
  allow_enable_per_process_and_thread_memory_limit: 'bool',
  max_file_size: 'int',
  max_max_file_size: 'int',
  number_of_runs: 'int',
  max_number_of_runs: 'int',
  redirect_stderr_to_stdout: 'bool',
  max_extract_size: 'int',
  enable_batched_submissions: 'bool',
  max_submission_batch_size: 'int',
  submission_cache_duration: 'float',
  use_docs_as_homepage: 'bool',
  allow_enable_network: 'bool',
  enable_network: 'bool',
};

const isKind: Record<Kind, (v: unknown) => boolean> = {
  bool: (v) => typeof v === 'boolean',
  int: (v) => Number.isSafeInteger(v),
  float: (v) => typeof v === 'number' && Number.isFinite(v),
  'list[str]': (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};

test('every field of Judge0, no other, each of its type', () => {
  const info = judge0ConfigInfo(limitPolicyFromEnv({}));
  expect(Object.keys(info).sort()).toEqual(Object.keys(FIELDS).sort());
  for (const [field, kind] of Object.entries(FIELDS)) expect([field, isKind[kind](info[field])]).toEqual([field, true]);
});

test('the limits are the judge column of the limits table, in Judge0 units', () => {
  const info = judge0ConfigInfo(limitPolicyFromEnv({}));
  expect(info).toMatchObject({
    cpu_time_limit: RUN_LIMITS.cpuMs.judge.default / 1000,
    max_cpu_time_limit: RUN_LIMITS.cpuMs.judge.max / 1000,
    wall_time_limit: RUN_LIMITS.timeoutMs.judge.default / 1000,
    max_wall_time_limit: RUN_LIMITS.timeoutMs.judge.max / 1000,
    memory_limit: RUN_LIMITS.memoryBytes.judge.default / 1024,
    max_memory_limit: RUN_LIMITS.memoryBytes.judge.max / 1024,
    max_processes_and_or_threads: RUN_LIMITS.processes.default,
    max_file_size: RUN_LIMITS.fileBytes.default / 1024,
    max_submission_batch_size: 20,
    enable_wait_result: true,
    enable_batched_submissions: true,
  });
  expect(L.JUDGE_DEFAULT_CPU_MS).toBe(RUN_LIMITS.cpuMs.judge.default);
});

test("a deployment's lower maxima are what it says, defaults lowered with them", () => {
  const info = judge0ConfigInfo(limitPolicyFromEnv({ RUN_CPU_MAX_MS: '2500', RUN_TIMEOUT_MAX_MS: '8000', RUN_MEMORY_MAX_BYTES: String(128 * 1024 * 1024) }));
  expect(info).toMatchObject({
    cpu_time_limit: 2.5,
    max_cpu_time_limit: 2.5,
    wall_time_limit: 8,
    max_wall_time_limit: 8,
    memory_limit: 128 * 1024,
    max_memory_limit: 128 * 1024,
  });
});
