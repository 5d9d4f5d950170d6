import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sep } from 'node:path';
import { resolveSink, show, showLive, type ModuleCache } from 'cglab/display/tslab';
import { MIME, type MimeBundle } from 'cglab/display/mime';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bundle = (n: number): MimeBundle => ({ data: { [MIME.curves]: { n }, 'image/svg+xml': `<svg>${n}</svg>`, 'text/plain': `n=${n}` }, metadata: {} });
const key = (file: string) => `${sep}x${sep}node_modules${sep}tslab${sep}dist${sep}${file}`;

test('inside tslab the whole bundle goes out in one message, updates by display id', () => {
  const calls: [unknown, boolean][] = [];
  const jupyter = { lastWriteDisplayData: (c: unknown, u: boolean) => calls.push([c, u]) };
  const sink = resolveSink({ [key('jupyter.js')]: { exports: jupyter }, [key('public.js')]: { exports: {} } });
  assert.equal(sink.channel, 'tslab');
  const h = showLive(bundle(1), sink);
  h.update(bundle(2));
  assert.equal(show(bundle(3), sink), undefined);
  assert.equal(calls.length, 3);
  const [first, second] = calls.map(([c]) => c as { data: Record<string, unknown>; transient: { display_id: string } });
  assert.deepEqual(Object.keys(first.data).sort(), [MIME.curves, 'image/svg+xml', 'text/plain'].sort());
  assert.equal(first.transient.display_id, h.id);
  assert.equal(second.transient.display_id, h.id);
  assert.deepEqual(calls.map(([, u]) => u), [false, true, false]);
  assert.notEqual((calls[2][0] as { transient: { display_id: string } }).transient.display_id, h.id);
  // tslab sets the hook per cell; before any cell there is none, which must be said plainly.
  const idle = resolveSink({ [key('jupyter.js')]: { exports: { lastWriteDisplayData: null } } });
  assert.throws(() => show(bundle(1), idle), /not executing a cell/);
});

test('without the internal hook the public API gets the SVG fallback, one display per output', () => {
  const raws: [number, string, string][] = [];
  let made = 0;
  const pub = {
    newDisplay: () => {
      const k = made++;
      return { raw: (t: string, b: string) => raws.push([k, t, b]) };
    },
  };
  const sink = resolveSink({ [key('public.js')]: { exports: pub } });
  assert.equal(sink.channel, 'tslab-public');
  const h = showLive(bundle(1), sink);
  h.update(bundle(2));
  show(bundle(3), sink);
  assert.deepEqual(raws, [
    [0, 'image/svg+xml', '<svg>1</svg>'],
    [0, 'image/svg+xml', '<svg>2</svg>'],
    [1, 'image/svg+xml', '<svg>3</svg>'],
  ]);
});

test('outside a kernel the text summary goes to stdout', () => {
  let out = '';
  const sink = resolveSink({} as ModuleCache, { write: (s: string) => (out += s) });
  assert.equal(sink.channel, 'stdout');
  showLive(bundle(7), sink).update(bundle(8));
  assert.equal(out, 'n=7\nn=8\n');
});

test('on the real tslab kernel: one display_data with the full bundle, then update_display_data', () => {
  const code = [
    "import { display } from 'cglab';",
    'console.log(display.displayChannel());',
    'const h = display.showLive(display.curves({ loss: [3, 2] }));',
    'h.update(display.curves({ loss: [3, 2, 1] }));',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', [`${root}test/display/kernel_display.py`, root, code], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_PATH: `${root}.jupyter/share/jupyter` },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout) as { type: string; keys?: string[]; display_id?: string; text?: string }[];
  assert.ok(msgs.some((m) => m.type === 'stream' && m.text === 'tslab\n'), JSON.stringify(msgs));
  const shown = msgs.filter((m) => m.type !== 'stream');
  assert.deepEqual(shown.map((m) => m.type), ['display_data', 'update_display_data'], JSON.stringify(msgs));
  for (const m of shown) assert.deepEqual(m.keys, [MIME.curves, 'image/svg+xml', 'text/plain'].sort());
  assert.ok(shown[0].display_id);
  assert.equal(shown[1].display_id, shown[0].display_id);
});
