// Polls `probe` until it returns a value (not undefined or false), or fails
// after `ms` naming what it waited for and the probe's last error.
export async function until<T>(
  probe: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
