/** @module Rng lives in src/core (below src/train); re-exported here for src/data's users. */
export { Rng } from '../core/rng.js';
