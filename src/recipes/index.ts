/** @module Recipes: experiments that compose several methods (above src/methods, below src/cli). */
export { runQuickstart, formatResults, QUICK_BUDGET, ROBUSTNESS_CHECK, type QuickstartOptions, type QuickstartResult, type QuickstartRow, type QuickstartRobustness, type QuickstartExport } from './quickstart.js';
export { QUICKSTART_OPTIONS, QUICKSTART_DEFAULTS } from '../methods/finetune/options.js';
