import { pathWith, toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

/** gcc's driver, shared with C++: `-pipe` keeps its intermediate files out of the disk cap and of TMPDIR. */
export const GCC_FLAGS = ['-pipe', '-O2'];

export const c: Language = {
  id: 'c',
  name: 'C',
  aliases: ['gcc', 'c11', 'c17'],
  editorMode: 'c',
  source: fixedSource('main.c'),
  tools: { gcc: { candidates: toolCandidates('gcc', { layers: ['gcc'] }), versionArgs: ['--version'] } },
  versionTool: 'gcc',
  compile: { command: (x) => [x.tools.gcc, ...GCC_FLAGS, '-o', 'main', x.fileName, '-lm'] },
  run: (x) => ['./main', ...x.userArgs],
  // A layer's gcc finds its assembler and linker on PATH.
  env: (x) => ({ PATH: pathWith(x.tools.gcc) }),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/Cannot allocate memory/],
  helloWorld: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, World!\\n");\n    return 0;\n}\n',
};
