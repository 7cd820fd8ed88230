import { GCC_FLAGS } from './c';
import { pathWith, toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const cpp: Language = {
  id: 'cpp',
  name: 'C++',
  aliases: ['c++', 'g++', 'cxx'],
  editorMode: 'cpp',
  source: fixedSource('main.cpp'),
  tools: { gxx: { candidates: toolCandidates('g++', { layers: ['gcc'] }), versionArgs: ['--version'] } },
  versionTool: 'gxx',
  compile: { command: (x) => [x.tools.gxx, ...GCC_FLAGS, '-o', 'main', x.fileName] },
  run: (x) => ['./main', ...x.userArgs],
  env: (x) => ({ PATH: pathWith(x.tools.gxx) }),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/std::bad_alloc/, /Cannot allocate memory/],
  helloWorld: '#include <iostream>\n\nint main() {\n    std::cout << "Hello, World!" << std::endl;\n    return 0;\n}\n',
};
