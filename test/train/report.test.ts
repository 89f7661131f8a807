/** HTML report: fake run dirs (lr x momentum grid), plot/heat-map choice, escaping, and the page rendered in headless Chromium (every plot an SVG with marks, no console error, no network). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPlots, chooseHeatmap, escapeHtml, jsonForScript, loadRuns, thin, varyingKeys, writeReport } from '../../src/train/report/index.js';
import { skipOrFail } from '../require.js';

const made: string[] = [];
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
const tmp = (tag: string): string => { const d = mkdtempSync(join(tmpdir(), `adaptune-report-${tag}-`)); made.push(d); return d; };

const NASTY = `a</script><script>window.pwned=1</script>`;

/** Writes a fake run dir: config.json, metrics.jsonl (train loss per step, eval acc/loss every 10 steps), summary.json. */
function fakeRun(root: string, name: string, lr: number, momentum: number, extra: Record<string, unknown> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ seed: 0, epochs: 3, optim: { name: 'sgd', lr, momentum }, earlyStop: { metric: 'acc', mode: 'max' }, ...extra }));
  const lines: string[] = [];
  let acc = 0;
  for (let step = 1; step <= 30; step++) {
    const loss = 2 * Math.exp(-step * lr * (1 + momentum)) + 0.05;
    lines.push(JSON.stringify({ split: 'train', step, epoch: Math.floor((step - 1) / 10), loss, lr, gradNorm: 1, time: 1700000000 + step }));
    if (step % 10 === 0) {
      acc = 1 - loss / 2.1;
      lines.push(JSON.stringify({ split: 'eval', step, epoch: step / 10 - 1, acc, loss: loss * 1.1, [NASTY]: step, time: 1700000000 + step }));
    }
  }
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n{"split":"tra');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ status: 'completed', step: 30, epoch: 3, best: { metric: 'acc', value: acc, step: 30 }, lastEval: { acc }, note: NASTY }));
  return dir;
}

/** Four runs on an lr x momentum grid; one has HTML in its directory name. */
function grid(): string[] {
  const root = tmp('grid');
  return [
    fakeRun(root, 'lr0.1-m0', 0.1, 0), fakeRun(root, 'lr0.1-m0.9', 0.1, 0.9),
    fakeRun(root, 'lr0.01-m0', 0.01, 0), fakeRun(root, `lr0.01 <i>&"'`, 0.01, 0.9),
  ];
}

test('escaping and thinning helpers', () => {
  assert.equal(escapeHtml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  const j = jsonForScript({ k: NASTY, s: '\u2028' });
  assert.ok(!j.includes('<') && !j.includes('\u2028'));
  assert.deepEqual(JSON.parse(j), { k: NASTY, s: '\u2028' });
  assert.deepEqual(thin([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4), [1, 4, 7, 10]);
  assert.deepEqual(thin([1, 2], 4), [1, 2]);
});

test('plots, varying keys and the inferred heat-map', () => {
  const runs = loadRuns(grid());
  assert.deepEqual(varyingKeys(runs), ['optim.lr', 'optim.momentum']);
  assert.deepEqual(chooseHeatmap(runs, undefined), { x: 'optim.lr', y: 'optim.momentum', metric: 'acc' });
  const { plots, heatmap } = buildPlots(runs);
  assert.deepEqual(plots.map((p) => p.title), ['train loss per step', 'eval acc', 'eval loss', `eval ${NASTY}`, 'final acc by optim.lr × optim.momentum']);
  assert.deepEqual(heatmap, { x: 'optim.lr', y: 'optim.momentum', metric: 'acc' });
  const cells = (plots[4]!.spec['data'] as { values: { x: string; y: string; value: number }[] }).values;
  assert.equal(cells.length, 4);
  assert.ok(cells.find((c) => c.x === '0.1' && c.y === '0.9')!.value > cells.find((c) => c.x === '0.01' && c.y === '0')!.value);
  const train = (plots[0]!.spec['data'] as { values: unknown[] }).values;
  assert.equal(train.length, 4 * 30, 'the partial last line is skipped');
  assert.equal((buildPlots(runs, { maxPoints: 5 }).plots[0]!.spec['data'] as { values: unknown[] }).values.length, 20);
  // three varying keys: no inferred heat-map, a note says why; naming two keys draws it
  const root = tmp('three');
  const three = loadRuns([fakeRun(root, 'a', 0.1, 0, { seed: 1 }), fakeRun(root, 'b', 0.01, 0.9, { seed: 2 })]);
  const b = buildPlots(three);
  assert.equal(b.heatmap, null);
  assert.match(b.notes.join('\n'), /differ in 3 config values \(optim\.lr, optim\.momentum, seed\)/);
  assert.deepEqual(buildPlots(three, { heatmap: { x: 'seed', y: 'optim.lr', metric: 'loss' } }).heatmap, { x: 'seed', y: 'optim.lr', metric: 'loss' });
  assert.throws(() => loadRuns([root]), /neither metrics\.jsonl nor summary\.json/);
});

/** playwright-core and Debian's chromium, or the reason the browser test is skipped. */
async function browser(): Promise<{ chromium: typeof import('playwright-core').chromium } | string> {
  const exe = process.env['ADAPTUNE_CHROMIUM'] ?? '/usr/bin/chromium';
  if (!existsSync(exe)) return `chromium is not installed at ${exe} (apt-get install -y --no-install-recommends chromium); skipping the browser check`;
  try { return { chromium: (await import('playwright-core')).chromium }; } catch { return 'playwright-core is not installed (npm install)'; }
}

test('the report renders in headless Chromium: every plot an SVG with marks, escaped text, no console error, no network', { timeout: 60_000 }, async (t) => {
  const b = await browser();
  if (typeof b === 'string') { skipOrFail(t, 'Chromium (/usr/bin/chromium) with playwright-core', b); return; }
  const out = join(tmp('out'), 'sub', 'report.html');
  const res = writeReport(grid(), out, { title: `Grid <b>report</b>` });
  const single = writeReport([grid()[0]!], join(tmp('one'), 'one.html'));
  assert.equal(res.plots.length, 5);
  assert.equal(single.plots.length, 4, 'one run: curves only, no heat-map');
  const html = readFileSync(out, 'utf8');
  assert.ok(!html.includes('<i>') && !html.includes('<b>report') && !html.includes('window.pwned=1</script>'), 'inserted text is escaped');
  assert.ok(!/<(script|link|img)[^>]+(src|href)=/i.test(html), 'nothing is loaded from outside the file');

  const userDataDir = tmp('chromium');
  const ctx = await b.chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env['ADAPTUNE_CHROMIUM'] ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    for (const r of [res, single]) {
      const page = await ctx.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (q) => { if (!q.url().startsWith('file:')) requests.push(q.url()); });
      await page.goto(pathToFileURL(r.file).href);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 20_000 });
      const plots = await page.$$eval('div.vega', (els) => els.map((el) => ({
        id: el.id,
        rendered: el.getAttribute('data-rendered'),
        svgs: el.querySelectorAll(':scope > svg').length,
        lines: el.querySelectorAll('g.mark-line.role-mark path').length,
        cells: el.querySelectorAll('g.mark-rect.role-mark path').length,
        texts: [...el.querySelectorAll('g.mark-text.role-mark text')].map((x) => x.textContent),
        drawn: [...el.querySelectorAll('g.mark-line.role-mark path, g.mark-rect.role-mark path')].filter((p) => (p.getAttribute('d') ?? '').length > 10).length,
      })));
      assert.deepEqual(plots.map((p) => p.id), r.plots.map((p) => p.id));
      for (const p of plots) {
        const kind = r.plots.find((x) => x.id === p.id)!.kind;
        assert.equal(p.rendered, 'true', `${p.id} rendered`);
        assert.equal(p.svgs, 1, `${p.id}: one <svg> from vega`);
        if (kind === 'heatmap') {
          assert.equal(p.cells, 4, `${p.id}: one rect per grid cell`);
          assert.equal(p.texts.length, 4);
        } else assert.equal(p.lines, r.runs.length, `${p.id}: one line per run`);
        assert.ok(p.drawn >= Math.min(p.lines + p.cells, 1), `${p.id}: marks have geometry`);
      }
      assert.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined, 'no injected script ran');
      const head = await page.$$eval('table.compare thead th', (ths) => ths.map((th) => th.textContent));
      assert.deepEqual(head, ['field', ...r.runs]);
      if (r === res) {
        assert.ok(r.runs.includes(`lr0.01 <i>&"'`));
        assert.equal(await page.title(), 'Grid <b>report</b>');
        assert.equal(await page.$$eval('i, b', (x) => x.length), 0);
        assert.deepEqual(await page.$$eval('table.compare tr.differs th', (x) => x.slice(0, 3).map((th) => th.textContent)), ['directory', 'config.optim.lr', 'config.optim.momentum']);
      }
      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(requests, [], 'no network requests');
      await page.close();
    }
  } finally {
    await ctx.close();
  }
});
