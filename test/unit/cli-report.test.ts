/** `adaptune report`: flag parsing (errors name the flag or directory) and a page written for a fake run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReport, reportCommand } from '../../src/cli/report.js';
import { CliError } from '../../src/cli/flags.js';

function fakeRun(root: string, name: string, lr: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const lines = [1, 2, 3].map((step) => JSON.stringify({ split: 'train', step, epoch: 0, loss: 2 / step + lr, time: 1e9 + step }));
  lines.push(JSON.stringify({ split: 'eval', step: 3, epoch: 1, accuracy: 0.5 + lr, time: 1e9 + 4 }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ optim: { lr } }));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ status: 'completed', step: 3, best: null }));
  return dir;
}

test('parseReport: needs run directories, validates --heatmap, defaults --out; reportCommand refuses a folder that is no run', async () => {
  const root = mkdtempSync(join(tmpdir(), 'adaptune-report-'));
  const a = fakeRun(root, 'a', 0.1);
  assert.throws(() => parseReport([]), (e: unknown) => e instanceof CliError && /at least one run directory/.test((e as Error).message));
  const notRun = parseReport([root]);
  assert.ok(notRun !== 'help');
  await assert.rejects(reportCommand(notRun), (e: unknown) => e instanceof CliError && /not a run directory/.test((e as Error).message));
  assert.throws(() => parseReport([a, '--heatmap', 'x']), (e: unknown) => e instanceof CliError && /--heatmap/.test((e as Error).message));
  assert.throws(() => parseReport([a, '--bogus']), (e: unknown) => e instanceof CliError && /--bogus/.test((e as Error).message));
  const p = parseReport([a]);
  assert.ok(p !== 'help');
  assert.equal(p.out, join(a, 'report.html'));
  assert.equal(parseReport(['--help']), 'help');
});

test('reportCommand writes the page for two runs and TensorBoard files on request', async () => {
  const root = mkdtempSync(join(tmpdir(), 'adaptune-report-'));
  const a = fakeRun(root, 'a', 0.1);
  const b = fakeRun(root, 'b', 0.3);
  const out = join(root, 'cmp.html');
  const args = parseReport([a, b, '--out', out, '--tensorboard', '--title', 'two runs']);
  assert.ok(args !== 'help');
  // (stdout is not captured: the test runner reports through it)
  assert.equal(await reportCommand(args), 0);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /two runs/);
  assert.ok(html.includes('<script'), 'the page carries its charts');
  assert.ok(existsSync(join(a, 'tensorboard')) && existsSync(join(b, 'tensorboard')));
});
