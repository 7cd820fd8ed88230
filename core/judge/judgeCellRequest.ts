/**
 * The cell a judge run is prepared in: the program's file and the extra files in its working folder, the language's
 * environment, the run's limits for what is the cell's own (its disk cap). The prepared cell's own `spawn` is never
 * used: every command of the run is a metered spawn (runStep.ts).
 */
import type { Language } from '../languages';
import * as L from '../limits';
import type { SandboxRequest } from '../ports';
import type { RunLimits } from '../protocol';
import type { JudgeSpec } from './judgeSpec';

export function judgeCellRequest(runId: string, lang: Language, code: string, spec: JudgeSpec, run: string[], limits: RunLimits, allowNetwork: boolean): SandboxRequest {
  return {
    runId,
    files: [{ path: lang.fileName, content: code }, ...spec.files.map((f) => ({ path: f.name, content: f.content }))],
    command: run,
    env: lang.env,
    limits: { ...limits, memoryBytes: limits.memoryBytes + lang.addressSpaceOverheadBytes },
    allowNetwork,
    cols: L.DEFAULT_COLS,
    rows: L.DEFAULT_ROWS,
  };
}
