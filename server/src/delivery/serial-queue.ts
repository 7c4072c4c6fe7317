// Runs a meeting's work one task at a time, in arrival order, yielding to the
// event loop between tasks so one busy meeting does not stall the others.

export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Queues `task`; it starts once every task queued before it has finished. */
  run(task: () => void | Promise<void>): void {
    this.#tail = this.#tail
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(task)
      .catch(this.#onError);
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
