/**
 * The landing page: start a meeting (POST /api/meetings), then copy its
 * invite link (the participant link) and open it as its host. The invite link
 * is kept in this tab's sessionStorage so the host can copy it again from the
 * meeting.
 */
import { $, copyText } from './dom.js';
import { cleanName } from './link.js';

interface Created {
  meetingId: string;
  hostLink: string;
  participantLink: string;
}

/** Where the meeting page finds the invite link of a meeting this tab created. */
export const inviteKey = (meetingId: string) => `canopy.invite.${meetingId}`;

async function createMeeting(): Promise<Created> {
  const res = await fetch('/api/meetings', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json().catch(() => ({}))) as Partial<Created> & {
    error?: { message?: string };
  };
  if (!res.ok || !body.hostLink || !body.participantLink || !body.meetingId)
    throw new Error(body.error?.message ?? `the server answered ${res.status}`);
  return {
    meetingId: body.meetingId,
    hostLink: body.hostLink,
    participantLink: body.participantLink,
  };
}

export function setupLanding(): void {
  const form = $<HTMLFormElement>('create-form');
  const nameInput = $<HTMLInputElement>('create-name');
  nameInput.value = localStorage.getItem('canopy.name') ?? '';
  nameInput.focus();
  const button = $<HTMLButtonElement>('create-button');
  const error = $('create-error');
  form.onsubmit = (event) => {
    event.preventDefault();
    const name = cleanName(nameInput.value);
    if (!name) return;
    localStorage.setItem('canopy.name', name);
    button.disabled = true;
    button.textContent = 'Creating…';
    error.hidden = true;
    createMeeting().then(
      (created) => {
        sessionStorage.setItem(inviteKey(created.meetingId), created.participantLink);
        const host = new URL(created.hostLink);
        host.searchParams.set('name', name);
        const invite = $<HTMLInputElement>('invite-link');
        invite.value = created.participantLink;
        $<HTMLAnchorElement>('open-meeting').href = host.href;
        $('created').hidden = false;
        form.hidden = true;
        const copy = $<HTMLButtonElement>('copy-invite');
        copy.onclick = () =>
          void copyText(created.participantLink, invite).then((ok) => {
            copy.textContent = ok ? 'Copied ✓' : 'Select and copy';
          });
      },
      (e: unknown) => {
        button.disabled = false;
        button.textContent = 'Start a meeting';
        error.textContent = `Could not create a meeting: ${e instanceof Error ? e.message : String(e)}`;
        error.hidden = false;
      },
    );
  };
}
