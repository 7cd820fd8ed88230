import { toolCandidates } from './candidates';
import { fixedSource, type Language } from './language';

export const perl: Language = {
  id: 'perl',
  name: 'Perl',
  aliases: ['pl', 'perl5'],
  editorMode: 'perl',
  source: fixedSource('main.pl'),
  tools: { perl: { candidates: toolCandidates('perl', { layers: ['perl'] }), versionArgs: ['-e', 'print "perl $^V\\n"'] } },
  versionTool: 'perl',
  run: (c) => [c.tools.perl, c.fileName, ...c.userArgs],
  env: () => ({}),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/Out of memory/],
  helloWorld: 'print "Hello, World!\\n";\n',
};
