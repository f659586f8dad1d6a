/** Called when a listener throws: the client and the other listeners go on regardless. */
export type ListenerErrorHook = (error: unknown, event: string) => void;

type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter. A listener that throws never breaks the emitter, the client behind it or the other
 * listeners of the same event: its error goes to the {@link ListenerErrorHook}.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** @internal */
  constructor(private readonly listenerError: () => ListenerErrorHook) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** @internal */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) {
      return;
    }
    for (const listener of Array.from(set)) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        try {
          this.listenerError()(error, String(event));
        } catch {
          // a hook that throws too is not allowed to break anything either
        }
      }
    }
  }
}
