/**
 * The cell a judge run is prepared in: the program's file (its source as the language names it, transformed where
 * the language asks) and the extra files in its working folder, the language's environment, the run's limits for
 * what is the cell's own (its disk cap). The cell's own `spawn` is never used: every command of the run is a
 * metered spawn (runStep.ts).
 */
import * as L from '../limits';
import type { SandboxRequest } from '../ports';
import type { RunLimits } from '../protocol';
import type { JudgeCommands } from './judgeCommands';
import type { JudgeSpec } from './judgeSpec';
import { streamBytes } from './streamText';

export function judgeCellRequest(
  runId: string,
  source: { fileName: string; content: string },
  spec: JudgeSpec,
  commands: JudgeCommands,
  env: Record<string, string>,
  limits: RunLimits,
  allowNetwork: boolean,
): SandboxRequest {
  return {
    runId,
    files: [{ path: source.fileName, content: source.content }, ...spec.files.map((f) => ({ path: f.name, content: streamBytes(f.content, f.contentBase64) }))],
    command: commands.run,
    env,
    limits: { ...limits, memoryBytes: limits.memoryBytes + commands.addressSpaceOverheadBytes },
    allowNetwork,
    cols: L.DEFAULT_COLS,
    rows: L.DEFAULT_ROWS,
    // Every command of a judge run goes through pipes (spawnMetered).
    terminal: false,
  };
}
