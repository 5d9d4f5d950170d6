// Shared by the display tests: SVG checked by a real XML parser (Python's), not by eye.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/** Parse each SVG with xml.dom.minidom; returns, per document, the count of each element name. */
export function parseSvgs(svgs: string[]): Record<string, number>[] {
  const script = [
    'import json, sys, xml.dom.minidom as m',
    'out = []',
    'for s in json.load(sys.stdin):',
    '    d = m.parseString(s.encode())',
    '    assert d.documentElement.tagName == "svg", d.documentElement.tagName',
    '    c = {}',
    '    for e in d.getElementsByTagName("*"): c[e.tagName] = c.get(e.tagName, 0) + 1',
    '    out.append(c)',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(svgs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>[];
}
