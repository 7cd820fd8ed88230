import type { Disposable } from '../../core/ports';

/** The typed event of the spawners: `on` returns a disposable, as node-pty's events do. */
export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

  on(listener: (value: T) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  emit(value: T): void {
    for (const listener of this.listeners.slice()) listener(value);
  }
}
