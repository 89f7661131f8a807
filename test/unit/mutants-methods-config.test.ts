/**
 * The methods' option layer (issue 23, area `methods-rest`): every method's config validator at the edges of each
 * field's range (the boundary value accepted, the one beyond it rejected with a ConfigError naming the field), the
 * cross-field rules, the TrainConfig layering, the documented defaults (read from each method's README table, so
 * README and code cannot drift apart) and the CLI-side helpers of the option tables. No training, no native tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.js';
import { CliError, checkOptions, defaultOf, parseFlags, type OptionTable } from '../../src/core/options.js';
import { ADAFILTER_OPTIONS } from '../../src/methods/adafilter/options.js';
import { FINETUNE_OPTIONS } from '../../src/methods/finetune/options.js';
import { SEMISUP_DEFAULTS, SEMISUP_OPTIONS } from '../../src/methods/semisup/options.js';
import { adafilterTrainConfig, defaultAdafilterConfig, validateAdafilterConfig } from '../../src/methods/adafilter/config.js';
import { defaultAdversarialConfig, validateAdversarialConfig } from '../../src/methods/adversarial/config.js';
import { ADVERSARIAL_OPTIONS, ROBUSTNESS_OPTIONS } from '../../src/methods/adversarial/options.js';
import { scheduleDefaults } from '../../src/methods/adversarial/schedules.js';
import { defaultAnomalyFinetuneConfig, validateAnomalyFinetuneConfig } from '../../src/methods/anomaly/config.js';
import { ANOMALY_OPTIONS, anomalyCategories, SYNTHETIC_CATEGORIES } from '../../src/methods/anomaly/options.js';
import { defaultFinetuneConfig, finetuneTrainConfig, validateFinetuneConfig } from '../../src/methods/finetune/config.js';
import { validateJadceConfig, noiseVariance } from '../../src/methods/jadce/config.js';
import { JADCE_OPTIONS } from '../../src/methods/jadce/options.js';
import { cosineFactor, defaultSemisupConfig, linearWarmup, semisupTrainConfig, validateSemisupConfig } from '../../src/methods/semisup/config.js';

type Validate = (p: unknown) => unknown;
/** [field, accepted values, rejected values]; a rejected value must name `prefix + field` in a ConfigError. */
type Edge = [string, unknown[], unknown[]];

function edges(validate: Validate, prefix: string, cases: Edge[], wrap: (field: string, v: unknown) => unknown = (f, v) => ({ [f]: v })): void {
  for (const [field, ok, bad] of cases) {
    for (const v of ok) assert.doesNotThrow(() => validate(wrap(field, v)), `${prefix}${field} = ${JSON.stringify(v)} must be accepted`);
    for (const v of bad) {
      assert.throws(() => validate(wrap(field, v)), (e: Error) => e instanceof ConfigError && e.message.includes(`'${prefix}${field}'`), `${prefix}${field} = ${JSON.stringify(v)} must be rejected`);
    }
  }
}

/**
 * The `| \`field\` | value |` rows of a method README (also `| \`a\`, \`b\` | va, vb |`) whose values are plain literals
 * (null, 'text', a number, a/b, true/false); notes in [..] or (..) are dropped.
 */
function readmeDefaults(method: string, fields: object): Map<string, unknown> {
  const literal = (raw: string): unknown => (raw === 'null' ? null : raw === 'true' ? true : raw === 'false' ? false : /^'[^']*'$/.test(raw) ? raw.slice(1, -1)
    : /^[\d.e+-]+\/[\d.]+$/.test(raw) ? Number(raw.split('/')[0]) / Number(raw.split('/')[1]) : /^[\d.e+-]+$/.test(raw) ? Number(raw) : undefined);
  const out = new Map<string, unknown>();
  for (const line of readFileSync(`src/methods/${method}/README.md`, 'utf8').split('\n')) {
    const cells = line.split('|');
    if (cells.length < 4 || !/^ `[A-Za-z]+`(, `[A-Za-z]+`)* $/.test(cells[1]!)) continue;
    const names = [...cells[1]!.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!);
    const values = cells[2]!.replace(/\[[^\]]*\]|\([^)]*\)/g, '').split(',').map((v) => v.trim().replace(/^`|`$/g, ''));
    if (names.length !== values.length) continue;
    names.forEach((k, i) => { const v = literal(values[i]!); if (k in fields && v !== undefined) out.set(k, v); });
  }
  return out;
}

test('the documented defaults: each README table row with a literal value equals the config default', () => {
  const cases: [string, Record<string, unknown>, number][] = [
    ['adafilter', defaultAdafilterConfig as unknown as Record<string, unknown>, 19],
    ['finetune', defaultFinetuneConfig as unknown as Record<string, unknown>, 13],
    ['semisup', defaultSemisupConfig as unknown as Record<string, unknown>, 30],
  ];
  for (const [method, defaults, atLeast] of cases) {
    const doc = readmeDefaults(method, defaults);
    assert.ok(doc.size >= atLeast, `${method}: only ${doc.size} README rows parsed (${[...doc.keys()].join(', ')})`);
    for (const [k, v] of doc) assert.deepEqual(defaults[k], v, `${method} README: ${k} = ${JSON.stringify(v)}, code: ${JSON.stringify(defaults[k])}`);
  }
  // the defaults stated in the config modules' comments ([C]: the official code; Madry et al.'s PGD-7 at 8/255)
  assert.deepEqual({ ...defaultAdafilterConfig, stages: null }, validateAdafilterConfig({}));
  assert.equal(defaultAdafilterConfig.hiddenSize, 32);
  const adv = validateAdversarialConfig({});
  assert.deepEqual([adv.eps, adv.steps, adv.restarts, adv.tradesBeta, adv.fastStepScale, adv.evalSteps, adv.evalRestarts, adv.randomStart], [8 / 255, 7, 1, 6, 1.25, 20, 1, true]);
  const s = validateSemisupConfig({});
  assert.deepEqual([s.threshold, s.evalRaw, s.ema, s.emaDecay, s.lambdaAkc, s.lambdaArc, s.akcThreshold, s.tableSizeL, s.tableSizeU, s.mixmatchK, s.sharpenT], [0.95, false, true, 0.999, 1, 50, 0.7, 128, 128, 2, 0.5]);
  const a = validateAnomalyFinetuneConfig({});
  assert.deepEqual([a.eps, a.varianceThreshold, a.refitEvery, a.validationSeed, a.padimChannels, a.bn], [1e-3, 0.99, 1, 0, 'paper', 'frozen']);
});

test('adafilter: every field at the edges of its range; bnStats masked needs gated BN; the engine config layering', () => {
  edges(validateAdafilterConfig, 'method.', [
    ['stages', [null, ['layer1']], [[], [''], 'layer1']], ['gate', ['gru', 'mlp'], ['rnn']], ['projSize', [1], [0, 1.5]], ['hiddenSize', [1], [0]],
    ['gateBias', [-3, 0], [NaN, Infinity, '1']], ['temperature', [1e-9], [0, -1]], ['gatedBn', [false], ['yes']], ['usagePenalty', [0], [-1e-9]],
    ['numClasses', [null, 1], [0, 2.5]], ['head', ['keep'], ['imprint']], ['lr', [1e-9], [0]], ['momentum', [0, 0.99], [1, -0.1]],
    ['gateLrScale', [0], [-1]], ['headLrScale', [0], [-1]], ['weightDecay', [0], [-1]], ['gateWeightDecay', [0], [-1]],
    ['gateWarmupSteps', [0, 7], [-1, 1.5, '3']],
  ]);
  assert.throws(() => validateAdafilterConfig({ bnStats: 'masked', gatedBn: false }), /'method\.bnStats' 'masked' needs method\.gatedBn true/);
  assert.equal(validateAdafilterConfig({ bnStats: 'masked', gatedBn: true }).bnStats, 'masked');
  const stages = ['layer1'];
  const v = validateAdafilterConfig({ stages });
  assert.deepEqual(v.stages, ['layer1']);
  assert.notEqual(v.stages, stages, 'the stages are copied');
  const tc = adafilterTrainConfig({ lr: 0.02 }, { method: { momentum: 0.5 }, optim: { lr: 0.02 } });
  assert.deepEqual([tc.optim.name, tc.optim.lr, tc.optim.momentum, tc.optim.weightDecay, tc.method.momentum], ['sgd', 0.02, 0.5, 0, 0.5]);
  assert.throws(() => adafilterTrainConfig({}, { optim: { name: 'adam' } }), /'optim\.name' must be 'sgd' for adafilter, got "adam"/);
  assert.throws(() => adafilterTrainConfig({}, { optim: { momentum: 0.8 } }), /'optim\.momentum' \(0\.8\) contradicts method\.momentum \(0\.9\)/);
  assert.throws(() => adafilterTrainConfig({}, { optim: { lr: 0.1 } }), /'optim\.lr' \(0\.1\) contradicts method\.lr \(0\.01\)/);
});

test('adversarial: every field at the edges of its range; unknown fields named; the engine schedule passes through', () => {
  edges(validateAdversarialConfig, 'method.', [
    ['loss', ['trades', 'fast'], ['mart']], ['init', ['scratch'], ['x']], ['norm', ['l2'], ['l1']], ['eps', [1e-9], [0, -1, 'x', Infinity]],
    ['steps', [1], [0, 1.5]], ['stepSize', [null, 1e-9], [0, -1]], ['randomStart', [false], ['yes', 0]], ['restarts', [1], [0]],
    ['bnMode', ['train'], ['x']], ['tradesBeta', [0], [-1e-9, NaN]], ['fastStepScale', [1e-9], [0, -1]], ['totalSteps', [null, 1], [0, 2.5]],
    ['evalSteps', [1], [0]], ['evalRestarts', [1], [0]],
  ]);
  assert.throws(() => validateAdversarialConfig({ epz: 1 }), /unknown adversarial config field 'method\.epz'/);
  assert.throws(() => validateAdversarialConfig([]), /adversarial config must be an object/);
  assert.deepEqual(validateAdversarialConfig({ schedule: { name: 'engine' } }).schedule, { name: 'engine' });
  assert.deepEqual(validateAdversarialConfig({}).schedule, scheduleDefaults['slow-start-fast-decay']);
  assert.equal(defaultAdversarialConfig.loss, 'pgd');
});

test("adversarial flags: --help's defaults are the library's own (config and schedule preset); range edges of the flags", () => {
  const S = scheduleDefaults['slow-start-fast-decay'];
  const shown = Object.fromEntries((['warmupFraction', 'warmupShape', 'startFactor', 'decayShape', 'decayRate', 'tradesBeta'] as const).map((k) => [k, defaultOf(ADVERSARIAL_OPTIONS[k])]));
  assert.deepEqual(shown, { warmupFraction: S.warmupFraction, warmupShape: S.warmupShape, startFactor: S.startFactor, decayShape: S.decayShape, decayRate: S.decayRate, tradesBeta: defaultAdversarialConfig.tradesBeta });
  const ok = parseFlags('adversarial', ADVERSARIAL_OPTIONS, ['--decay-rate', '0', '--trades-beta', '0', '--start-factor', '1', '--warmup-fraction', '0', '--val-images', '0', '--eval-every', '0']);
  assert.ok(ok !== 'help');
  assert.deepEqual([ok.decayRate, ok.tradesBeta, ok.startFactor, ok.warmupFraction, ok.valImages, ok.evalEvery], [0, 0, 1, 0, 0, 0]);
  for (const args of [['--decay-rate', '-1'], ['--trades-beta', '-1'], ['--start-factor', '1.5'], ['--warmup-fraction', '1'], ['--val-images', '-1'], ['--eval-every', '-1'], ['--eps', '0']]) {
    assert.throws(() => parseFlags('adversarial', ADVERSARIAL_OPTIONS, args), (e: Error) => e instanceof CliError && e.message.startsWith(args[0]!), args.join(' '));
  }
});

test('anomaly: every field at the edges of its range; the categories each data source covers', () => {
  edges(validateAnomalyFinetuneConfig, 'method.', [
    ['stages', [null, ['layer2']], [[], [''], [1]]], ['combine', ['mean-distance'], ['x']], ['objective', ['euclidean'], ['cosine']],
    ['refitEvery', [1], [0, 1.5]], ['bn', ['train'], ['x']], ['validationSeed', [0, -5], [1.5, '1']], ['padimChannels', ['paper', 'all', 1], [0, 'some', 1.5]],
  ]);
  assert.throws(() => validateAnomalyFinetuneConfig({ nope: 1 }), /unknown anomaly config field 'method\.nope'/);
  assert.deepEqual(validateAnomalyFinetuneConfig({}).stages, defaultAnomalyFinetuneConfig.stages);
  assert.deepEqual(anomalyCategories('fmnist', undefined), ['5', '6', '7', '8', '9']);
  assert.deepEqual(anomalyCategories('fmnist', ['all']), ['5', '6', '7', '8', '9']);
  assert.deepEqual(anomalyCategories('fmnist', ['7', '5']), ['7', '5']);
  assert.throws(() => anomalyCategories('fmnist', ['4']), /--category must be normal classes among 5\.\.9 or all for --data fmnist, got '4'/);
  assert.deepEqual(anomalyCategories('synthetic', undefined), ['grating']);
  assert.deepEqual(anomalyCategories('synthetic', ['all']), [...SYNTHETIC_CATEGORIES]);
  assert.throws(() => anomalyCategories('synthetic', ['5']), /--category must be among .* for --data synthetic, got '5'/);
  assert.deepEqual(anomalyCategories('mvtec', ['bottle']), ['bottle']);
  assert.throws(() => anomalyCategories('mvtec', undefined), /--data mvtec needs --category/);
  assert.throws(() => anomalyCategories('mvtec', []), /--data mvtec needs --category/);
});

test('finetune: every field at the edges of its range; the cross-field rules; lr = elr (1 - momentum) both ways; the optim layering', () => {
  edges(validateFinetuneConfig, 'method.', [
    ['strategy', ['linear-probe', 'scratch'], ['x']], ['numClasses', [null, 1], [0, 1.5]], ['head', ['keep'], ['x']],
    ['imprintScale', [1e-9], [0, -1]], ['headLrScale', [0], [-1e-9]], ['weightDecay', [0], [-1]], ['alpha', [0], [-1]], ['beta', [0], [-1]],
    ['labelSmoothing', [0, 0.99], [1, -0.1]], ['momentum', [0, 0.99], [1, -0.1]], ['elr', [1e-9], [0, -1]],
  ]);
  assert.throws(() => validateFinetuneConfig({ freezeUpTo: '' , strategy: 'partial' }), /'method\.freezeUpTo'/);
  const r = validateFinetuneConfig({ elr: 0.1, momentum: 0.9 });
  assert.ok(Math.abs(r.resolved.lr - 0.01) < 1e-15 && r.resolved.elr === 0.1, JSON.stringify(r.resolved));
  const l = validateFinetuneConfig({ lr: 0.01, momentum: 0.5 });
  assert.deepEqual([l.resolved.lr, l.resolved.elr], [0.01, 0.02]);
  const adam = validateFinetuneConfig({ optimizer: 'adam', lr: 1e-3 });
  assert.deepEqual([adam.resolved.lr, adam.resolved.elr], [1e-3, 1e-3], "adam: no momentum rescaling");
  assert.throws(() => validateFinetuneConfig({ optimizer: 'adam' }), /'method\.lr' must be given with optimizer 'adam'/);
  assert.throws(() => validateFinetuneConfig({ lr: 0.01, elr: 0.1 }), /give exactly one/);
  assert.throws(() => validateFinetuneConfig({ strategy: 'partial' }), /'method\.freezeUpTo' must name a stage/);
  assert.equal(validateFinetuneConfig({ strategy: 'partial', freezeUpTo: 'layer1' }).freezeUpTo, 'layer1');
  assert.throws(() => validateFinetuneConfig({ freezeUpTo: 'layer1' }), /only used with strategy 'partial'/);
  assert.throws(() => validateFinetuneConfig({ strategy: 'scratch', regularizer: 'l2-sp' }), /cannot be 'l2-sp' with strategy 'scratch'/);
  assert.throws(() => validateFinetuneConfig({ strategy: 'scratch', head: 'imprint' }), /cannot be 'imprint' with strategy 'scratch'/);
  assert.throws(() => validateFinetuneConfig({ freezeBnAffine: true }), /needs method\.bn 'frozen'/);
  assert.equal(validateFinetuneConfig({ freezeBnAffine: true, bn: 'frozen' }).freezeBnAffine, true);
  const tc = finetuneTrainConfig({ elr: 0.1 }, { method: { momentum: 0.5 } });
  assert.deepEqual([tc.optim.name, tc.optim.lr, tc.optim.momentum, tc.optim.weightDecay], ['sgd', 0.05, 0.5, 0]);
  assert.equal(finetuneTrainConfig({}, { optim: null }).optim.name, 'sgd', 'optim null: the finetune defaults');
  assert.throws(() => finetuneTrainConfig({}, { optim: 3 }), /config field 'optim' is a section, not a value/);
  assert.throws(() => finetuneTrainConfig({}, { optim: { name: 'adam' } }), /contradicts method\.optimizer 'sgd'/);
  assert.throws(() => finetuneTrainConfig({}, { optim: { momentum: 'x' } }), /'optim\.momentum' must be a finite number/);
});

test('jadce: every section field at the edges of its range; unknown sections and fields named; pilots < devices; the noise variance', () => {
  const inSection = (section: string) => (f: string, v: unknown) => ({ [section]: { [f]: v } });
  edges(validateJadceConfig, 'scenario.', [['devices', [41], [1, 2.5]], ['antennas', [1], [0]], ['activity', [0.5], [0, 1]], ['snrDb', [-30, 60], [-31, 61]], ['innerRadius', [0.5], [0, 1]], ['pathLossExponent', [1e-9], [0]]], inSection('scenario'));
  edges(validateJadceConfig, 'baselines.', [['ampDamping', [1, 1e-9], [0, 1.1]], ['istaReg', [1e-9], [0]], ['rowThreshold', [1e-9], [0]], ['listaLayers', [1], [0]], ['ampColumnNorm', [false], [1]]], inSection('baselines'));
  edges(validateJadceConfig, 'net.', [['emSweeps', [0], [-1]], ['rankMargin', [1e-9], [0, -1]], ['detectThreshold', [0.5], [0, 1]], ['channel', ['ls', 'network'], ['x']]], inSection('net'));
  edges(validateJadceConfig, 'train.', [['innerSteps', [0], [-1]], ['batch', [1], [0]], ['lr', [1e-9], [0]], ['valSlots', [0], [-1]], ['evalEvery', [1], [0]], ['patience', [1], [0]]], inSection('train'));
  for (const bad of [[], 3, 'x', null]) assert.throws(() => validateJadceConfig(bad), /jadce config must be an object/, JSON.stringify(bad));
  assert.throws(() => validateJadceConfig({ scenery: {} }), /unknown jadce config section 'scenery'/);
  assert.throws(() => validateJadceConfig({ net: { layer: 3 } }), /unknown jadce config field 'net\.layer'/);
  assert.throws(() => validateJadceConfig({ net: 3 }), /jadce config section 'net' must be an object/);
  assert.equal(validateJadceConfig({ scenario: { devices: 50 } }).scenario.devices, 50);
  assert.throws(() => validateJadceConfig({ scenario: { devices: 40 } }), /'scenario\.pilotLength' must be < scenario\.devices \(40\), got 40/);
  assert.throws(() => validateJadceConfig({ scenario: { pilots: 'resampled' } }), /'baselines\.listaWeights' must be 'tied'/);
  assert.equal(validateJadceConfig({ scenario: { pilots: 'resampled' }, baselines: { listaWeights: 'tied' } }).baselines.listaWeights, 'tied');
  assert.equal(noiseVariance({ snrDb: 10, snrMode: 'per-slot', pilotLength: 40 }), 0.1);
  assert.ok(Math.abs(noiseVariance({ snrDb: 10, snrMode: 'per-symbol', pilotLength: 40 }) - 1 / 400) < 1e-18);
});

test('jadce flags: comma lists of integers >= their minimum or finite numbers; each bad entry named', () => {
  const v = parseFlags('jadce', JADCE_OPTIONS, ['--seeds', '0, 3', '--pilot-lengths', '1,20', '--snrs', '-5,2.5']);
  assert.ok(v !== 'help');
  assert.deepEqual([v.seeds, v.pilotLengths, v.snrs], [[0, 3], [1, 20], [-5, 2.5]]);
  for (const [flag, value, bad] of [['--seeds', '1,x', 'x'], ['--seeds', '1.5', '1.5'], ['--seeds', '-1', '-1'], ['--pilot-lengths', '0', '0'], ['--snrs', '1,,2', ''], ['--snrs', 'inf', 'inf']] as const) {
    assert.throws(() => parseFlags('jadce', JADCE_OPTIONS, [flag, value]), (e: Error) => e instanceof CliError && e.message.includes(`${flag} must be`) && e.message.endsWith(`got '${bad}'`), `${flag} ${value}`);
  }
});

test('semisup: every field at the edges of its range; per-algorithm coef and warm-up; the warm-up and cosine factors; the engine config', () => {
  edges(validateSemisupConfig, 'method.', [
    ['algorithm', ['ict', 'supervised'], ['mixup']], ['lambdaAkc', [0], [-1]], ['akcThreshold', [1, 1e-9], [0, 1.1]], ['akcScale', [1e-9], [0]],
    ['tableSizeL', [1], [0]], ['tableSizeU', [1], [0]], ['arcMinTable', [0], [-1]], ['regWarmup', [0], [-1, 0.5]], ['regWarmupIter', [0], [-1]], ['coef', [null, 0], [-1]], ['warmupIter', [null, 0], [-1, 0.5]],
    ['threshold', [0, 1], [-0.1, 1.1]], ['mixupAlpha', [1e-9], [0]], ['sharpenT', [1], [0, 1.5]], ['emaDecay', [0, 0.999], [1, -0.1]],
    ['momentum', [0.5], [0, 1]], ['numCycles', [1, 1e-9], [0, 1.1]], ['mu', [1], [0]], ['numClasses', [null, 2], [1, 2.5]], ['evalRaw', [true], ['no']],
  ]);
  // README: coef pseudo-label 1, fixmatch 1, ict 100, mean-teacher 10, mixmatch 75; warmupIter 0 for pseudo-label and
  // fixmatch, 4000 for ict, mean-teacher and mixmatch; supervised has no SSL loss (0, 0)
  const resolved = Object.fromEntries((['supervised', 'pseudo-label', 'fixmatch', 'mean-teacher', 'ict', 'mixmatch'] as const).map((alg) => {
    const r = validateSemisupConfig({ algorithm: alg, ...(alg === 'mixmatch' ? { mixmatchK: 2 } : {}) });
    return [alg, [r.coef, r.warmupIter]];
  }));
  assert.deepEqual(resolved, { supervised: [0, 0], 'pseudo-label': [1, 0], fixmatch: [1, 0], 'mean-teacher': [10, 4000], ict: [100, 4000], mixmatch: [75, 4000] });
  assert.deepEqual([validateSemisupConfig({ algorithm: 'mixmatch', coef: 3 }).coef, validateSemisupConfig({ algorithm: 'fixmatch' }).warmupIter], [3, 0]);
  assert.throws(() => validateSemisupConfig({ algorithm: 'supervised', coef: 1 }), /'method\.coef' must be 0 or null with algorithm 'supervised'/);
  assert.equal(validateSemisupConfig({ algorithm: 'supervised', coef: 0 }).coef, 0);
  assert.throws(() => validateSemisupConfig({ algorithm: 'mixmatch', mixmatchK: 1 }), /'method\.mixmatchK' must be >= 2 for mixmatch/);
  assert.equal(validateSemisupConfig({ algorithm: 'fixmatch', mixmatchK: 1 }).mixmatchK, 1);
  assert.deepEqual([linearWarmup(10, 4, 1), linearWarmup(10, 4, 4), linearWarmup(10, 4, 9), linearWarmup(10, 0, 1)], [2.5, 10, 10, 10]);
  assert.ok(Math.abs(cosineFactor(50, 100, 0.5) - Math.cos(Math.PI * 0.25)) < 1e-15);
  assert.deepEqual([cosineFactor(0, 100, 0.5), cosineFactor(200, 100, 1), cosineFactor(3, 0, 0.25)], [1, 0, Math.cos(Math.PI * 0.25)]);
  // runSemisup's default layer is a valid engine config (checkpoint.keep and log.every >= 1) and keeps what it says
  const run = semisupTrainConfig({}, SEMISUP_DEFAULTS as unknown as Record<string, unknown>);
  assert.deepEqual([run.maxSteps, run.checkpoint.keep, run.log.every, run.eval.every, run.method.algorithm], [1000, 1, 1, 100, 'fixmatch']);
  const tc = semisupTrainConfig({ lr: 0.03 }, { method: { momentum: 0.8 } });
  assert.deepEqual([tc.optim.name, tc.optim.lr, tc.optim.momentum, tc.optim.nesterov, tc.optim.weightDecay], ['sgd', 0.03, 0.8, true, 0]);
});

const ok = (f: () => unknown): boolean => { try { f(); return true; } catch { return false; } };
/** The edge values of a numeric flag: each bound and the nearest value beyond it (and inside it). */
function edgeValues(s: OptionTable[string]): number[] {
  if (s.type !== 'int' && s.type !== 'number') return [];
  const d = s.type === 'int' ? 1 : 1e-9;
  const b = s as { min?: number; max?: number; gt?: number; lt?: number };
  return [b.min, b.max, b.gt, b.lt, s.type === 'int' && b.min === undefined ? 1 : undefined].filter((v): v is number => v !== undefined).flatMap((v) => [v - d, v, v + d]);
}

test("every numeric flag that sets a method field has the library validator's range (probed at the flag's edges); every default lies in its flag's range", () => {
  const mirrors: [string, OptionTable, (field: string, v: number) => unknown, string[]][] = [
    ['adafilter', ADAFILTER_OPTIONS, (f, v) => validateAdafilterConfig({ [f]: v }), ['momentum', 'weightDecay', 'headLrScale', 'lr', 'gateLrScale', 'temperature', 'usagePenalty', 'gateWarmupSteps']],
    ['adversarial', ADVERSARIAL_OPTIONS, (f, v) => validateAdversarialConfig({ [f]: v }), ['eps', 'steps', 'stepSize', 'tradesBeta', 'evalSteps']],
    ['finetune', FINETUNE_OPTIONS, (f, v) => validateFinetuneConfig(f === 'lr' ? { lr: v, elr: null } : { [f]: v }), ['momentum', 'weightDecay', 'headLrScale', 'elr', 'lr', 'alpha', 'beta']],
    ['semisup', SEMISUP_OPTIONS, (f, v) => validateSemisupConfig({ [f]: v }), ['lambdaAkc', 'lambdaArc', 'akcScale', 'threshold', 'coef', 'batchSize', 'mu', 'lr', 'weightDecay', 'emaDecay']],
    ['jadce', JADCE_OPTIONS, (f, v) => validateJadceConfig(f === 'layers' || f === 'emSweeps' ? { net: { [f]: v } } : { scenario: { [f]: v, ...(f === 'devices' ? { pilotLength: 1 } : {}) } }), ['devices', 'antennas', 'pilotLength', 'activity', 'layers', 'emSweeps']],
  ];
  let probes = 0;
  for (const [method, table, validate, fields] of mirrors) {
    for (const f of fields) {
      const values = edgeValues(table[f]!);
      assert.ok(values.length >= 3, `${method} --${f}: a numeric flag with a bound`);
      for (const v of values) {
        assert.equal(ok(() => checkOptions(table, { [f]: v })), ok(() => validate(f, v)), `${method} ${f} = ${v}: the flag and the library disagree`);
        probes++;
      }
    }
  }
  assert.ok(probes > 100, `${probes} probes`);
  for (const table of [ADAFILTER_OPTIONS, ADVERSARIAL_OPTIONS, ANOMALY_OPTIONS, FINETUNE_OPTIONS, JADCE_OPTIONS, SEMISUP_OPTIONS] as OptionTable[]) {
    for (const [k, spec] of Object.entries(table)) {
      if (spec.default !== undefined && spec.default !== null && !spec.libraryOnly) assert.doesNotThrow(() => checkOptions(table, { [k]: spec.default }), `--${k} default ${JSON.stringify(spec.default)}`);
    }
  }
});

test('the run-level flags: counts of steps, restarts, epochs and batches start at 1, image and monitor counts at 0', () => {
  const cases: [OptionTable, string, number, number][] = [
    [ADVERSARIAL_OPTIONS, 'testSteps', 1, 0], [ADVERSARIAL_OPTIONS, 'testRestarts', 1, 0], [ADVERSARIAL_OPTIONS, 'epochs', 1, 0], [ADVERSARIAL_OPTIONS, 'batchSize', 1, 0],
    [ADVERSARIAL_OPTIONS, 'valImages', 0, -1], [ADVERSARIAL_OPTIONS, 'gapImages', 0, -1], [ADVERSARIAL_OPTIONS, 'evalEvery', 0, -1], [ADVERSARIAL_OPTIONS, 'weightDecay', 0, -1e-9],
    [ADVERSARIAL_OPTIONS, 'momentum', 0, 1], [ADVERSARIAL_OPTIONS, 'lr', 1e-9, 0], [ADVERSARIAL_OPTIONS, 'trainPerClass', 1, 0], [ADVERSARIAL_OPTIONS, 'testLimit', 1, 0],
    [ANOMALY_OPTIONS, 'testGood', 1, 0], [ANOMALY_OPTIONS, 'testDefect', 1, 0], [ANOMALY_OPTIONS, 'overlays', 0, -1], [ANOMALY_OPTIONS, 'patience', 1, 0], [ANOMALY_OPTIONS, 'lr', 0, -1e-9],
    [ANOMALY_OPTIONS, 'epochs', 1, 0], [ANOMALY_OPTIONS, 'batchSize', 1, 0], [ANOMALY_OPTIONS, 'size', 1, 0],
    [ADAFILTER_OPTIONS, 'epochs', 1, 0], [ADAFILTER_OPTIONS, 'batchSize', 1, 0], [FINETUNE_OPTIONS, 'epochs', 1, 0], [SEMISUP_OPTIONS, 'steps', 1, 0], [SEMISUP_OPTIONS, 'evalEvery', 1, 0],
    [JADCE_OPTIONS, 'slots', 1, 0], [JADCE_OPTIONS, 'batch', 1, 0], [JADCE_OPTIONS, 'seSamples', 0, -1], [JADCE_OPTIONS, 'iterations', 1, 0], [JADCE_OPTIONS, 'damping', 1e-9, 0],
  ];
  for (const [table, k, good, bad] of cases) {
    assert.doesNotThrow(() => checkOptions(table, { [k]: good }), `${k} = ${good}`);
    assert.throws(() => checkOptions(table, { [k]: bad }), (e: Error) => e instanceof ConfigError && e.message.includes(`(option ${k})`), `${k} = ${bad}`);
  }
});

test("robustness --eps-sweep: 'none' or a list of finite radii > 0; jadce's stated defaults (README: ampColumnNorm true, posterior detection)", () => {
  const v = parseFlags('robustness', ROBUSTNESS_OPTIONS, ['--eps-sweep', '0.05,0.2']);
  assert.ok(v !== 'help');
  assert.deepEqual(v.epsSweep, [0.05, 0.2]);
  const none = parseFlags('robustness', ROBUSTNESS_OPTIONS, ['--eps-sweep', 'none']);
  assert.ok(none !== 'help');
  assert.deepEqual(none.epsSweep, []);
  for (const bad of ['0', '-0.1', '0.1,inf', 'x']) assert.throws(() => parseFlags('robustness', ROBUSTNESS_OPTIONS, ['--eps-sweep', bad]), /--eps-sweep/, bad);
  const j = validateJadceConfig({});
  assert.deepEqual([j.baselines.ampColumnNorm, j.baselines.ampDetect], [true, 'posterior']);
});
