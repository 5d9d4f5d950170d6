// Without the extension a notebook still reads: nbconvert picks each bundle's SVG fallback, a
// complete drawing, and never the custom JSON. (Markdown export: Debian 12's nbconvert 6.5 runs
// inline SVG in HTML export through its HTML sanitizer, which strips the drawing; newer
// nbconvert and GitHub show it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fes1d } from 'cglab/analysis/fes';
import { curves } from 'cglab/display/curves';
import { fes } from 'cglab/display/fes';
import type { MimeBundle } from 'cglab/display/mime';
import { parseSvgs } from './helpers.js';

test('nbconvert exports cglab outputs as their SVG drawings', () => {
  const bundles: MimeBundle[] = [
    fes(fes1d([0.1, 0.2, 0.2, 0.7], { min: 0, max: 1, bins: 4 }, 300), { title: 'profile-for-nbconvert' }),
    curves({ loss: [3, 2, 1] }, { title: 'curve-for-nbconvert' }),
  ];
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: bundles.map((b, i) => ({
      cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: i + 1, source: 'display.show(...)',
      outputs: [{ output_type: 'display_data', data: b.data, metadata: b.metadata }],
    })),
  };
  const dir = mkdtempSync(join(tmpdir(), 'cglab-nbconvert-'));
  try {
    writeFileSync(join(dir, 'nb.ipynb'), JSON.stringify(nb));
    const r = spawnSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'markdown', join(dir, 'nb.ipynb')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const md = readFileSync(join(dir, 'nb.md'), 'utf8');
    const images = [...md.matchAll(/!\[svg\]\(([^)]+\.svg)\)/g)].map((m) => m[1]);
    assert.equal(images.length, 2, md);
    assert.ok(!md.includes('"panels"') && !md.includes('"series"'), 'the JSON model is not what the export shows');
    const svgs = images.map((f) => readFileSync(join(dir, f), 'utf8'));
    assert.ok(svgs[0].includes('<title>profile-for-nbconvert</title>'));
    assert.ok(svgs[1].includes('<title>curve-for-nbconvert</title>'));
    for (const counts of parseSvgs(svgs)) assert.ok(counts.path >= 1 && counts.text > 5, JSON.stringify(counts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
