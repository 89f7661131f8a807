/** @module The CLI's usage error and strict parsing: src/core/options.ts (where every command's flags come from its option table). */
export { CliError, noPositionals, strictParse } from '../core/options.js';
