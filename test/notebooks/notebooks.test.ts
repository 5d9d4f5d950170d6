// Every notebook in notebooks/ runs headless on the tslab kernel, strictly, on CGLAB_QUICK=1
// settings: a notebook that breaks fails CI like any other test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const runner = `${root}test/notebooks/run_notebook.py`;
const notebooks = readdirSync(`${root}notebooks`).filter((f) => f.endsWith('.ipynb')).sort();

test('there are notebooks to run', () => assert.ok(notebooks.length > 0));

for (const nb of notebooks) {
  test(`notebook ${nb} runs headless without errors`, () => {
    const r = spawnSync('/usr/bin/python3', [runner, `${root}notebooks/${nb}`], {
      encoding: 'utf8',
      env: { ...process.env, CGLAB_QUICK: '1', JUPYTER_PATH: `${root}.jupyter/share/jupyter` },
      timeout: 600_000,
    });
    assert.equal(r.status, 0, `${nb} failed:\n${r.stderr.slice(-3000)}`);
  });
}
