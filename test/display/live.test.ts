import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveCurves } from 'cglab/display/live';
import { MIME, type CurvesModel, type MimeBundle } from 'cglab/display/mime';
import type { DisplayHandle } from 'cglab/display/tslab';

function recorder() {
  const sent: { update: boolean; bundle: MimeBundle }[] = [];
  const show = (bundle: MimeBundle): DisplayHandle => {
    sent.push({ update: false, bundle });
    return { id: 'd1', channel: 'stdout', update: (b) => sent.push({ update: true, bundle: b }) };
  };
  return { sent, show };
}

test('the first point shows the output; later points update the same output', () => {
  const r = recorder();
  const live = liveCurves({ show: r.show, intervalMs: 0 });
  assert.equal(live.id, undefined);
  live.push('loss', 0, 2);
  live.push('loss', 1, 1);
  live.push('val', 1, 1.5, 'loss');
  assert.equal(live.id, 'd1');
  assert.deepEqual(r.sent.map((s) => s.update), [false, true, true]);
  const last = r.sent[2].bundle.data[MIME.curves] as CurvesModel;
  assert.deepEqual(last.series.map((s) => [s.run, s.name, s.x.length]), [['loss', 'loss', 2], ['loss', 'val', 1]]);
});

test('updates are throttled and flush sends what is pending, once', () => {
  const r = recorder();
  const live = liveCurves({ show: r.show, intervalMs: 60_000 });
  for (let i = 0; i < 100; i++) live.push('loss', i, 1 / (i + 1));
  assert.equal(r.sent.length, 1);
  live.flush();
  live.flush();
  assert.equal(r.sent.length, 2);
  const m = r.sent[1].bundle.data[MIME.curves] as CurvesModel;
  assert.equal(m.series[0].x.length, 100);
  assert.equal(live.series()[0].y.length, 100);
});
