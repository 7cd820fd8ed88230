/**
 * A poller's pause, cut short when the store hints that one of the polled objects changed (ObjectStore.watch: the
 * local folder store; OSS has no such hint, so there the pause is the poll's whole period). The hint is only ever a
 * shortcut: callers read and decide exactly as after a full pause, so a missed or spurious hint costs nothing but time.
 */
import type { Clock, Disposable, ObjectStore } from './ports';

export function sleepUntilChanged(clock: Clock, store: ObjectStore, keys: string[], ms: number, also?: (wake: () => void) => Disposable): Promise<void> {
  return new Promise((resolve) => {
    const watches: Disposable[] = [];
    const done = () => {
      timer.cancel();
      for (const w of watches.splice(0)) w.dispose();
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    if (store.watch) for (const key of keys) watches.push(store.watch(key, done));
    if (also) watches.push(also(done));
  });
}
