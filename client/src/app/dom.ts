/** Small DOM helpers for the app: no innerHTML anywhere (text is always text). */

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
};

/** A new element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export type ScreenId = 'landing' | 'join' | 'waiting' | 'meeting' | 'error';
const SCREENS: readonly ScreenId[] = ['landing', 'join', 'waiting', 'meeting', 'error'];

/** Shows one screen, hides the others. */
export function showScreen(id: ScreenId): void {
  for (const s of SCREENS) $(s).hidden = s !== id;
}

/** Initials of a display name, for avatars. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const chars =
    parts.length > 1 ? [parts[0]![0], parts.at(-1)![0]] : [...(parts[0] ?? '?')].slice(0, 2);
  return chars.join('').toUpperCase();
}

/** A stable hue for a name's avatar. */
export function hue(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  return h % 360;
}

export function avatar(name: string): HTMLElement {
  const a = el('div', 'avatar', initials(name));
  a.style.setProperty('--hue', String(hue(name)));
  return a;
}

/** Copies text to the clipboard (falls back to selecting it in `input`). */
export async function copyText(text: string, input?: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.select();
      return document.execCommand('copy');
    }
    return false;
  }
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
/** A short message at the bottom of the meeting. */
export function toast(text: string): void {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, 3_000);
}
