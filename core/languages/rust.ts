import { pathWith, toolCandidates } from './candidates';
import { fixedSource, MiB, type Language } from './language';

export const rust: Language = {
  id: 'rust',
  name: 'Rust',
  aliases: ['rs', 'rustc'],
  editorMode: 'rust',
  source: fixedSource('main.rs'),
  tools: {
    rustc: { candidates: toolCandidates('rustc', { layers: ['rust'] }), versionArgs: ['--version'] },
    // rustc links with the C compiler driver.
    cc: { candidates: [...toolCandidates('cc', { layers: ['gcc'] }), ...toolCandidates('gcc', { layers: ['gcc'] })], versionArgs: ['--version'] },
  },
  versionTool: 'rustc',
  compile: {
    // Optimised, as contests expect; std's debug info stripped (11 MB → 0.4 MB in the run's disk cap).
    command: (x) => [x.tools.rustc, '--edition', '2021', '-O', '-C', 'strip=debuginfo', '-C', `linker=${x.tools.cc}`, '-o', 'main', x.fileName],
    limits: { memoryBytes: 2048 * MiB },
  },
  run: (x) => ['./main', ...x.userArgs],
  env: (x) => ({ PATH: pathWith(x.tools.cc) }),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/memory allocation of \d+ bytes failed/],
  helloWorld: 'fn main() {\n    println!("Hello, World!");\n}\n',
};
