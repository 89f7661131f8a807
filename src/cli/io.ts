/** @module Progress output of the commands: stderr only (stdout is reserved for results / the --json object); src/train/progress.ts. */
export { progressLog as progress, type ProgressLog as Progress } from '../train/progress.js';
