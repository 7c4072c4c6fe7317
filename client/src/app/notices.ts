/** Sentences and links the meeting screen derives from what the key worker reports (pure). */
import type { EpochView } from '../keys/keys.js';
import type { RosterEntry } from '../participant/participant.js';

/** The link a participant can pass on: its own, without its name or test options. */
export function participantInvite(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('name');
  url.searchParams.delete('transform');
  return url.href;
}

/** What a new epoch changed, in a sentence: who joined or left, and that the keys are new. */
export function epochChange(before: readonly RosterEntry[], after: EpochView): string {
  const had = new Set(before.map((r) => r.userId));
  const has = new Set(after.roster.map((r) => r.userId));
  const joined = after.roster.filter((r) => !had.has(r.userId)).map((r) => r.displayName);
  const left = before.filter((r) => !has.has(r.userId)).map((r) => r.displayName);
  const what = [
    joined.length > 0 ? `${joined.join(', ')} joined` : '',
    left.length > 0 ? `${left.join(', ')} left` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `${what ? `${what}. ` : ''}New keys: epoch ${after.epoch}`;
}
