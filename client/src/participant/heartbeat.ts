/**
 * The participant's heartbeat on the delivery service's connection. A network
 * that silently drops packets never closes a WebSocket, and browsers hide
 * WebSocket ping frames from pages, so the participant sends its own `ping`
 * frames and counts the connection lost when `misses` of them in a row go
 * unanswered: detected at most (misses + 1) × intervalMs after the loss.
 *
 * Any frame from the server counts as an answer (a `pong` may wait behind a
 * large Welcome). A tick that comes much later than scheduled means this
 * thread itself was stalled (answers may be queued behind it): it does not
 * count as a miss.
 *
 * It starts with the socket, before it opens: a connection that never opens
 * (pings cannot be sent yet, and count as unanswered) is lost the same way.
 *
 * One timer per participant, nothing else: cheap enough for a load runner's
 * thousands of participants in one process.
 */

export interface HeartbeatOptions {
  /** Time between pings (ms); default 5,000. */
  readonly intervalMs?: number;
  /** Unanswered pings in a row after which the connection is lost; default 3. */
  readonly misses?: number;
}

export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 5_000, misses: 3 };

export class Heartbeat {
  readonly #intervalMs: number;
  readonly #misses: number;
  readonly #ping: (seq: number) => void;
  readonly #lost: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last ping sent, and the last one answered (or made moot by another frame). */
  #sent = 0;
  #answered = 0;
  #tickAt = 0;

  /** `ping(seq)` sends a ping frame; `lost()` is called once when the connection is lost. */
  constructor(options: HeartbeatOptions, ping: (seq: number) => void, lost: () => void) {
    const { intervalMs, misses } = { ...DEFAULT_HEARTBEAT, ...options };
    if (!(Number.isFinite(intervalMs) && intervalMs >= 10))
      throw new RangeError(`heartbeat interval ${intervalMs} ms`);
    if (!(Number.isInteger(misses) && misses >= 1))
      throw new RangeError(`heartbeat misses ${misses}`);
    this.#intervalMs = intervalMs;
    this.#misses = misses;
    this.#ping = ping;
    this.#lost = lost;
  }

  /** Starts pinging (the connection is open). */
  start(): void {
    if (this.#timer) return;
    this.#tickAt = Date.now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Something arrived from the server: every ping sent so far counts as answered. */
  alive(): void {
    this.#answered = this.#sent;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = Date.now();
    const stalled = now - this.#tickAt > 2 * this.#intervalMs;
    this.#tickAt = now;
    if (stalled) this.#answered = this.#sent;
    if (this.#sent - this.#answered >= this.#misses) {
      this.stop();
      this.#lost();
      return;
    }
    this.#sent = (this.#sent + 1) >>> 0;
    if (this.#sent === 0) this.#answered = 0; // wrapped (after 2^32 pings)
    this.#ping(this.#sent);
  }
}
