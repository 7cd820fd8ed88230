/**
 * The executor's dependencies as the unit tests of the run protocol build them: the stores, spawners, clock and policy
 * each test chooses, a FakeSandbox, no network, every tool of a language at /usr/bin/<tool>, and a silent log.
 */
import type { ExecutorDeps } from '../../core/run';
import { FakeSandbox } from './fakeSandbox';

export function fakeExecutorDeps(deps: Pick<ExecutorDeps, 'code' | 'runs' | 'spawners' | 'clock' | 'policy'> & Partial<ExecutorDeps>): ExecutorDeps {
  return {
    sandbox: new FakeSandbox(),
    allowNetwork: false,
    resolveRuntime: (language) => ({ language, tools: Object.fromEntries(Object.keys(language.tools).map((t) => [t, `/usr/bin/${t}`])), version: '1.0' }),
    executorId: 'exec',
    log: () => undefined,
    ...deps,
  };
}
