/** @module JADCE (Shao et al.): grant-free massive-access simulator, MMV-AMP / EM-AMP / group-ISTA / FISTA / LISTA-GS baselines, the feature-aided adaptive-tuning network (reconstruction), metrics, training, sweeps. */
export { defaultJadceConfig, validateJadceConfig, noiseVariance, type JadceConfig, type ScenarioConfig, type BaselineConfig, type NetConfig, type TrainSchedule } from './config.js';
export { Simulator, disposeSlots, gains, type Slots } from './simulate.js';
export { herm, abs2, rowEnergy, fro2, crandn, asComplex } from './complex.js';
export { bgDenoise, posteriorActivity, activityLogOdds, onsager, emStep, mmvAmp, columnEnergy, reestimate, type Denoised, type AmpOptions, type AmpResult, type OnsagerKind } from './amp.js';
export { groupSoft, groupIsta, lipschitz, defaultKappa, detectRows, type IstaOptions } from './ista.js';
export { ListaGS } from './lista.js';
export { FaatNet, type NetOutput } from './network.js';
export { reduce, estimateRanks, project, lift, type Reduced } from './reduce.js';
export { trainUnrolled, type Trainable, type StageLog, type Validation } from './train.js';
export { emptyTally, addBatch, metricsOf, addScores, rocOf, ROC_PFA, type Tally, type JadceMetrics, type ScoreBag } from './metrics.js';
export { ALL_METHODS, BASELINE_METHODS, LEARNED_METHODS, NET_METHODS, netVariant, runMethod, macsPerSlot, type MethodName, type NetMethod, type Models, type MethodOutput } from './methods.js';
export { trainModels, evaluateMethods, saveModels, loadModels, disposeModels, trainSimulator, testSimulator, valSimulator, type EvalRow, type Trained } from './experiment.js';
export { runSweep, sweepPoints, summarize, resultsMarkdown, readPoints, rocPlot, type SweepOptions, type PointRecord, type SummaryRow, type Stat } from './sweep.js';
export { stateEvolution, finiteStateEvolution, type SeOptions, type SeResult, type FiniteSeOptions, type FiniteSeResult } from './se.js';
export { ampVsSe, seGridPlot, type AmpVsSe, type AmpVsSeOptions } from './secheck.js';
export { runJadceTrain, runJadceEval, runJadceSweep, runJadceSe, jadceConfig, type JadceOverrides, type JadceTrainOptions, type JadceTrainReport, type JadceEvalOptions, type JadceEvalReport, type JadceSweepReport, type JadceSeOptions, type JadceSeReport } from './run.js';
