import { toolCandidates } from './candidates';
import { fixedSource, MiB, type Language } from './language';

export const php: Language = {
  id: 'php',
  name: 'PHP',
  aliases: [],
  editorMode: 'php',
  source: fixedSource('main.php'),
  tools: { php: { candidates: toolCandidates('php', { layers: ['php'] }), versionArgs: ['--version'] } },
  versionTool: 'php',
  // PHP's own memory limit is the run's, so running out says so ("Allowed memory size ... exhausted") instead of
  // dying at the address-space limit; errors go to the output as a terminal user expects.
  run: (c) => [c.tools.php, '-d', `memory_limit=${Math.max(16, Math.floor(c.memoryBytes / MiB))}M`, '-d', 'display_errors=stderr', c.fileName, ...c.userArgs],
  env: () => ({}),
  addressSpaceOverheadBytes: 0,
  memoryErrorPatterns: [/Allowed memory size of \d+ bytes exhausted/, /Out of memory/],
  helloWorld: '<?php\necho "Hello, World!\\n";\n',
};
