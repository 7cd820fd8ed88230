/**
 * A judge answer as Piston's execute response: `{language, version, run, compile?}`, each stage `{stdout, stderr,
 * output, code, signal, message, status, cpu_time, wall_time, memory}` with Piston's status codes (RE non-zero exit,
 * SG a signal, TO time, OL / EL stdout / stderr past its cap, XX internal), times in ms and memory in bytes. A compile
 * error has `run` too, the very compile stage: Piston's api/src/api/v2.js sets `result.run = result.compile` when the
 * run stage never started (its "backward compatibility" since commit 11841b3), and clients such as piston-client's
 * users read `.run.output` without looking for `compile` first. `output` is stdout then stderr: the run keeps them
 * apart and does not record their interleaving.
 */
import type { ExecuteResult } from '../../core/judge/executeResult';
import { findLanguage, type Language } from '../../core/languages';
import type { RuntimeInfo } from '../../core/protocol';
import { hasCompileStep } from '../../core/judge/judgeCommands';
import { compileTimedOut } from '../../core/judge/compileVerdict';
import { pistonRuntime } from './pistonRuntimes';
import { isolateSignal } from '../isolateSignal';

export interface PistonStage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: 'RE' | 'SG' | 'TO' | 'OL' | 'EL' | 'XX' | null;
  cpu_time: number;
  wall_time: number;
  memory: number;
}

function statusOf(result: ExecuteResult): PistonStage['status'] {
  switch (result.status) {
    case 'ok':
    case 'accepted':
    case 'wrong_answer':
      return null;
    case 'runtime_error':
      return result.signal ? 'SG' : 'RE';
    case 'timeout':
      return 'TO';
    case 'output_limit':
      return /stderr/.test(result.message ?? '') ? 'EL' : 'OL';
    case 'memory_limit':
      // Piston's sandbox kills the program past its memory: a signal.
      return 'SG';
    case 'compile_error':
      return 'RE';
    case 'disk_limit':
    case 'internal_error':
      return 'XX';
  }
}

function runStage(result: ExecuteResult): PistonStage {
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    output: result.stdout + result.stderr,
    code: result.signal ? null : result.exitCode,
    signal: isolateSignal(result),
    message: result.status === 'ok' || result.status === 'accepted' ? null : (result.message ?? null),
    status: statusOf(result),
    cpu_time: result.cpuMs,
    wall_time: result.wallMs,
    memory: result.memoryKb * 1024,
  };
}

/**
 * The compiler's stage: its messages (one stream here) as stderr, its exit as 0 or 1. A compiler stopped for time is
 * Piston's timed-out stage (api/src/job.js): isolate wrote no exit code, so `code` is null, `signal` SIGKILL and
 * `status` TO, not RE, which a client would read as the code being refused.
 */
function compileStage(result: ExecuteResult): PistonStage {
  const failed = result.status === 'compile_error';
  const timedOut = failed && compileTimedOut(result.message);
  const text = result.compileOutput ?? '';
  return {
    stdout: '',
    stderr: text,
    output: text,
    code: timedOut ? null : failed ? 1 : 0,
    signal: failed ? isolateSignal(result) : null,
    message: failed ? (result.message ?? null) : null,
    status: timedOut ? 'TO' : failed ? 'RE' : null,
    cpu_time: 0,
    wall_time: 0,
    memory: 0,
  };
}

function compiles(lang: Language | undefined): boolean {
  return !!lang && (hasCompileStep(lang) || lang.transform !== undefined);
}

export function pistonResponse(runtime: RuntimeInfo, result: ExecuteResult): Record<string, unknown> {
  const r = pistonRuntime(runtime);
  const compiled = compiles(findLanguage(runtime.language));
  if (result.status === 'compile_error') {
    const compile = compileStage(result);
    return { language: r.language, version: r.version, compile, run: compile };
  }
  return {
    language: r.language,
    version: r.version,
    ...(compiled ? { compile: compileStage(result) } : {}),
    run: runStage(result),
  };
}
