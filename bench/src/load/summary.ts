/**
 * The JSON summary (`summary.json`, version 1) every run or slice writes:
 * built at the end of a run (`buildSummary`), printed in k6's style
 * (`renderSummary`), validated when read back (`validateSummary`), and merged
 * across the slices of a scenario run on several machines (`mergeSummaries`,
 * `mergeFiles`). One entry point for the runner, `merge` and the report.
 */
export { buildSummary, type SummaryInput } from './summary-build.js';
export { SummaryError, type SummaryErrorCode } from './summary-error.js';
export { MERGE_BUCKET_MS, mergeFiles, mergeSummaries } from './summary-merge.js';
export { type RenderOptions, renderSummary } from './summary-render.js';
export { validateSummary } from './summary-schema.js';
