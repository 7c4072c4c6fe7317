/**
 * Base class of every error Canopy throws on purpose. `code` is stable and
 * machine-readable; callers branch on it (or on the subclass), never on `message`.
 * A CanopyError always means the operation changed no state.
 */
export class CanopyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
