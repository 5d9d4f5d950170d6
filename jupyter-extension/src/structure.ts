/**
 * Molecule and trajectory models turned into what NGL loads: PDB text in Å with CONECT records
 * for every bond (beads have no chemistry NGL could guess bonds from), per-atom colours and
 * radii, and frames as coordinate arrays.
 */
import type { StructureLayerModel } from 'cglab/display/mime';

/** Float32 values from base64 of their little-endian bytes (as `encodeFloat32` writes them). */
export function decodeFloat32(b64: string): Float32Array {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Frame `k` of [nFrames, nAtoms, 3] positions in nm, as Å for NGL. */
export function frameAngstrom(positions: Float32Array, nAtoms: number, k: number): Float32Array {
  const n = 3 * nAtoms;
  if (k < 0 || (k + 1) * n > positions.length) throw new Error(`frame ${k} is out of range: ${positions.length / n} frames`);
  return positions.slice(k * n, (k + 1) * n).map((v) => v * 10);
}

const right = (s: string | number, w: number) => String(s).slice(0, w).padStart(w);
const left = (s: string, w: number) => s.slice(0, w).padEnd(w);
const fixed = (v: number, w: number, d: number) => right(v.toFixed(d), w);

function atomName(name: string, element: string): string {
  // PDB convention: names of one-letter elements start in column 14, so " CA " is carbon α.
  return name.length < 4 && element.length < 2 ? ` ${left(name, 3)}` : left(name, 4);
}

/** PDB text of frame `k` of a layer; atom serials are 1-based layer indices. */
export function layerPdb(layer: StructureLayerModel, positions: Float32Array, k = 0): string {
  if (layer.nAtoms > 99999) throw new Error(`${layer.label}: ${layer.nAtoms} atoms exceed what PDB serial numbers hold (99999)`);
  const xyz = frameAngstrom(positions, layer.nAtoms, k);
  const lines: string[] = [];
  for (let i = 0; i < layer.nAtoms; i++) {
    lines.push(
      'HETATM' + right(i + 1, 5) + ' ' + atomName(layer.names[i], layer.elements[i]) + ' ' + right(layer.residues[i], 3) + ' A' +
        right(layer.resids[i] % 10000, 4) + '    ' + fixed(xyz[3 * i], 8, 3) + fixed(xyz[3 * i + 1], 8, 3) + fixed(xyz[3 * i + 2], 8, 3) +
        '  1.00  0.00          ' + right(layer.elements[i].toUpperCase(), 2),
    );
  }
  const partners: number[][] = Array.from({ length: layer.nAtoms }, () => []);
  for (const [i, j] of layer.bonds) {
    partners[i].push(j);
    partners[j].push(i);
  }
  partners.forEach((p, i) => {
    for (let s = 0; s < p.length; s += 4) lines.push('CONECT' + right(i + 1, 5) + p.slice(s, s + 4).map((j) => right(j + 1, 5)).join(''));
  });
  lines.push('END');
  return lines.join('\n') + '\n';
}

/** '#rrggbb' as the integer NGL colour makers return. */
export function colorInt(hex: string): number {
  if (!/^#[0-9a-fA-F]{6}$/.test(hex)) throw new Error(`colour '${hex}' is not of the form #rrggbb`);
  return parseInt(hex.slice(1), 16);
}

/** One NGL representation: its type and parameters (colour scheme id added by the caller). */
export interface RepresentationSpec {
  type: 'ball+stick' | 'licorice' | 'spacefill' | 'line';
  params: Record<string, unknown>;
}

/**
 * Representations of a layer. Beads are spheres of their own radii joined by thin sticks; given
 * radii (nm) become NGL per-atom radius data (Å) for beads and spacefill.
 */
export function layerRepresentations(layer: StructureLayerModel): RepresentationSpec[] {
  const common = { opacity: layer.opacity, ...(layer.opacity < 1 ? { depthWrite: false } : {}) };
  const radiusData = layer.radii ? Object.fromEntries(layer.radii.map((r, i) => [i, r * 10])) : undefined;
  switch (layer.style) {
    case 'beads':
      return [
        { type: 'spacefill', params: { ...common, ...(radiusData ? { radiusType: 'data', radiusData } : { radiusScale: 0.6 }) } },
        { type: 'licorice', params: { ...common, radiusType: 'size', radiusSize: 0.35 } },
      ];
    case 'spacefill':
      return [{ type: 'spacefill', params: { ...common, ...(radiusData ? { radiusType: 'data', radiusData } : {}) } }];
    case 'licorice':
      return [{ type: 'licorice', params: common }];
    case 'line':
      return [{ type: 'line', params: common }];
    default:
      // Per-atom radii would also fatten the sticks here; ball+stick keeps element radii.
      return [{ type: 'ball+stick', params: common }];
  }
}
