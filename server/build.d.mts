/** Build server/dist/main.js (or into `outdir`); resolves with the path of main.js. */
export function buildServer(options?: { outdir?: string }): Promise<string>;
