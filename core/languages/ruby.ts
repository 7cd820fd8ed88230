import { toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const ruby: Language = {
  id: 'ruby',
  name: 'Ruby',
  aliases: ['rb'],
  editorMode: 'ruby',
  source: fixedSource('main.rb'),
  tools: { ruby: { candidates: toolCandidates('ruby', { layers: ['ruby'] }), versionArgs: ['--version'] } },
  versionTool: 'ruby',
  run: (c) => [c.tools.ruby, c.fileName, ...c.userArgs],
  env: () => ({}),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/NoMemoryError/, /failed to allocate memory/, /Cannot allocate memory/],
  helloWorld: 'puts "Hello, World!"\n',
};
