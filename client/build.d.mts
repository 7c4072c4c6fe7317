/** Build app.js and e2ee-worker.js into `outdir` (default client/public/build); resolves with it. */
export function buildClient(options?: { outdir?: string; minify?: boolean }): Promise<string>;
