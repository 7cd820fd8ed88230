import { toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const bash: Language = {
  id: 'bash',
  name: 'Bash',
  aliases: ['sh', 'shell'],
  editorMode: 'shell',
  source: fixedSource('main.sh'),
  tools: { bash: { candidates: ['/bin/bash', ...toolCandidates('bash')], versionArgs: ['--version'] } },
  versionTool: 'bash',
  run: (c) => [c.tools.bash, c.fileName, ...c.userArgs],
  env: () => ({}),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/Cannot allocate memory/],
  helloWorld: 'echo "Hello, World!"\n',
};
