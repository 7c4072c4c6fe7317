/**
 * WebSocket signaling: typed JSON requests, responses and notifications
 * (see @canopy/shared/protocol), validated at the boundary.
 */
export {
  type BinaryHandler,
  CLOSE_CODES,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type RequestHandler,
  SignalingConnection,
} from './connection.js';
export { SessionError, type SessionErrorCode } from './errors.js';
export { SignalingServer, type SignalingServerOptions } from './server.js';
export { MediaSession } from './session.js';
