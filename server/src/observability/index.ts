/** Metrics (Prometheus) and structured logs of a Canopy server. */
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { ServerMetrics } from './metrics.js';
