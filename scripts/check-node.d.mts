/** The oldest Node.js major version Canopy runs on. */
export const MIN_NODE_MAJOR: number;
/** Why Node `version` (default: this one) cannot run Canopy, or undefined when it can. */
export function nodeVersionProblem(version?: string): string | undefined;
