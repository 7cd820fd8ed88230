import { toolCandidates } from './candidates';
import { fixedSource, MiB, type Language } from './language';

export const go: Language = {
  id: 'go',
  name: 'Go',
  aliases: ['golang'],
  editorMode: 'go',
  source: fixedSource('main.go'),
  tools: { go: { candidates: toolCandidates('go', { layers: ['go'], extra: ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'] }), versionArgs: ['version'] } },
  versionTool: 'go',
  compile: {
    command: (x) => [x.tools.go, 'build', '-o', 'main', x.fileName],
    // The go command and each compiler it starts are Go programs, with the runtime's reservations (below).
    limits: { memoryBytes: 2048 * MiB },
  },
  run: (x) => ['./main', ...x.userArgs],
  env: (x) => ({
    // The build cache and GOPATH must be absolute and writable: the run's own temporary folder (one fresh cache
    // per run; the toolchain's standard library comes precompiled with Go 1.19, so hello world builds in ~0.3 s).
    GOCACHE: '${TMPDIR}/go-build',
    GOPATH: '${TMPDIR}/go',
    // One file, no module: nothing is ever downloaded (no network either), no toolchain switch, no telemetry.
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOTELEMETRY: 'off',
    // A static binary without gcc.
    CGO_ENABLED: '0',
    // Go's soft heap limit is the run's; the hard one is RLIMIT_AS, with the runtime's reservations on top.
    GOMEMLIMIT: `${Math.max(16 * MiB, x.memoryBytes)}B`,
  }),
  // A Go binary reserves about 700 MiB of address space at start (page summaries, arena hints).
  addressSpaceOverheadBytes: 768 * MiB,
  memoryErrorPatterns: [/fatal error: (runtime: )?out of memory/, /runtime: cannot allocate memory/, /Cannot allocate memory/],
  helloWorld: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, World!")\n}\n',
};
