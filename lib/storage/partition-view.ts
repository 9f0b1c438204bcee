/**
 * What one container knows of each partition: its cached next offset, log start and high
 * watermark, where the last tail batch it read or wrote ends, and the wake-ups of long
 * polls waiting for an append in this process. Every value here is a hint with an age;
 * how long each may be trusted is in ViewTuning (the next offset's limit is what keeps
 * sealing safe: see the timeline in log.ts).
 */
import { EventEmitter } from 'node:events';
import type { PartitionStore } from './partitions.ts';
import type { TailItem, TailStore } from './tail.ts';

export interface ViewTuning {
  /** How long a container trusts its cached next offset (see the timeline in log.ts). */
  readonly offsetCacheMs: number;
  /** How long a container trusts its cached log start offset. */
  readonly logStartCacheMs: number;
  /** How old a high watermark a fetch that stops short of the log end may answer. */
  readonly hwCacheMs: number;
  /**
   * How long a look that found nothing past a batch boundary shows that the boundary is
   * the log end, not a stretch the sealer deleted: well under the sealer's minimum age
   * (see the timeline in log.ts), so nothing appended since can have been deleted yet.
   */
  readonly endConfirmMs: number;
}

export interface PartitionBounds {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** What a container last learned of a partition. */
export interface PartitionView {
  /** Where the last tail batch it read or wrote ends: fetches there skip the containing-batch read. */
  readonly batchEnd: number;
  /** That batch's record count and bytes, to size the next scan's pages. */
  readonly count: number;
  readonly size: number;
  readonly highWatermark: number;
  readonly seenAt: number;
  /** When a look past batchEnd last started and found nothing there. */
  readonly endConfirmedAt?: number;
}

/** This container's view of every partition it has touched, keyed by `topicId#partition`. */
export class PartitionViews {
  /** Next offset per partition, as this container last saw it: a warm append is one put. */
  private readonly nextOffsets = new Map<string, { offset: number; at: number }>();
  /** The partition's item (log start, sealed end) as last read, and when. */
  private readonly states = new Map<string, { logStartOffset: number; sealedOffset: number; at: number }>();
  /** What this container last learned of each partition from its own reads and appends. */
  private readonly views = new Map<string, PartitionView>();
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly tail: TailStore,
    private readonly partitions: PartitionStore,
    private readonly options: ViewTuning,
  ) {}

  /** The last tail batch this container read or wrote in `pk`, if it remembers one. */
  get(pk: string): PartitionView | undefined {
    return this.views.get(pk);
  }

  /** The cached next offset if fresh, else the log end read now (and cached for the append that follows). */
  async nextOffset(pk: string): Promise<number> {
    const cached = this.nextOffsets.get(pk);
    if (cached && Date.now() - cached.at < this.options.offsetCacheMs) return cached.offset;
    const { highWatermark } = await this.bounds(pk);
    this.nextOffsets.set(pk, { offset: highWatermark, at: Date.now() });
    return highWatermark;
  }

  /** Records a landed append: the next offset it leaves, its batch, and a wake-up for long polls here. */
  recordAppend(pk: string, batch: Pick<TailItem, 'offset' | 'count' | 'size'>): void {
    const end = batch.offset + batch.count;
    this.nextOffsets.set(pk, { offset: end, at: Date.now() });
    this.saw(pk, batch, end);
    // Whatever lands at `end` lands after this append did: too young to have been sealed.
    this.confirmEnd(pk, end, Date.now());
    this.appended.emit(pk);
  }

  /** The partition's log start and log end, read from storage now (the log start may be cached). */
  async bounds(pk: string): Promise<PartitionBounds> {
    const [last] = await this.tail.query({ pk, forward: false, limit: 1 });
    if (last) {
      const highWatermark = last.offset + last.count;
      this.saw(pk, last, highWatermark);
      return { logStartOffset: await this.logStartOffset(pk), highWatermark };
    }
    // An empty tail: everything there is, is sealed.
    const state = await this.readState(pk);
    return { logStartOffset: state.logStartOffset, highWatermark: Math.max(state.sealedOffset, state.logStartOffset) };
  }

  /** A high watermark no lower than `atLeast`, from this container's fresh view or from storage. */
  async highWatermarkAtLeast(pk: string, atLeast: number): Promise<number> {
    // Not at the end: a high watermark seen here within hwCacheMs is good enough for
    // lag, and spares a read of the partition's whole last item on every fetch.
    const known = this.views.get(pk);
    if (known && Date.now() - known.seenAt < this.options.hwCacheMs && known.highWatermark >= atLeast) return known.highWatermark;
    return (await this.bounds(pk)).highWatermark;
  }

  /**
   * Where the partition starts (retention moves it). Cached, since it only moves forward:
   * an offset below the cached start re-reads it before anyone is told 416.
   */
  async logStartOffset(pk: string, asked?: number): Promise<number> {
    const cached = this.states.get(pk);
    if (cached && Date.now() - cached.at < this.options.logStartCacheMs && (asked === undefined || asked >= cached.logStartOffset)) {
      return cached.logStartOffset;
    }
    return (await this.readState(pk)).logStartOffset;
  }

  /** The log start as last read, however long ago; read now if never. */
  async lastLogStartOffset(pk: string): Promise<number> {
    return (this.states.get(pk) ?? (await this.readState(pk))).logStartOffset;
  }

  /**
   * Where sealed data ends, cached as the log start is. It only grows, so a stale value
   * sends a read to the tail for offsets already sealed, which still answers them (or
   * misses and falls back to the segment).
   */
  async sealedOffset(pk: string): Promise<number> {
    const cached = this.states.get(pk);
    if (cached && Date.now() - cached.at < this.options.logStartCacheMs) return cached.sealedOffset;
    return (await this.readState(pk)).sealedOffset;
  }

  private async readState(pk: string): Promise<{ logStartOffset: number; sealedOffset: number }> {
    const { logStartOffset, sealedOffset } = await this.partitions.get(pk);
    const state = { logStartOffset, sealedOffset, at: Date.now() };
    this.states.set(pk, state);
    return state;
  }

  /**
   * Records that a look past `batchEnd`, started at `startedAt`, found nothing: only while
   * the view still ends there (another read or append here may have moved it meanwhile).
   */
  confirmEnd(pk: string, batchEnd: number, startedAt: number): void {
    const known = this.views.get(pk);
    if (known?.batchEnd === batchEnd) this.views.set(pk, { ...known, endConfirmedAt: startedAt });
  }

  /** Whether the view's batch end was confirmed as the log end within endConfirmMs. */
  endConfirmed(view: PartitionView): boolean {
    return view.endConfirmedAt !== undefined && Date.now() - view.endConfirmedAt < this.options.endConfirmMs;
  }

  /** Records a tail batch this container read or wrote, and the high watermark if storage just told it. */
  saw(pk: string, batch: Pick<TailItem, 'offset' | 'count' | 'size'>, learnedHighWatermark?: number): void {
    const known = this.views.get(pk);
    // Only a value read from storage (or an append) refreshes the clock, and a known
    // end never moves backwards: another container may have appended since.
    const learned = learnedHighWatermark !== undefined && (!known || learnedHighWatermark >= known.highWatermark);
    const batchEnd = batch.offset + batch.count;
    this.views.set(pk, {
      batchEnd,
      count: batch.count,
      size: batch.size,
      highWatermark: learned ? learnedHighWatermark : (known?.highWatermark ?? 0),
      seenAt: learned ? Date.now() : (known?.seenAt ?? 0),
      ...(known?.batchEnd === batchEnd && known.endConfirmedAt !== undefined ? { endConfirmedAt: known.endConfirmedAt } : {}),
    });
  }

  /** Resolves on an append to `pk` in this process, after `ms`, or on abort. */
  waitForAppend(pk: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off(pk, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.appended.on(pk, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  forgetNextOffset(pk: string): void {
    this.nextOffsets.delete(pk);
  }

  /** Forgets the cached log start and sealed end. */
  forgetLogStart(pk: string): void {
    this.states.delete(pk);
  }

  forgetView(pk: string): void {
    this.views.delete(pk);
  }

  /** Forgets everything cached about a partition. */
  forget(pk: string): void {
    for (const cache of [this.nextOffsets, this.states, this.views]) cache.delete(pk);
  }
}
