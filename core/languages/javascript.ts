import { toolCandidates } from './candidates';
import { fixedSource, MiB, type CommandContext, type Language } from './language';

export const NODE_TOOL = { candidates: toolCandidates('node', { fcRuntime: 'nodejs20', layers: ['node', 'nodejs'] }), versionArgs: ['--version'] };

/** V8's heap is capped at the run's memory limit; RLIMIT_AS gets V8's reservations on top (NODE_OVERHEAD_BYTES). */
export function nodeArgs(c: CommandContext): string[] {
  return [c.tools.node, `--max-old-space-size=${Math.max(16, Math.floor(c.memoryBytes / MiB))}`, c.fileName, ...c.userArgs];
}

/** V8 maps about 700 MiB of address ranges at start. */
export const NODE_OVERHEAD_BYTES = 1024 * MiB;
/**
 * How Node says it ran out: V8's heap, the C library, or (under RLIMIT_AS, when a Buffer's backing store is what
 * cannot be had before the heap's limit is reached) the ArrayBuffer allocator's RangeError, seen now and then by
 * test/integration/execute.test.ts's memory test in uid isolation without cgroups.
 */
export const NODE_MEMORY_ERRORS = [/JavaScript heap out of memory/, /Cannot allocate memory/, /RangeError: Array buffer allocation failed/];

export const javascript: Language = {
  id: 'javascript',
  name: 'JavaScript (Node.js)',
  aliases: ['js', 'node', 'nodejs', 'node.js'],
  editorMode: 'javascript',
  source: fixedSource('main.js'),
  tools: { node: NODE_TOOL },
  versionTool: 'node',
  run: nodeArgs,
  env: () => ({}),
  addressSpaceOverheadBytes: NODE_OVERHEAD_BYTES,
  memoryErrorPatterns: NODE_MEMORY_ERRORS,
  helloWorld: "console.log('Hello, World!');\n",
};
