/**
 * A fixed number of mediasoup workers (by default one per core). Hands out the
 * least-loaded live worker, reports a worker's death, and replaces it.
 *
 * Lifecycle: `WorkerPool.create()` starts every worker; `close()` closes them
 * and stops restarting. A worker that dies emits `workerdied`; the pool then
 * starts a replacement (`workerrestarted`), retrying with a growing delay
 * (`workerrestartfailed` after each failed attempt).
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { SfuError } from './errors.js';
import type {
  MediasoupApi,
  MsRouter,
  MsRouterCodec,
  MsWorker,
  MsWorkerSettings,
} from './mediasoup-api.js';

export interface WorkerPoolOptions {
  /** Number of workers; default: one per core. */
  size?: number;
  settings?: MsWorkerSettings;
  /** Delay before the first restart attempt (doubles up to 30 s); default 500 ms. */
  restartDelayMs?: number;
}

export interface WorkerPoolEvents {
  workerdied: [worker: MsWorker, error: Error];
  workerrestarted: [worker: MsWorker];
  workerrestartfailed: [error: Error];
  close: [];
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #mediasoup: MediasoupApi;
  readonly #settings: MsWorkerSettings;
  readonly #restartDelayMs: number;
  /** Live workers and the number of routers each one hosts. */
  readonly #load = new Map<MsWorker, number>();
  /** Routers being created on each worker, so concurrent creations spread out. */
  readonly #creating = new Map<MsWorker, number>();
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  /** Start `size` workers; fails (closing any started) if one cannot start. */
  static async create(
    mediasoup: MediasoupApi,
    options: WorkerPoolOptions = {},
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(mediasoup, options);
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker pool size ${size}`);
    try {
      for (let i = 0; i < size; i++) await pool.#start();
    } catch (e) {
      pool.close();
      throw new SfuError(
        'mediasoup-error',
        `cannot start a mediasoup worker: ${(e as Error).message}`,
      );
    }
    return pool;
  }

  private constructor(mediasoup: MediasoupApi, options: WorkerPoolOptions) {
    super();
    this.#mediasoup = mediasoup;
    this.#settings = options.settings ?? { logLevel: 'warn' };
    this.#restartDelayMs = options.restartDelayMs ?? 500;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The live workers. */
  get workers(): MsWorker[] {
    return [...this.#load.keys()];
  }

  /** The live worker hosting the fewest routers (counting those being created). */
  pick(): MsWorker {
    if (this.#closed) throw new SfuError('sfu-closed', 'the worker pool is closed');
    let best: MsWorker | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const [worker, load] of this.#load) {
      const total = load + (this.#creating.get(worker) ?? 0);
      if (!worker.closed && total < bestLoad) {
        best = worker;
        bestLoad = total;
      }
    }
    if (!best) throw new SfuError('no-worker', 'no mediasoup worker is running');
    return best;
  }

  /** Create a router on the least-loaded worker. */
  async createRouter(options: { mediaCodecs: MsRouterCodec[] }): Promise<MsRouter> {
    const worker = this.pick();
    this.#creating.set(worker, (this.#creating.get(worker) ?? 0) + 1);
    try {
      return await worker.createRouter(options);
    } finally {
      const n = (this.#creating.get(worker) ?? 1) - 1;
      if (n > 0) this.#creating.set(worker, n);
      else this.#creating.delete(worker);
    }
  }

  /** Close every worker (and so every router on them) and stop restarting. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#restartTimers) clearTimeout(t);
    this.#restartTimers.clear();
    for (const worker of this.#load.keys()) worker.close();
    this.#load.clear();
    this.emit('close');
  }

  async #start(): Promise<MsWorker> {
    const worker = await this.#mediasoup.createWorker(this.#settings);
    if (this.#closed) {
      worker.close();
      throw new SfuError('sfu-closed', 'the worker pool closed while a worker started');
    }
    this.#load.set(worker, 0);
    worker.observer.on('newrouter', (router) => {
      this.#adjust(worker, +1);
      router.observer.on('close', () => this.#adjust(worker, -1));
    });
    worker.on('died', (error) => this.#onDied(worker, error));
    return worker;
  }

  #adjust(worker: MsWorker, delta: number): void {
    const load = this.#load.get(worker);
    if (load !== undefined) this.#load.set(worker, load + delta);
  }

  #onDied(worker: MsWorker, error: Error): void {
    if (!this.#load.delete(worker) || this.#closed) return;
    this.emit('workerdied', worker, error);
    this.#scheduleRestart(this.#restartDelayMs);
  }

  #scheduleRestart(delayMs: number): void {
    const timer = setTimeout(async () => {
      this.#restartTimers.delete(timer);
      if (this.#closed) return;
      try {
        this.emit('workerrestarted', await this.#start());
      } catch (e) {
        if (this.#closed) return;
        this.emit('workerrestartfailed', e as Error);
        this.#scheduleRestart(Math.min(delayMs * 2, 30_000));
      }
    }, delayMs);
    timer.unref();
    this.#restartTimers.add(timer);
  }
}
