/**
 * Judge0's `GET /config_info` (its app/helpers/config.rb `Config.config_info`, v1.13.1): every field it has, with
 * its type, holding what this deployment really does. The official judge0-python SDK reads it when a Client is made
 * (after `/languages`) into a model that requires each field, so none may be left out.
 *
 * The limits come from the judge's own ranges under the run policy (core/judge/judgeLimitRanges.ts), the same ones
 * submissions are checked against, and the processes and file size from the policy's defaults that every judge run
 * gets (core/judge/executeAndWait.ts judgeRunLimits). What pocketrun refuses (callbacks, extra files, compiler
 * options, network, delete) is disabled. Knobs it takes and ignores, with nothing of their own here (extra CPU time,
 * a stack limit apart from memory, extracted archives), say 0; a run has no queue limit (nothing answers "queue is
 * full"), which the largest safe integer says to a client that throttles on it, and no result cache.
 */
import type { LimitPolicy } from '../../core/limitPolicy';
import { judgeLimitRanges } from '../../core/judge/judgeLimitRanges';

/** The most submissions in one batch, both ways (Judge0's default `MAX_SUBMISSION_BATCH_SIZE`). */
export const JUDGE0_MAX_BATCH = 20;

const seconds = (ms: number) => ms / 1000;

export function judge0ConfigInfo(policy: LimitPolicy): Record<string, boolean | number | string[]> {
  const ranges = judgeLimitRanges(policy);
  const processes = policy.processes.default;
  const fileKb = Math.round(policy.fileBytes.default / 1024);
  return {
    maintenance_mode: false,
    enable_wait_result: true,
    enable_compiler_options: false,
    allowed_languages_for_compile_options: [],
    enable_command_line_arguments: true,
    enable_submission_delete: false,
    enable_callbacks: false,
    callbacks_max_tries: 0,
    callbacks_timeout: 0,
    enable_additional_files: false,
    max_queue_size: Number.MAX_SAFE_INTEGER,
    cpu_time_limit: seconds(ranges.cpuMs.default),
    max_cpu_time_limit: seconds(ranges.cpuMs.max),
    cpu_extra_time: 0,
    max_cpu_extra_time: 0,
    wall_time_limit: seconds(ranges.timeoutMs.default),
    max_wall_time_limit: seconds(ranges.timeoutMs.max),
    memory_limit: ranges.memoryMb.default * 1024,
    max_memory_limit: ranges.memoryMb.max * 1024,
    stack_limit: 0,
    max_stack_limit: 0,
    // Sent values are ignored: the policy's figure holds, so the default is also the most.
    max_processes_and_or_threads: processes,
    max_max_processes_and_or_threads: processes,
    enable_per_process_and_thread_time_limit: false,
    allow_enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    allow_enable_per_process_and_thread_memory_limit: false,
    max_file_size: fileKb,
    max_max_file_size: fileKb,
    number_of_runs: 1,
    max_number_of_runs: 1,
    redirect_stderr_to_stdout: false,
    max_extract_size: 0,
    enable_batched_submissions: true,
    max_submission_batch_size: JUDGE0_MAX_BATCH,
    submission_cache_duration: 0,
    use_docs_as_homepage: false,
    allow_enable_network: false,
    enable_network: false,
  };
}
