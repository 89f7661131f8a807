/**
 * Runs every example of README.md's "Use it as a library" section at a tiny budget: each ```js block becomes a module
 * whose `adaptune` imports point at this build, with the run functions wrapped so that a tiny budget and a temporary
 * output folder override the example's options (the example's own code runs unchanged otherwise). The quickstart
 * example's run is the suite's quickstart --quick smoke test (test/quickstart-checks.ts checks its result and files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { QuickstartResult } from '../../src/recipes/quickstart.js';
import { checkQuickQuickstart } from '../quickstart-checks.js';

const here = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(here, '../../..');
const dist = resolve(here, '../../src');
const readme = readFileSync(join(rootDir, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Use it as a library'), readme.indexOf('\n## ', readme.indexOf('## Use it as a library') + 5));
const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const tmp = mkdtempSync(join(tmpdir(), 'adaptune-readme-'));
let n = 0;
const fresh = (): string => join(tmp, `run-${n++}`);
const quiet = { quiet: true, handleSignals: false };

/** Options that override each run function's example options (tiny budgets, temporary folders). */
const TINY: Record<string, () => Record<string, unknown>> = {
  runFinetune: () => ({ ...quiet, set: ['maxSteps=2', 'log.every=1'], labelsPerClass: 10, batchSize: 8, out: fresh() }),
  runAdafilter: () => ({ ...quiet, set: ['maxSteps=2'], labelsPerClass: 10, batchSize: 8, stages: ['layer3'], out: fresh() }),
  runPretrain: () => ({ ...quiet, set: ['maxSteps=2'], labelsPerClass: 10, width: 4, batchSize: 8, out: fresh() }),
  runHparams: () => ({ maxSteps: 1, testLimit: 50, elrs: [0.3], momenta: [0.9], out: fresh() }),
  runRecommend: () => ({}),
  runSimilarity: () => ({ perClassMax: 10 }),
  runAdversarial: () => ({ ...quiet, maxSteps: 2, valImages: 20, testLimit: 20, testSteps: 1, evalSteps: 1, steps: 1, batchSize: 16, out: fresh() }),
  runRobustness: () => ({ limit: 20, steps: [1], epsSweep: [] }),
  runSemisup: () => ({ ...quiet, steps: 1, batchSize: 4, mu: 1, out: fresh() }),
  runAnomaly: () => ({ quiet: true, trainSize: 20, testGood: 6, testDefect: 6, epochs: 1, overlays: 1, out: fresh() }),
  runExport: () => ({ verifyImages: 4, out: `${fresh()}.onnx` }),
  runPredict: () => ({}),
  runQuickstart: () => ({ ...quiet, quick: true, labelsPerClass: 10, out: fresh() }),
  runJadceEval: () => ({ slots: 20, batch: 20 }),
};
let calls = 0;
/** Each run function's last call (its options and its result), for checks beyond the example's own. */
const last: Record<string, { options: Record<string, unknown>; result: unknown }> = {};
(globalThis as Record<string, unknown>)['__adaptuneWrap'] = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k,
  typeof v === 'function' && TINY[k] ? (o: Record<string, unknown>, ...rest: unknown[]) => {
    calls++;
    const options = { ...o, ...TINY[k]!() };
    const result = (v as (...a: unknown[]) => unknown)(options, ...rest);
    last[k] = { options, result };
    return result;
  } : v]));

/** `adaptune[/sub]` as a file URL of this build. */
function target(spec: string): string {
  const sub = spec === 'adaptune' ? 'index.js' : `${spec.slice('adaptune/'.length)}/index.js`;
  return pathToFileURL(join(dist, sub)).href;
}

test('README "Use it as a library": one example per command, each at most 10 lines', () => {
  assert.ok(blocks.length >= 9, `${blocks.length} examples`);
  for (const b of blocks) assert.ok(b.trim().split('\n').length <= 10, b);
});

for (const [i, block] of blocks.entries()) {
  const title = block.split('\n')[0]!.replace(/^\/\/\s*/, '');
  test(`README library example ${i + 1}: ${title}`, async () => {
    const code = block.replace(/import \{([^}]+)\} from '(adaptune[^']*)';/g, (_m, names: string, spec: string) => `const {${names}} = globalThis.__adaptuneWrap(await import('${target(spec)}'));`);
    assert.ok(!/from 'adaptune/.test(code), 'every import rewritten');
    const file = join(tmp, `example-${i}.mjs`);
    writeFileSync(file, code.replaceAll('console.log(', '(() => {})('));
    const before = calls;
    delete last['runQuickstart'];
    await import(pathToFileURL(file).href);
    assert.ok(calls > before, 'the example called a run function');
    // the quickstart example's run (--quick, 10 labels per class) is also the suite's quickstart smoke test
    const qs = last['runQuickstart'];
    assert.equal(qs !== undefined, /\brunQuickstart\(/.test(block), 'runQuickstart ran exactly in the quickstart example');
    if (qs) checkQuickQuickstart(await (qs.result as Promise<QuickstartResult>), qs.options['out'] as string);
  });
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));
