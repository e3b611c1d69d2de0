/** The deadline of one piece of work (one request to Kratos). */
export interface Deadline {
  /** True once the deadline passed before the work finished. */
  expired: boolean;
  /** Aborts the work; set by whoever started it, called once when the deadline passes. */
  abort: (() => void) | undefined;
}

interface Entry extends Deadline {
  at: number;
  done: boolean;
}

const COMPACT_AFTER = 1024;

/**
 * Deadlines of one fixed duration on one timer. Entries expire in the order they started, so the timer only
 * ever waits for the oldest unfinished one: starting and finishing cost a small object and no timer of their
 * own. Like one `setTimeout` per entry, the timer holds the event loop only while an entry is unfinished.
 *
 * @example
 * const deadlines = new Deadlines(5000);
 * const deadline = deadlines.start();
 * deadline.abort = () => emitter.emit('abort');
 * try { await work(); } finally { deadlines.finish(deadline); }
 * if (deadline.expired) throw timeoutError;
 */
export class Deadlines {
  readonly #ms: number;
  #queue: Entry[] = [];
  #head = 0;
  #live = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Starts a deadline `ms` from now. */
  start(): Deadline {
    const entry: Entry = { expired: false, abort: undefined, at: performance.now() + this.#ms, done: false };
    this.#queue.push(entry);
    this.#live++;
    if (this.#timer === undefined) this.#timer = setTimeout(this.#sweep, this.#ms);
    return entry;
  }

  /** Marks the work done (a no-op once expired or finished). */
  finish(deadline: Deadline): void {
    const entry = deadline as Entry;
    if (entry.done) return;
    entry.done = true;
    entry.abort = undefined;
    if (--this.#live === 0) return this.#idle();
    this.#skipDone();
  }

  #idle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #skipDone(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head].done) this.#head++;
    if (this.#head > COMPACT_AFTER && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const expired: Entry[] = [];
    for (const queue = this.#queue; this.#head < queue.length; this.#head++) {
      const entry = queue[this.#head];
      if (entry.done) continue;
      if (entry.at > now) break;
      entry.done = true;
      entry.expired = true;
      this.#live--;
      expired.push(entry);
    }
    if (this.#live === 0) this.#idle();
    else {
      this.#skipDone();
      this.#timer = setTimeout(this.#sweep, Math.max(1, Math.ceil(this.#queue[this.#head].at - now)));
    }
    for (const entry of expired) {
      const abort = entry.abort;
      entry.abort = undefined;
      abort?.();
    }
  };
}
