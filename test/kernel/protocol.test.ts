// The tslab kernel speaks the Jupyter protocol well enough for the lab app and nbclient: checked
// with Debian's jupyter_kernel_test, tslab's three known deviations expected (see the .py file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('jupyter_kernel_test against tslab: passes, with exactly the three known deviations', () => {
  const r = spawnSync('/usr/bin/python3', [`${root}test/kernel/tslab_protocol.py`], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, JUPYTER_PATH: `${root}.jupyter/share/jupyter` },
    timeout: 300_000,
  });
  const report = r.stderr.slice(-4000);
  assert.equal(r.status, 0, report);
  assert.match(report, /OK \(skipped=\d+, expected failures=3\)/);
  const passed = report.split('\n').filter((l) => / \.\.\. ok$/.test(l)).length;
  assert.ok(passed >= 6, `only ${passed} protocol tests passed:\n${report}`);
});
