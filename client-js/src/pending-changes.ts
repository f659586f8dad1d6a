import { type Clock, systemClock } from './clock.js';

/** Which batch an item went into: ordinary changes, or upload-like events that come in long bursts. */
export type Lane = 'changes' | 'uploads';

/** The upload-like event types by default, as the mobile apps treat them (and the Java client, docs/client.md). */
export const UPLOAD_LIKE = ['file_created', 'file_updated', 'AssetUploadReadyV1', 'on_upload_success'];

export interface PendingChangesOptions<T> {
  /** Ordinary changes are handed over this long after the last one (ms, default 500). */
  debounce?: number;
  /** Upload-like events are handed over this long after the last upload-like one (ms, default 5000). */
  uploadDebounce?: number;
  /** Either way, no item waits longer than this after the first of its batch (ms, default 10000). */
  maxWait?: number;
  /** Which items are upload-like (default: an item whose `type` is one of {@link UPLOAD_LIKE}). */
  isUpload?: (item: T) => boolean;
  clock?: Clock;
  /** A flush that throws or rejects is reported here (default: console.error). */
  onError?: (error: unknown) => void;
}

interface LaneState<T> {
  items: T[];
  firstAt: number;
  timer: unknown;
}

/**
 * Hands events over in batches, as the mobile apps do: ordinary changes 500 ms after the last one (debounce),
 * upload-like events 5 s after the last upload-like one, and either kind never later than 10 s after the first event of
 * its batch, so that a steady trickle cannot hold a change back. Each lane is handed over as its own batch. The same
 * rules as the Java client's `PendingChangesBatcher`.
 */
export class PendingChanges<T = { type: string }> {
  private readonly lanes: Record<Lane, LaneState<T>> = {
    changes: { items: [], firstAt: 0, timer: null },
    uploads: { items: [], firstAt: 0, timer: null },
  };
  private readonly debounce: Record<Lane, number>;
  private readonly maxWait: number;
  private readonly isUpload: (item: T) => boolean;
  private readonly clock: Clock;
  private readonly onError: (error: unknown) => void;

  constructor(private readonly flush: (items: T[], lane: Lane) => void | Promise<void>,
              options: PendingChangesOptions<T> = {}) {
    this.debounce = { changes: options.debounce ?? 500, uploads: options.uploadDebounce ?? 5000 };
    this.maxWait = options.maxWait ?? 10000;
    this.isUpload = options.isUpload
      ?? ((item) => UPLOAD_LIKE.includes(String((item as { type?: unknown } | null)?.type)));
    this.clock = options.clock ?? systemClock;
    this.onError = options.onError ?? ((e) => console.error('PendingChanges flush failed', e));
  }

  /** Items held now, in both lanes. */
  get size(): number {
    return this.lanes.changes.items.length + this.lanes.uploads.items.length;
  }

  add(item: T): void {
    const lane: Lane = this.isUpload(item) ? 'uploads' : 'changes';
    const l = this.lanes[lane];
    const now = this.clock.now();
    if (l.items.length === 0) {
      l.firstAt = now;
    }
    l.items.push(item);
    const due = Math.min(now + this.debounce[lane], l.firstAt + this.maxWait);
    this.cancel(l);
    l.timer = this.clock.setTimeout(() => {
      l.timer = null;
      this.flushLane(lane);
    }, Math.max(0, due - now));
  }

  /** Hands over what both lanes hold now. */
  flushNow(): void {
    this.flushLane('changes');
    this.flushLane('uploads');
  }

  /** Drops what is held and stops. */
  dispose(): void {
    for (const l of Object.values(this.lanes)) {
      this.cancel(l);
      l.items = [];
    }
  }

  private flushLane(lane: Lane): void {
    const l = this.lanes[lane];
    this.cancel(l);
    if (l.items.length === 0) {
      return;
    }
    const items = l.items;
    l.items = [];
    try {
      const done = this.flush(items, lane);
      if (done && typeof (done as Promise<void>).catch === 'function') {
        (done as Promise<void>).catch(this.onError);
      }
    } catch (e) {
      this.onError(e);
    }
  }

  private cancel(l: LaneState<T>): void {
    if (l.timer !== null) {
      this.clock.clearTimeout(l.timer);
      l.timer = null;
    }
  }
}
