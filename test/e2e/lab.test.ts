// The lab app in a real browser (Debian's Chromium driven by playwright-core): `scripts/start.mjs`
// serves a copy of the quickstart notebook on a free loopback port; the test runs every cell the
// way a person would (Run ▸ Run All Cells) and checks what the cglab extension drew: the FES
// plots, a training curve that grows in place while its cell runs, NGL canvases with a molecule
// and a playing trajectory on them, views that follow resizes and survive a lost WebGL context;
// no uncaught error may reach the page. Ctrl-C (SIGINT) must then stop the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decodePng, inkStats } from './png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Inside the checkout (kernels find cglab in its node_modules) and ignored by git.
const work = join(root, 'build', 'e2e');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

let server: ChildProcess;
let serverLog = '';
let labUrl: URL;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'notebooks'), { recursive: true });
  cpSync(join(root, 'notebooks', '00-quickstart.ipynb'), join(work, 'notebooks', '00-quickstart.ipynb'));
  const port = await freePort();
  server = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
    cwd: root,
    env: { ...process.env, CGLAB_PORT: String(port), CGLAB_NOTEBOOKS: join(work, 'notebooks'), CGLAB_LAB_STATE: join(work, 'state'), CGLAB_QUICK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  labUrl = await new Promise<URL>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the lab did not start in 90 s:\n${serverLog.slice(-3000)}`)), 90_000);
    const onData = (d: Buffer) => {
      serverLog += d.toString();
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/lab\?token=\w+)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        ok(new URL(m[1]));
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.once('exit', (code) => fail(new Error(`the lab exited (${code}) before serving:\n${serverLog.slice(-3000)}`)));
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
    ],
    // playwright gives every launch a fresh, temporary profile (user data dir).
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(recordRenders);
  page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}`));
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    // SIGTERM lets start.mjs stop the server's own process group; SIGKILL only if that hangs.
    const exited = new Promise((ok) => server.once('exit', ok));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
});

/** The little of the DOM the in-page recorder touches (test/ compiles without the DOM library). */
interface ProbeElement {
  dataset: Record<string, string | undefined>;
  data?: { x: number[] }[];
  cglabProbeId?: number;
  querySelector(selector: string): ProbeElement | null;
  closest(selector: string): ProbeElement | null;
  querySelectorAll(selector: string): { length: number };
}

/** One finished render of a cglab plot, as the page saw it. */
interface RenderRecord {
  kind: string;
  title: string;
  /** Identity of the output element: the same number means the same element. */
  element: number;
  renders: number;
  /** Points of the first trace after this render. */
  points: number;
  /** Outputs in the output area holding this element. */
  outputs: number;
}

/**
 * Installed before the lab loads: records every finished render of a cglab plot (the renderer
 * bumps data-renders after Plotly.react), so fast live updates are seen however busy the page is.
 */
function recordRenders(): void {
  const g = globalThis as unknown as {
    document: unknown;
    MutationObserver: new (cb: (ms: { target: ProbeElement }[]) => void) => { observe(n: unknown, o: object): void };
    cglabRenders: RenderRecord[];
  };
  g.cglabRenders = [];
  let next = 0;
  // Observes the document itself: its root element does not exist yet when init scripts run.
  new g.MutationObserver((mutations) => {
    for (const { target } of mutations) {
      target.cglabProbeId ??= ++next;
      const plot = target.querySelector('.js-plotly-plot');
      g.cglabRenders.push({
        kind: target.dataset.cglabKind ?? '',
        title: target.dataset.title ?? '',
        element: target.cglabProbeId,
        renders: Number(target.dataset.renders),
        points: plot?.data?.[0]?.x.length ?? -1,
        outputs: target.closest('.jp-OutputArea')?.querySelectorAll('.jp-OutputArea-output').length ?? -1,
      });
    }
  }).observe(g.document, { attributes: true, subtree: true, attributeFilter: ['data-renders'] });
}

test('the quickstart notebook runs in the lab and every cglab output is drawn', { timeout: 420_000 }, async () => {
  const nb = new URL(labUrl);
  nb.pathname = '/lab/tree/00-quickstart.ipynb';
  await page.goto(nb.href);
  await page.waitForSelector('body[data-cglab-lab="ready"]', { state: 'attached', timeout: 90_000 });
  // Keys or commands sent before the kernel is connected are lost: wait for it first.
  await page.getByText('TypeScript | Idle').waitFor({ timeout: 90_000 });
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();

  const molecule = page.locator('[data-cglab-kind="molecule"]');
  await page.waitForSelector('[data-cglab-kind="trajectory"][data-state="drawn"]', { state: 'attached', timeout: 240_000 });
  await page.waitForSelector('[data-cglab-kind="molecule"][data-state="drawn"]', { state: 'attached', timeout: 60_000 });
  await page.getByText('TypeScript | Idle').waitFor({ timeout: 120_000 });

  // The live curve: one output element, redrawn in place with more points each time (150 epochs
  // in quick mode), never replaced by a second output.
  const allRecords = await page.evaluate(() => (globalThis as unknown as { cglabRenders?: RenderRecord[] }).cglabRenders);
  assert.ok(allRecords, 'the render recorder is installed');
  const records = allRecords.filter((r) => r.kind === 'curves' && r.title === 'Fitting the profile');
  const points = records.map((r) => r.points);
  // A record reads the plot when the page gets round to it, so two may see the same state.
  assert.ok(new Set(points).size >= 3, `the curve should be redrawn while training, saw ${JSON.stringify(allRecords)}`);
  assert.equal(new Set(records.map((r) => r.element)).size, 1, 'the live curve must update in place, not be replaced');
  assert.ok(points.every((n, i) => i === 0 || n >= points[i - 1]), `point counts must never shrink: ${points.join(', ')}`);
  assert.equal(points[points.length - 1], 150);
  assert.deepEqual([...new Set(records.map((r) => r.outputs))], [1], 'one output for the whole training');

  // Free-energy surfaces: the 1-D profile beside the exact one, and the 2-D heatmap with contours.
  const fes = page.locator('[data-cglab-kind="fes"]');
  assert.equal(await fes.count(), 2);
  const profile = fes.nth(0);
  assert.equal(await profile.locator('.scatterlayer .trace path.js-line').count() >= 2, true, 'two profile lines (sampled, exact)');
  assert.ok(((await profile.locator('.scatterlayer .trace path.js-line').first().getAttribute('d')) ?? '').length > 50);
  const surface = fes.nth(1);
  assert.equal(await surface.locator('.heatmaplayer image').count(), 1);
  assert.ok((await surface.locator('.contourlayer path').count()) > 0, 'contour lines drawn');
  await surface.scrollIntoViewIfNeeded();
  const heat = inkStats(decodePng(await surface.locator('.heatmaplayer').screenshot()));
  assert.ok(heat.ink > 0.3 && heat.colours > 50, `heatmap pixels: ${JSON.stringify(heat)}`);

  // Curves: both metrics drawn as lines on a log axis.
  const curves = page.locator('[data-cglab-kind="curves"]');
  assert.equal(await curves.locator('.scatterlayer .trace path.js-line').count(), 2);
  assert.ok((await curves.locator('.ytick text').count()) > 1);

  // NGL: a WebGL canvas with a molecule on it (not just the white background).
  await molecule.scrollIntoViewIfNeeded();
  const canvas = molecule.locator('canvas');
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 200 && box.height > 200, `canvas box ${JSON.stringify(box)}`);
  const mol = inkStats(decodePng(await canvas.screenshot()));
  assert.ok(mol.ink > 0.02 && mol.colours > 20, `NGL canvas pixels: ${JSON.stringify(mol)}`);

  // The trajectory plays from its binary frames: ▶ advances the frame, the picture changes.
  const traj = page.locator('[data-cglab-kind="trajectory"]');
  await traj.scrollIntoViewIfNeeded();
  const frameOf = async () => Number(await traj.getAttribute('data-frame'));
  assert.equal(await frameOf(), 0);
  assert.match((await traj.locator('.cglab-ngl-controls span').textContent()) ?? '', /^frame 1 \/ 40 · 0\.10 ps$/);
  const still = await traj.locator('canvas').screenshot();
  await traj.locator('.cglab-ngl-controls button').click();
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): ProbeElement | null } }).document;
    return Number(doc.querySelector('[data-cglab-kind="trajectory"]')?.dataset.frame) >= 5;
  }, undefined, { timeout: 20_000 });
  await traj.locator('.cglab-ngl-controls button').click();
  const paused = await frameOf();
  assert.ok(paused >= 5, `frame ${paused}`);
  const moved = await traj.locator('canvas').screenshot();
  assert.ok(!still.equals(moved), 'the drawing changes with the frame');
  assert.ok(inkStats(decodePng(moved)).ink > 0.02);

  // Resizes reach the views: a narrower window gives a narrower canvas and plot.
  const plotWidth = async () => (await curves.locator('.main-svg').first().boundingBox())?.width ?? 0;
  const [canvasBefore, plotBefore] = [box.width, await plotWidth()];
  await page.setViewportSize({ width: 1000, height: 1000 });
  await page.waitForFunction(
    ([c, p]) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { width: number } } | null } }).document;
      const cw = doc.querySelector('[data-cglab-kind="molecule"] canvas')?.getBoundingClientRect().width ?? c;
      const pw = doc.querySelector('[data-cglab-kind="curves"] .main-svg')?.getBoundingClientRect().width ?? p;
      return cw < c - 100 && pw < p - 100;
    },
    [canvasBefore, plotBefore],
    { timeout: 20_000 },
  );

  // A lost WebGL context (browsers keep about 16) shows the static image; once restored, the
  // view is drawn again on a fresh canvas. The extension that simulates the loss is kept from
  // before it: a lost context hands out no extensions.
  type LoseContext = { loseContext(): void; restoreContext(): void };
  await canvas.evaluate((c) => {
    const el = c as unknown as { getContext(t: string): { getExtension(n: string): LoseContext | null } | null };
    const ext = (el.getContext('webgl2') ?? el.getContext('webgl'))?.getExtension('WEBGL_lose_context');
    if (!ext) throw new Error('this browser offers no WEBGL_lose_context');
    (globalThis as unknown as { cglabLose: LoseContext }).cglabLose = ext;
    ext.loseContext();
  });
  await page.waitForSelector('[data-cglab-kind="molecule"][data-state="fallback"] .cglab-fallback img', { timeout: 20_000 });
  assert.match((await molecule.locator('.cglab-fallback-note').textContent()) ?? '', /lost its WebGL context/);
  await page.evaluate(() => (globalThis as unknown as { cglabLose: LoseContext }).cglabLose.restoreContext());
  await page.waitForSelector('[data-cglab-kind="molecule"][data-state="drawn"]', { state: 'attached', timeout: 30_000 });
  assert.equal(await molecule.locator('canvas').count(), 1);
  await page.waitForTimeout(500);
  const redrawn = inkStats(decodePng(await molecule.locator('canvas').screenshot()));
  assert.ok(redrawn.ink > 0.02, `NGL canvas after the context came back: ${JSON.stringify(redrawn)}`);

  // The static fallbacks are in the outputs too, but the extension's views won: no SVG <img> shown.
  assert.equal(await page.locator('.jp-RenderedSVG, .jp-RenderedImage').count(), 0);
  assert.deepEqual(pageErrors, [], `uncaught page errors:\n${pageErrors.join('\n')}`);
});

test('Ctrl-C (SIGINT) stops the lab server cleanly', { timeout: 60_000 }, async () => {
  await page.close();
  const exited = new Promise<number | null>((ok) => server.once('exit', (code) => ok(code)));
  server.kill('SIGINT');
  assert.equal(await exited, 0, serverLog.slice(-2000));
  assert.match(serverLog, /stopped/);
  await assert.rejects(fetch(new URL('/api/status', labUrl)), 'nothing listens on the port any more');
});
