/**
 * Who is speaking, from decoded audio, measured so that no sound falls
 * between two polls (the RTP audio level of the last played packet, polled,
 * missed short sounds on a loaded machine):
 * - a remote participant: the RMS of everything decoded since the last read,
 *   from the receiver's cumulative audio energy (`EnergyLevels`);
 * - the local microphone: the loudest 20 ms of the last ~170 ms, from an
 *   AnalyserNode (`AudioMeter`; Web Audio must be running, which needs an
 *   audio output device and, in some browsers, a click first).
 * A tile's ring follows its level with hysteresis (`SpeakingState`).
 * Levels are linear RMS, 1 = full scale.
 */

/** Level at or above which a quiet tile starts showing speaking (-34 dBFS). */
export const SPEAKING_ON = 0.02;
/** Level below which a speaking tile starts to count down (-40 dBFS). */
export const SPEAKING_OFF = 0.01;
/** How long the ring stays once the level fell below SPEAKING_OFF (no flicker between words). */
export const SPEAKING_HOLD_MS = 800;
/** The analysis window: longer than a poll (100 ms), so no sound falls between two. */
const WINDOW_SAMPLES = 8192;
/** The loudness of a window is its loudest block of this length (one speech syllable). */
const BLOCK_SECONDS = 0.02;

/**
 * The level (0..1) of `samples`: the RMS of its loudest block of `block`
 * samples. Silence is 0; a short loud sound anywhere in the window counts.
 */
export function loudestBlockLevel(samples: Float32Array, block: number): number {
  const n = Math.max(1, Math.floor(block));
  let loudest = 0;
  for (let start = 0; start < samples.length; start += n) {
    const end = Math.min(samples.length, start + n);
    let sum = 0;
    for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
    loudest = Math.max(loudest, sum / (end - start));
  }
  return Math.min(1, Math.sqrt(loudest));
}

/** One cumulative reading of a track's decoded audio (inbound-rtp totals). */
export interface EnergyReading {
  /** The tile it belongs to. */
  key: string;
  /** The track it was read from: a new track starts from a new baseline. */
  trackKey: string;
  totalAudioEnergy: number;
  totalSamplesDuration: number;
}

/** Levels from cumulative energy readings: sqrt(Δenergy / Δduration) since the previous read. */
export class EnergyLevels {
  #last = new Map<string, EnergyReading>();
  #levels = new Map<string, number>();

  /** Takes a new set of readings (tiles not in it have no level any more). */
  update(readings: readonly EnergyReading[]): void {
    const last = new Map<string, EnergyReading>();
    const levels = new Map<string, number>();
    for (const r of readings) {
      const before = this.#last.get(r.key);
      last.set(r.key, r);
      if (!before || before.trackKey !== r.trackKey) continue;
      const duration = r.totalSamplesDuration - before.totalSamplesDuration;
      const energy = r.totalAudioEnergy - before.totalAudioEnergy;
      // nothing decoded since (or counters that went back): no level, not an error
      if (!(duration > 0) || !(energy >= 0)) continue;
      levels.set(r.key, Math.min(1, Math.sqrt(energy / duration)));
    }
    this.#last = last;
    this.#levels = levels;
  }

  /** The level of `key` between its last two readings; 0 when unknown. */
  level(key: string): number {
    return this.#levels.get(key) ?? 0;
  }
}

/** One tile's speaking state: on at SPEAKING_ON, off once below SPEAKING_OFF for SPEAKING_HOLD_MS. */
export class SpeakingState {
  #speaking = false;
  #quietSince: number | undefined;

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds the level at time `now` (ms); returns whether the tile shows speaking. */
  update(level: number, now: number): boolean {
    if (!this.#speaking) {
      if (level >= SPEAKING_ON) {
        this.#speaking = true;
        this.#quietSince = undefined;
      }
    } else if (level >= SPEAKING_OFF) {
      this.#quietSince = undefined;
    } else {
      this.#quietSince ??= now;
      if (now - this.#quietSince >= SPEAKING_HOLD_MS) {
        this.#speaking = false;
        this.#quietSince = undefined;
      }
    }
    return this.#speaking;
  }
}

/** Audio levels of tracks by key, from one AudioContext; without Web Audio every level is 0. */
export class AudioMeter {
  readonly #ctx: AudioContext | undefined;
  readonly #meters = new Map<
    string,
    { trackId: string; source: AudioNode; analyser: AnalyserNode; data: Float32Array<ArrayBuffer> }
  >();
  readonly #resume = () => void this.#ctx?.resume();

  constructor() {
    try {
      this.#ctx = typeof AudioContext === 'undefined' ? undefined : new AudioContext();
    } catch {
      this.#ctx = undefined;
    }
    // A context made without a user gesture may start suspended: any click resumes it.
    document.addEventListener('click', this.#resume);
  }

  /** Measures `track` under `key` (replacing what was measured there). */
  watch(key: string, track: MediaStreamTrack): void {
    if (this.#meters.get(key)?.trackId === track.id) return;
    this.unwatch(key);
    const ctx = this.#ctx;
    if (!ctx) return;
    try {
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = WINDOW_SAMPLES;
      source.connect(analyser);
      const data = new Float32Array(analyser.fftSize);
      this.#meters.set(key, { trackId: track.id, source, analyser, data });
    } catch {
      // no level for this track: its tile never shows speaking
    }
  }

  /** Stops measuring under `key`, if it measures `trackId` (or anything, without one). */
  unwatch(key: string, trackId?: string): void {
    const m = this.#meters.get(key);
    if (!m || (trackId && m.trackId !== trackId)) return;
    this.#meters.delete(key);
    m.source.disconnect();
  }

  /** The level (0..1) of the track under `key` over the last window; 0 when none. */
  level(key: string): number {
    const m = this.#meters.get(key);
    if (!m || !this.#ctx) return 0;
    m.analyser.getFloatTimeDomainData(m.data);
    return loudestBlockLevel(m.data, this.#ctx.sampleRate * BLOCK_SECONDS);
  }

  close(): void {
    document.removeEventListener('click', this.#resume);
    for (const key of [...this.#meters.keys()]) this.unwatch(key);
    void this.#ctx?.close().catch(() => {});
  }
}
