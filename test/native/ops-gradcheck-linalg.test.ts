/** Float64 finite-difference gradient checks of the linear-algebra ops (cases in ops-gradcases.ts). */
import { LINALG, runGradcheck } from './ops-gradcases.js';

runGradcheck('linalg', LINALG);
