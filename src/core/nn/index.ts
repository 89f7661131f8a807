/** @module nn: modules, layers, init, functional ops and losses (filled in by the nn work). */
export {};
