import { CanopyError } from '@canopy/shared/protocol';

/**
 * Why a meeting link was refused: `invalid-link` (malformed, forged, signed
 * with another key or algorithm, or claims out of bounds), `expired-link`, or
 * `wrong-meeting` (a valid link, but for another meeting than the one asked for).
 */
export type AuthErrorCode = 'invalid-link' | 'expired-link' | 'wrong-meeting';

export class AuthError extends CanopyError {
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string) {
    super(code, message);
  }
}
