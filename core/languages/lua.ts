import { toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const lua: Language = {
  id: 'lua',
  name: 'Lua',
  aliases: ['lua5.4'],
  editorMode: 'lua',
  source: fixedSource('main.lua'),
  tools: { lua: { candidates: [...toolCandidates('lua5.4', { layers: ['lua'] }), ...toolCandidates('lua')], versionArgs: ['-v'] } },
  versionTool: 'lua',
  run: (c) => [c.tools.lua, c.fileName, ...c.userArgs],
  env: () => ({}),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/not enough memory/],
  helloWorld: 'print("Hello, World!")\n',
};
