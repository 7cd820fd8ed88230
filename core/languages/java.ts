import { toolCandidates } from './candidates';
import { javaSource } from './javaSource';
import { MiB, type Language } from './language';

/**
 * JVM flags for a short run under RLIMIT_AS: the serial collector (one GC thread, the least reserved), no perf data
 * file in /tmp (denied to sandbox uids without bwrap), class-data sharing for a faster start, and small fixed
 * reservations for compressed class space and code cache (by default 1 GiB and 240 MiB of address space).
 */
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:-UsePerfData', '-Xshare:auto', '-XX:CompressedClassSpaceSize=64m', '-XX:ReservedCodeCacheSize=64m'];
const jdkTool = (name: string, versionArgs: string[]) => ({
  candidates: toolCandidates(name, { layers: ['jdk', 'java'], extra: [`/usr/lib/jvm/default-java/bin/${name}`] }),
  versionArgs,
});

export const java: Language = {
  id: 'java',
  name: 'Java',
  aliases: ['jdk'],
  editorMode: 'java',
  source: javaSource,
  tools: { javac: jdkTool('javac', ['-J-XX:-UsePerfData', '-version']), java: jdkTool('java', ['-XX:-UsePerfData', '-version']) },
  versionTool: 'javac',
  compile: {
    // javac needs no peak performance: the client compiler only starts fastest.
    command: (x) => [x.tools.javac, ...JVM_FLAGS.map((f) => `-J${f}`), '-J-XX:TieredStopAtLevel=1', '-J-Xmx512m', '-encoding', 'UTF-8', '-d', '.', x.fileName],
    limits: { memoryBytes: 1536 * MiB },
  },
  // The heap is the run's memory limit; 16 MiB thread stacks for deep recursion (RLIMIT_AS carries them, below).
  run: (x) => [x.tools.java, ...JVM_FLAGS, `-Xmx${Math.max(16, Math.floor(x.memoryBytes / MiB))}m`, '-Xss16m', '-Dfile.encoding=UTF-8', '-cp', '.', x.entry, ...x.userArgs],
  // One malloc arena per thread would reserve 64 MiB of address space each.
  env: () => ({ MALLOC_ARENA_MAX: '2' }),
  // Beyond the heap: class space, code cache, thread stacks, the CDS archive (about 550 MiB measured with these flags).
  addressSpaceOverheadBytes: 768 * MiB,
  memoryErrorPatterns: [/java\.lang\.OutOfMemoryError/, /Could not reserve enough space/, /insufficient memory for the Java Runtime/],
  helloWorld: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, World!");\n    }\n}\n',
};
