/**
 * Drives the page of an exportWeb folder in Debian's chromium through playwright-core (web.test.ts, cli.test.ts):
 * a static server on 127.0.0.1 at an OS-assigned port, images picked through the page's file input, every
 * request outside the folder aborted and listed, console errors collected, a screenshot on request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env['ADAPTUNE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Launches headless chromium (file:// reads allowed unless fileAccess is false), or returns why the browser checks are skipped. */
export async function launch(fileAccess = true): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `chromium is not installed at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium); skipping the browser check`;
  let chromium;
  try { chromium = (await import('playwright-core')).chromium; } catch { return 'playwright-core is not installed (npm install)'; }
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(fileAccess ? ['--allow-file-access-from-files'] : [])],
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.txt': 'text/plain',
};

/** Picks `files` through the page's file input; each image's probabilities by file name. */
export async function classifyInPage(page: Page, files: string[]): Promise<Map<string, number[]>> {
  const before = await page.locator('#results .result').count();
  await page.setInputFiles('#pick', files);
  await page.waitForFunction(`document.querySelectorAll('#results .result').length === ${before + files.length} && document.body.dataset.busy === 'false'`, undefined, { timeout: 60_000 });
  const rows = await page.$$eval('#results .result', (els) => els.map((e) => [e.getAttribute('data-name'), e.getAttribute('data-probabilities')] as const));
  return new Map(rows.map(([n, p]) => [n!, JSON.parse(p!) as number[]]));
}

/** What a page session saw. */
export interface PageRun { probabilities: Map<string, number[]>; outside: string[]; errors: string[]; served: string[]; status: string; text: string }

/** Serves `dir`, opens the page ('http') or its index.html ('file'), classifies `files`, optionally screenshots. */
export async function runPage(b: Browser, dir: string, files: string[], o: { via?: 'http' | 'file'; screenshot?: string } = {}): Promise<PageRun> {
  const served: string[] = [];
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    served.push(path);
    if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const base = o.via === 'file' ? new URL(`file://${dir}/`).href : `${origin}/`;
  const ctx = await b.newContext({ viewport: { width: 900, height: 1000 } });
  try {
    const page = await ctx.newPage();
    const outside: string[] = [];
    const errors: string[] = [];
    await ctx.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(o.via === 'file' ? `${base}index.html` : base);
    await page.waitForFunction(`document.body.dataset.ready !== 'false'`, undefined, { timeout: 60_000 });
    const status = (await page.textContent('#status')) ?? '';
    if ((await page.getAttribute('body', 'data-ready')) !== 'true') return { probabilities: new Map(), outside, errors, served, status, text: '' };
    const probabilities = await classifyInPage(page, files);
    if (o.screenshot) await page.screenshot({ path: o.screenshot, fullPage: true });
    return { probabilities, outside, errors, served, status: (await page.textContent('#status')) ?? '', text: (await page.textContent('#results')) ?? '' };
  } finally {
    await ctx.close();
    server.close();
  }
}
