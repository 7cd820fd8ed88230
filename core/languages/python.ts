import { toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const python: Language = {
  id: 'python',
  name: 'Python 3',
  aliases: ['py', 'python3', 'py3'],
  editorMode: 'python',
  source: fixedSource('main.py'),
  tools: { python: { candidates: toolCandidates('python3', { fcRuntime: 'python3.10', layers: ['python'] }), versionArgs: ['--version'] } },
  versionTool: 'python',
  // -s: no user site-packages. Not -I: that also drops the script's folder from sys.path (a multi-file program
  // could not import its own modules) and ignores the PYTHON* variables below; the sandbox's environment is
  // built from scratch anyway, so nothing else can steer the interpreter.
  run: (c) => [c.tools.python, '-s', c.fileName, ...c.userArgs],
  env: () => ({ PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' }),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/\bMemoryError\b/, /Cannot allocate memory/],
  helloWorld: "print('Hello, World!')\n",
};
