/**
 * The meeting screen: the video grid (names from verified credentials, a
 * speaking indicator, "waiting for keys" until a tile's first decrypted
 * frame), the control bar (mute, camera, invite, people, encryption, leave,
 * end for everyone), and the side panel: people (hosts: lobby admit/deny,
 * remove, lock) and encryption (epoch, security code, verified roster,
 * warnings). It reads epochs and rosters from the key worker, never keys.
 */
import type { EpochView, KeyWorker, LobbyEntry } from '../keys/keys.js';
import type { CanopyMeeting, RemoteTrack } from '../meeting.js';
import type { RosterEntry } from '../participant/participant.js';
import { $, avatar, copyText, el, toast } from './dom.js';
import { assessHealth, codeGroups, type FailureWindow } from './health.js';
import { inviteKey } from './landing.js';
import { epochChange, participantInvite } from './notices.js';
import { AudioMeter, EnergyLevels, SpeakingState } from './speaking.js';

export interface MeetingViewOptions {
  meeting: CanopyMeeting;
  keys: KeyWorker;
  displayName: string;
  meetingId: string;
  isHost: boolean;
  userId: string;
  localStream: MediaStream;
  /** Refusals the key worker reported (shared, appended to by the page). */
  rejected: readonly { what: string; message: string }[];
  failures: FailureWindow;
  onFirstFrame(producerId: string, ms: number): void;
  onWarnings(warnings: string[]): void;
  onLeave(): void;
  onEnd(): void;
}

/**
 * Media of someone with no verified MLS leaf: a warning once this long has
 * passed (members apply the commit that adds someone before the SFU announces
 * them, so a verified participant never waits this long).
 */
const UNVERIFIED_GRACE_MS = 3_000;
/** A live video with no new frame for this long shows the avatar instead. */
const STALL_MS = 2_500;

interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  nameEl: HTMLElement;
  roleEl: HTMLElement;
  stateEl: HTMLElement;
  avatarEl: HTMLElement;
  senderIndex: number;
  lastFrameAt: number;
  everLive: boolean;
  speaking: SpeakingState;
  /** The producer of the audio its level is measured from. */
  audioProducerId?: string;
  /** Its sender muted the microphone / turned the camera off (remote tiles: as the server relays it). */
  micOff: boolean;
  camOff: boolean;
  /** performance.now() when the tile appeared. */
  createdAt: number;
  /** The name of the verified member this tile was matched to (kept when it leaves the group). */
  verifiedName?: string;
}

export class MeetingView {
  readonly #o: MeetingViewOptions;
  readonly #tiles = new Map<string, Tile>();
  #epoch: EpochView | undefined;
  #lobby: LobbyEntry[] = [];
  #locked = false;
  #sending = { audio: true, video: true };
  #timers: ReturnType<typeof setInterval>[] = [];
  #offs: (() => void)[] = [];
  #startedAt = Date.now();
  /** The local microphone's level. */
  readonly #meter = new AudioMeter();
  /** Remote participants' levels. */
  readonly #remoteLevels = new EnergyLevels();
  #readingEnergy = false;
  #endArmed: ReturnType<typeof setTimeout> | undefined;

  constructor(o: MeetingViewOptions) {
    this.#o = o;
    const { meeting } = o;
    const local = this.#tile(meeting.participantId, meeting.senderIndex, true);
    local.video.srcObject = new MediaStream(o.localStream.getVideoTracks());
    this.#watchFrames(local, undefined);
    for (const p of meeting.participants) this.#tile(p.participantId, p.senderIndex);
    for (const r of meeting.remoteTracks) this.#addTrack(r);
    this.#offs.push(
      meeting.on('participantjoined', (p) => {
        this.#tile(p.participantId, p.senderIndex);
        this.refresh();
      }),
      meeting.on('track', (r) => this.#addTrack(r)),
      meeting.on('trackended', (r) => this.#dropTrack(r)),
      meeting.on('trackpaused', (r) => this.#trackPaused(r)),
      meeting.on('participantleft', (id) => {
        this.#tiles.get(id)?.root.remove();
        this.#tiles.delete(id);
        this.refresh();
      }),
    );
    const mic = o.localStream.getAudioTracks()[0];
    if (mic) this.#meter.watch(meeting.participantId, mic);
    this.#wireControls();
    this.#timers.push(
      // 10 Hz: a ring that follows speech closely; each poll looks at the last ~170 ms
      setInterval(() => this.#speaking(), 100),
      setInterval(() => void this.#readEnergy(), 250),
      setInterval(() => this.#tick(), 1_000),
    );
    this.refresh();
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    for (const off of this.#offs) off();
    this.#timers = [];
    this.#meter.close();
  }

  /** A new epoch: badge, panel, tile names (the roster decides who is who). */
  setEpoch(view: EpochView): void {
    const previous = this.#epoch;
    const changed = previous !== undefined && previous.epoch !== view.epoch;
    this.#epoch = view;
    if (changed) toast(epochChange(previous.roster, view));
    $('epoch').textContent = String(view.epoch);
    $('panel-epoch').textContent = String(view.epoch);
    const code = $('security-code');
    code.replaceChildren(...codeGroups(view.securityCode).map((g) => el('span', 'group', g)));
    if (changed) {
      code.classList.remove('changed');
      void code.offsetWidth; // restart the animation
      code.classList.add('changed');
    }
    this.refresh();
  }

  /** Hosts: who waits in the lobby. */
  setLobby(entries: LobbyEntry[]): void {
    const before = new Set(this.#lobby.map((e) => e.userId));
    this.#lobby = entries;
    const fresh = entries.filter((e) => !before.has(e.userId));
    if (this.#o.isHost && fresh.length > 0)
      toast(`${fresh.map((e) => e.displayName).join(', ')} is waiting in the lobby`);
    this.refresh();
  }

  /** A short notice (e.g. a host action the server refused). */
  notify(text: string): void {
    toast(text);
  }

  /** Pauses or resumes sending this participant's microphone or camera. */
  async setSending(kind: 'audio' | 'video', on: boolean): Promise<void> {
    this.#sending[kind] = on;
    for (const t of this.#o.localStream.getTracks()) if (t.kind === kind) t.enabled = on;
    const mic = $('mic-toggle');
    mic.setAttribute('aria-pressed', String(this.#sending.audio));
    mic.querySelector('.label')!.textContent = this.#sending.audio ? 'Mute' : 'Unmute';
    const cam = $('cam-toggle');
    cam.setAttribute('aria-pressed', String(this.#sending.video));
    cam.querySelector('.label')!.textContent = this.#sending.video ? 'Stop video' : 'Start video';
    const me = this.#tiles.get(this.#o.meeting.participantId);
    if (me) this.#showPaused(me, !this.#sending.audio, !this.#sending.video);
    try {
      for (const t of this.#o.meeting.localTracks)
        if (t.kind === kind) await this.#o.meeting.setPaused(t.producerId, !on);
    } catch {
      toast(
        `Could not tell the others your ${kind === 'audio' ? 'microphone' : 'camera'} is ${on ? 'on' : 'off'}`,
      );
    }
  }

  /** Re-renders names, the panel and warnings from the current epoch and lobby. */
  refresh(): void {
    const roster = this.#epoch?.roster ?? [];
    for (const [id, tile] of this.#tiles) {
      const entry = roster.find((r) => r.leafIndex === tile.senderIndex);
      const local = id === this.#o.meeting.participantId;
      // A member removed from the group keeps its verified name until the SFU drops its tile.
      if (entry) tile.verifiedName = entry.displayName;
      const unverified = !entry && !tile.verifiedName && !!this.#epoch;
      const name =
        entry?.displayName ??
        tile.verifiedName ??
        (local ? this.#o.displayName : 'Unverified participant');
      tile.nameEl.textContent = name;
      tile.roleEl.textContent =
        entry?.role === 'host' ? 'Host' : entry ? '' : tile.verifiedName ? 'left' : 'not verified';
      tile.root.classList.toggle('unverified', unverified);
      tile.avatarEl.textContent = avatar(name).textContent;
      tile.avatarEl.style.setProperty('--hue', avatar(name).style.getPropertyValue('--hue'));
    }
    const grid = $('tiles');
    grid.dataset.count = String(Math.min(this.#tiles.size, 10));
    grid.classList.toggle('many', this.#tiles.size > 9);
    this.#renderPeople(roster);
    this.#renderSecurity(roster);
    $('meeting-info').textContent =
      `${roster.length || this.#tiles.size} in the meeting${this.#locked ? ' · locked' : ''}`;
  }

  // --- tiles ---------------------------------------------------------------

  #tile(participantId: string, senderIndex: number, local = false): Tile {
    const existing = this.#tiles.get(participantId);
    if (existing) return existing;
    const root = el('div', local ? 'tile local' : 'tile');
    root.id = `tile-${participantId}`;
    root.dataset.participantId = participantId;
    const video = el('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // audio plays through separate <audio> elements
    const placeholder = el('div', 'placeholder');
    const avatarEl = avatar('?');
    const stateEl = el('span', 'state keys', local ? 'Starting camera…' : 'Waiting for keys…');
    placeholder.append(avatarEl, stateEl);
    const label = el('div', 'label');
    const meter = el('span', 'meter');
    const muted = el('span', 'muted-ico');
    muted.hidden = true;
    const nameEl = el('span', 'name', '');
    const roleEl = el('span', 'role', '');
    label.append(meter, muted, nameEl, roleEl);
    root.append(video, placeholder, label);
    $('tiles').append(root);
    const tile: Tile = {
      root,
      video,
      nameEl,
      roleEl,
      stateEl,
      avatarEl,
      senderIndex,
      lastFrameAt: 0,
      everLive: false,
      createdAt: performance.now(),
      speaking: new SpeakingState(),
      micOff: false,
      camOff: false,
    };
    this.#tiles.set(participantId, tile);
    return tile;
  }

  #addTrack(remote: RemoteTrack): void {
    const tile = this.#tile(remote.participantId, remote.senderIndex);
    this.#trackPaused(remote);
    if (remote.kind === 'video') {
      tile.video.dataset.producerId = remote.producerId;
      tile.video.srcObject = new MediaStream([remote.track]);
      this.#watchFrames(tile, remote.producerId);
    } else {
      tile.audioProducerId = remote.producerId;
      const audio = el('audio');
      audio.autoplay = true;
      audio.dataset.producerId = remote.producerId;
      audio.srcObject = new MediaStream([remote.track]);
      tile.root.append(audio);
      audio.play().catch(() => {
        const button = $<HTMLButtonElement>('enable-audio');
        button.hidden = false;
        button.onclick = () => {
          for (const a of document.querySelectorAll('audio')) void a.play();
          button.hidden = true;
        };
      });
    }
  }

  #dropTrack(remote: RemoteTrack): void {
    const tile = this.#tiles.get(remote.participantId);
    if (!tile) return;
    // A track that is gone is no longer muted or off: its state goes with it.
    if (remote.kind === 'audio' && tile.audioProducerId === remote.producerId)
      this.#showPaused(tile, false, tile.camOff);
    if (remote.kind === 'video' && tile.video.dataset.producerId === remote.producerId)
      this.#showPaused(tile, tile.micOff, false);
    if (remote.kind === 'video') {
      if (tile.video.dataset.producerId === remote.producerId) {
        tile.video.srcObject = null;
        tile.root.classList.remove('live');
      }
    } else {
      tile.root
        .querySelector(`audio[data-producer-id="${CSS.escape(remote.producerId)}"]`)
        ?.remove();
    }
  }

  /** A remote track paused or resumed: the tile shows the muted microphone or the avatar. */
  #trackPaused(remote: RemoteTrack): void {
    const tile = this.#tiles.get(remote.participantId);
    if (!tile) return;
    if (remote.kind === 'audio') this.#showPaused(tile, remote.paused, tile.camOff);
    else this.#showPaused(tile, tile.micOff, remote.paused);
  }

  /** Muted: the mic-off badge. Camera off: the avatar and name, never a frozen frame. */
  #showPaused(tile: Tile, micOff: boolean, camOff: boolean): void {
    tile.micOff = micOff;
    tile.camOff = camOff;
    tile.root.classList.toggle('mic-off', micOff);
    tile.root.classList.toggle('camera-off', camOff);
    tile.root.querySelector('.muted-ico')?.toggleAttribute('hidden', !micOff);
    if (camOff) tile.root.classList.remove('live');
    this.#showState(tile);
  }

  /** Marks the tile live at each rendered (so decrypted) frame; the first one is timed. */
  #watchFrames(tile: Tile, producerId: string | undefined): void {
    const video = tile.video;
    const arrived = performance.now();
    const src = video.srcObject;
    const onFrame = () => {
      if (video.srcObject !== src || !video.isConnected) return;
      tile.lastFrameAt = performance.now();
      if (!tile.everLive && producerId)
        this.#o.onFirstFrame(producerId, Math.round(performance.now() - arrived));
      tile.everLive = true;
      // a last frame may still come after the camera went off
      if (!tile.camOff) tile.root.classList.add('live');
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  #speaking(): void {
    const now = performance.now();
    for (const [id, tile] of this.#tiles) {
      const local = id === this.#o.meeting.participantId;
      const level = tile.micOff ? 0 : local ? this.#meter.level(id) : this.#remoteLevels.level(id);
      tile.root.classList.toggle('speaking', tile.speaking.update(level, now));
    }
  }

  /** Reads the remote tracks' decoded audio energy (one read at a time). */
  async #readEnergy(): Promise<void> {
    if (this.#readingEnergy) return;
    this.#readingEnergy = true;
    try {
      const energy = await this.#o.meeting.audioEnergy();
      this.#remoteLevels.update(
        energy.map((e) => ({ key: e.participantId, trackKey: e.producerId, ...e })),
      );
    } catch {
      // the meeting closed meanwhile
    } finally {
      this.#readingEnergy = false;
    }
  }

  #tick(): void {
    const now = performance.now();
    for (const tile of this.#tiles.values()) {
      if (tile.root.classList.contains('live') && now - tile.lastFrameAt > STALL_MS)
        tile.root.classList.remove('live');
      if (tile.camOff) tile.root.classList.remove('live');
      this.#showState(tile);
    }
    const s = Math.floor((Date.now() - this.#startedAt) / 1000);
    $('clock').textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    this.#renderHealth();
  }

  /** Before the first frame: keys pending. After: the camera is off (or stalled). */
  #showState(tile: Tile): void {
    const local = tile.root.classList.contains('local');
    tile.stateEl.textContent = tile.camOff
      ? 'Camera off'
      : tile.everLive
        ? ''
        : local
          ? 'Starting camera…'
          : 'Waiting for keys…';
    tile.stateEl.classList.toggle('keys', !tile.everLive && !local && !tile.camOff);
  }

  // --- controls ------------------------------------------------------------

  #wireControls(): void {
    const o = this.#o;
    $('mic-toggle').onclick = () => void this.setSending('audio', !this.#sending.audio);
    $('cam-toggle').onclick = () => void this.setSending('video', !this.#sending.video);
    $('leave-button').onclick = () => o.onLeave();
    // A host's invite is the participant link its tab created; a participant's own link is one.
    const invite = o.isHost
      ? sessionStorage.getItem(inviteKey(o.meetingId))
      : participantInvite(location.href);
    const inviteButton = $('invite-button');
    inviteButton.hidden = !invite;
    inviteButton.onclick = () =>
      void copyText(invite ?? '').then((ok) =>
        toast(ok ? 'Invite link copied' : 'Could not copy the invite link'),
      );
    const end = $<HTMLButtonElement>('end-button');
    end.hidden = !o.isHost;
    end.onclick = () => {
      if (this.#endArmed) {
        clearTimeout(this.#endArmed);
        o.onEnd();
        return;
      }
      end.textContent = 'Click again to end';
      this.#endArmed = setTimeout(() => {
        this.#endArmed = undefined;
        end.textContent = 'End for everyone';
      }, 4_000);
    };
    $('host-tools').hidden = !o.isHost;
    const lock = $('lock-toggle');
    lock.onclick = () => {
      this.#locked = !this.#locked;
      o.keys.host(this.#locked ? 'lock' : 'unlock');
      lock.setAttribute('aria-pressed', String(this.#locked));
      lock.querySelector('span')!.textContent = this.#locked ? 'Meeting locked' : 'Lock meeting';
      $('lock-state').textContent = this.#locked
        ? 'Nobody new can join. Click to unlock.'
        : 'Anyone with the link can ask to join';
      toast(this.#locked ? 'Meeting locked' : 'Meeting unlocked');
      this.refresh();
    };
    const panel = $('panel');
    const open = (tab: 'people' | 'security') => {
      const same = !panel.hidden && panel.dataset.tab === tab;
      panel.hidden = same;
      panel.dataset.tab = tab;
      $('pane-people').hidden = tab !== 'people';
      $('pane-security').hidden = tab !== 'security';
      $('tab-people').setAttribute('aria-selected', String(tab === 'people'));
      $('tab-security').setAttribute('aria-selected', String(tab === 'security'));
      $('people-button').classList.toggle('active', !panel.hidden && tab === 'people');
      $('security-button').classList.toggle('active', !panel.hidden && tab === 'security');
    };
    $('people-button').onclick = () => open('people');
    $('security-button').onclick = () => open('security');
    $('e2ee-badge').onclick = () => open('security');
    $('warning-chip').onclick = () => open('security');
    $('tab-people').onclick = () => open('people');
    $('tab-security').onclick = () => open('security');
    $('panel-close').onclick = () => {
      panel.hidden = true;
      $('people-button').classList.remove('active');
      $('security-button').classList.remove('active');
    };
  }

  // --- panel ---------------------------------------------------------------

  #renderPeople(roster: readonly RosterEntry[]): void {
    const o = this.#o;
    const lobby = $('lobby');
    lobby.hidden = !o.isHost || this.#lobby.length === 0;
    $('lobby-count').textContent = String(this.#lobby.length);
    const dot = $('lobby-dot');
    dot.hidden = !o.isHost || this.#lobby.length === 0;
    dot.textContent = String(this.#lobby.length);
    $('lobby-list').replaceChildren(
      ...this.#lobby.map((e) => {
        const li = el('li');
        li.dataset.userId = e.userId;
        const who = el('div', 'who');
        who.append(el('span', '', e.displayName), el('span', 'sub', 'asks to join'));
        const admit = el('button', 'primary', 'Admit');
        admit.type = 'button';
        admit.dataset.action = 'admit';
        admit.onclick = () => {
          o.keys.host('admit', e.userId);
          admit.disabled = true;
          toast(`Admitting ${e.displayName}: the meeting rekeys`);
        };
        const deny = el('button', '', 'Deny');
        deny.type = 'button';
        deny.dataset.action = 'deny';
        deny.onclick = () => {
          o.keys.host('deny', e.userId);
          deny.disabled = true;
        };
        li.append(avatar(e.displayName), who, admit, deny);
        return li;
      }),
    );
    $('people-count').textContent = String(roster.length);
    $('people-list').replaceChildren(
      ...roster.map((r) => {
        const li = el('li');
        li.dataset.userId = r.userId;
        const who = el('div', 'who');
        const me = r.userId === o.userId;
        who.append(
          el('span', 'verified', `${r.displayName}${me ? ' (you)' : ''}`),
          el('span', 'sub', r.role === 'host' ? 'Host' : 'Participant'),
        );
        li.append(avatar(r.displayName), who);
        if (o.isHost && !me) {
          const remove = el('button', 'danger-outline', 'Remove');
          remove.type = 'button';
          remove.dataset.action = 'remove';
          remove.onclick = () => {
            o.keys.host('remove', r.userId);
            remove.disabled = true;
            toast(`Removing ${r.displayName}: the meeting rekeys now`);
          };
          li.append(remove);
        }
        return li;
      }),
    );
  }

  #renderSecurity(roster: readonly RosterEntry[]): void {
    $('panel-members').textContent = `${roster.length} verified`;
    $('roster').replaceChildren(
      ...roster.map((r) => {
        const li = el('li');
        const who = el('div', 'who');
        who.append(
          el('span', 'verified', r.displayName),
          el(
            'span',
            'sub',
            `${r.role === 'host' ? 'Host' : 'Participant'} · leaf ${r.leafIndex} · verified by the identity key in your link`,
          ),
        );
        li.append(avatar(r.displayName), who);
        return li;
      }),
    );
  }

  #renderHealth(): void {
    const c = this.#o.meeting.frameCounters;
    const roster = this.#epoch?.roster ?? [];
    const unverified = this.#epoch
      ? [...this.#tiles.values()]
          .filter(
            (t) =>
              !t.verifiedName &&
              !roster.some((r) => r.leafIndex === t.senderIndex) &&
              performance.now() - t.createdAt > UNVERIFIED_GRACE_MS,
          )
          .map((t) => `participant #${t.senderIndex}`)
      : [];
    const warnings = assessHealth({
      unverified,
      rejected: this.#o.rejected,
      recentFailures: this.#o.failures.sample(c.decryptFailed, performance.now()),
      wrongSender: c.wrongSender,
    });
    this.#o.onWarnings(warnings);
    const alert = $('security-warning');
    alert.hidden = warnings.length === 0;
    alert.replaceChildren(...warnings.map((w) => el('div', '', w)));
    const chip = $('warning-chip');
    chip.hidden = warnings.length === 0;
    chip.textContent =
      warnings.length === 1 ? 'Security warning' : `${warnings.length} security warnings`;
    $('panel-frames').textContent =
      `${c.encrypted.toLocaleString()} encrypted · ${c.decrypted.toLocaleString()} decrypted · ${c.decryptFailed} failed`;
  }
}
