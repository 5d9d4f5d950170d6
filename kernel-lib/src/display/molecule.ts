/**
 * Structures and trajectories as MIME bundles for the NGL viewer of the extension: all-atom and
 * CG systems (beads keep their own names, radii and colours), several layers overlaid (a mapping
 * drawn as beads over atoms, a back-mapped structure over the original), frames as binary.
 */
import type { Trajectory } from '../io/trajectory.js';
import type { Topology } from '../topology/topology.js';
import { MIME, MODEL_VERSION, type MimeBundle, type MoleculeModel, type StructureLayerModel, type StructureStyle, type TrajectoryModel } from './mime.js';
import { PALETTE, esc, px, svgDocument } from './svg.js';

/** One structure to show. A `Trajectory`, a `MolecularSystem` or a topology with positions fits. */
export interface StructureInput {
  topology: Topology;
  /** [nAtoms·3] or [nFrames, nAtoms, 3] positions, nm. */
  positions: ArrayLike<number>;
  /** Name of the layer, e.g. "all-atom", "CG", "back-mapped". */
  label?: string;
  /**
   * Default 'beads' when the topology has beads (atoms without element), else 'ball+stick'.
   * Ask for 'beads' to draw a mapped topology whose single-atom beads keep their atom's element
   * (e.g. backbone5's C, N, CA) as CG beads.
   */
  style?: StructureStyle;
  /** '#rrggbb' per atom, or by atom/bead name. Default: by element; in 'beads' style a colour per name. */
  colors?: string[] | Record<string, string>;
  /** Radius per atom, or by atom/bead name, nm. Default: element radii; in 'beads' style 0.2 nm. */
  radii?: number[] | Record<string, number>;
  /** 0..1. Default 1 for the first layer, 0.55 for layers drawn over it. */
  opacity?: number;
}

/** Options shared by `molecule` and `trajectory`. */
export interface MoleculeOptions {
  title?: string;
  /** Frame shown by `molecule` when the positions hold several. Default 0. */
  frame?: number;
}

/** Options of `trajectory`. */
export interface TrajectoryOptions extends MoleculeOptions {
  /** Frames per second during playback. Default 10. */
  fps?: number;
  /** Keep every n-th frame. Default: the stride that keeps at most `maxFrames`. */
  stride?: number;
  /** Default 500, which keeps notebooks small. */
  maxFrames?: number;
  /** [nFrames] time of each frame, ps; default the trajectory's own `time` if it has one. */
  time?: ArrayLike<number>;
}

/** Radius of a bead with no radius given, nm. */
export const DEFAULT_BEAD_RADIUS = 0.2;

// Common CPK-like colours; anything else is drawn pink so an unexpected element stands out.
const ELEMENT_COLORS: Record<string, string> = {
  H: '#eeeeee', C: '#909090', N: '#3050f8', O: '#ff0d0d', S: '#e6c640', P: '#ff8000',
  F: '#90e050', Cl: '#1ff01f', Br: '#a62929', I: '#940094', Na: '#ab5cf2', K: '#8f40d4',
  Mg: '#8aff00', Ca: '#3dff00', Fe: '#e06633', Zn: '#7d80b0', Ar: '#80d1e3',
};
// Display radii (nm), a fraction of the van der Waals radii as ball-and-stick viewers draw them.
const ELEMENT_RADII: Record<string, number> = { H: 0.05, C: 0.075, N: 0.07, O: 0.068, S: 0.09, P: 0.09 };

const normalElement = (e: string) => (e ? e[0].toUpperCase() + e.slice(1).toLowerCase() : '');

/** Colour of an element symbol as the static fallback draws it. */
export function elementColor(element: string): string {
  return ELEMENT_COLORS[normalElement(element)] ?? '#ff1493';
}

/** Float32 values as base64 of their little-endian bytes. */
export function encodeFloat32(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(4 * values.length));
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return Buffer.from(view.buffer).toString('base64');
}

/** Inverse of `encodeFloat32`. */
export function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function perAtom<T>(spec: T[] | Record<string, T> | undefined, top: Topology, what: string, label: string): T[] | undefined {
  if (spec === undefined) return undefined;
  if (Array.isArray(spec)) {
    if (spec.length !== top.atoms.length) throw new Error(`${label}: ${what} has ${spec.length} entries but the topology has ${top.atoms.length} atoms`);
    return spec;
  }
  return top.atoms.map((a, i) => {
    const v = spec[a.name];
    if (v === undefined) throw new Error(`${label}: ${what} has no entry for atom ${i} '${a.name}'; give one per name: ${[...new Set(top.atoms.map((b) => b.name))].join(', ')}`);
    return v;
  });
}

function frameCount(s: StructureInput, label: string): number {
  const n = s.topology.atoms.length;
  const f = s.positions.length / (3 * n);
  if (n === 0 || !Number.isInteger(f) || f < 1) {
    throw new Error(`${label}: positions hold ${s.positions.length} values, expected a multiple of 3 × ${n} atoms (nm, [nFrames, nAtoms, 3])`);
  }
  return f;
}

function layer(s: StructureInput, k: number, frames: number[], fallbackLabel: string): StructureLayerModel {
  const top = s.topology;
  const n = top.atoms.length;
  const style = s.style ?? (top.atoms.some((a) => !a.element) ? 'beads' : 'ball+stick');
  const beads = style === 'beads';
  let colors = perAtom(s.colors, top, 'colors', fallbackLabel);
  let radii = perAtom(s.radii, top, 'radii', fallbackLabel);
  if (beads) {
    // A bead stands for a group of atoms, so its element (if any) says little: colour by name.
    const names = [...new Set(top.atoms.map((a) => a.name))];
    colors ??= top.atoms.map((a) => PALETTE[names.indexOf(a.name) % PALETTE.length]);
    radii ??= top.atoms.map(() => DEFAULT_BEAD_RADIUS);
  }
  const pos = new Float32Array(frames.length * n * 3);
  frames.forEach((f, i) => {
    for (let j = 0; j < 3 * n; j++) pos[3 * n * i + j] = s.positions[3 * n * f + j];
  });
  return {
    label: s.label ?? (beads ? 'CG' : k === 0 ? 'all-atom' : `structure ${k + 1}`),
    names: top.atoms.map((a) => a.name),
    elements: top.atoms.map((a) => a.element),
    residues: top.atoms.map((a) => a.residue),
    resids: top.atoms.map((a) => a.resid),
    bonds: top.bonds.map(([i, j]) => [i, j]),
    positions: encodeFloat32(pos),
    nAtoms: n,
    nFrames: frames.length,
    style,
    ...(colors ? { colors } : {}),
    ...(radii ? { radii } : {}),
    opacity: s.opacity ?? (k === 0 ? 1 : 0.55),
  };
}

/** What `molecule` and `trajectory` draw: a structure, or a trajectory that has a topology. */
export type StructureSource = StructureInput | Trajectory;

function asList(s: StructureSource | StructureSource[], what: string): StructureInput[] {
  return (Array.isArray(s) ? s : [s]).map((v) => {
    if (!v.topology) throw new Error(`${what}: a topology is needed to draw atoms (DCD files have none: attach one read from a PDB)`);
    return v as StructureInput;
  });
}

/** Model of `application/vnd.cglab.molecule+json`: one frame of each layer. */
export function moleculeModel(structures: StructureSource | StructureSource[], options: MoleculeOptions = {}): MoleculeModel {
  const list = asList(structures, 'molecule');
  if (list.length === 0) throw new Error('molecule: give at least one structure');
  const frame = options.frame ?? 0;
  const layers = list.map((s, k) => {
    const n = frameCount(s, 'molecule');
    const f = n === 1 ? 0 : frame;
    if (!Number.isInteger(f) || f < 0 || f >= n) throw new Error(`molecule: frame ${frame} is out of range 0..${n - 1}`);
    return layer(s, k, [f], 'molecule');
  });
  return { version: MODEL_VERSION, title: options.title ?? layers.map((l) => l.label).join(' + '), layers };
}

/**
 * Model of `application/vnd.cglab.trajectory+json`. Layers with one frame stay still while the
 * others play; all others must have the same number of frames.
 */
export function trajectoryModel(structures: StructureSource | StructureSource[], options: TrajectoryOptions = {}): TrajectoryModel {
  const list = asList(structures, 'trajectory');
  if (list.length === 0) throw new Error('trajectory: give at least one structure');
  const counts = list.map((s) => frameCount(s, 'trajectory'));
  const total = Math.max(...counts);
  if (counts.some((c) => c !== 1 && c !== total)) throw new Error(`trajectory: layers have ${counts.join(', ')} frames; each needs ${total} frames or 1`);
  const maxFrames = options.maxFrames ?? 500;
  const stride = options.stride ?? Math.max(1, Math.ceil(total / maxFrames));
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`trajectory: stride must be a positive integer, got ${stride}`);
  const kept = Array.from({ length: Math.ceil(total / stride) }, (_, i) => i * stride);
  const time = options.time ?? (list.length === 1 ? (list[0] as Partial<Trajectory>).time : undefined);
  if (time && time.length !== total) throw new Error(`trajectory: time has ${time.length} values for ${total} frames`);
  const layers = list.map((s, k) => layer(s, k, counts[k] === 1 ? [0] : kept, 'trajectory'));
  return {
    version: MODEL_VERSION,
    title: options.title ?? layers.map((l) => l.label).join(' + '),
    layers,
    nFrames: kept.length,
    ...(time ? { time: kept.map((i) => time[i]) } : {}),
    fps: options.fps ?? 10,
  };
}

/** Eigenvectors of a symmetric 3×3 matrix (Jacobi rotations), columns sorted by eigenvalue, largest first. */
function principalAxes(c: number[][]): number[][] {
  const a = c.map((r) => [...r]);
  const v = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep++) {
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]]) {
      if (Math.abs(a[p][q]) < 1e-12) continue;
      const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const cs = 1 / Math.sqrt(t * t + 1);
      const sn = t * cs;
      for (let k = 0; k < 3; k++) {
        const akp = a[k][p];
        const akq = a[k][q];
        a[k][p] = cs * akp - sn * akq;
        a[k][q] = sn * akp + cs * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p][k];
        const aqk = a[q][k];
        a[p][k] = cs * apk - sn * aqk;
        a[q][k] = sn * apk + cs * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k][p];
        const vkq = v[k][q];
        v[k][p] = cs * vkp - sn * vkq;
        v[k][q] = sn * vkp + cs * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j][j] - a[i][i]);
  return order.map((i) => [v[0][i], v[1][i], v[2][i]]);
}

/**
 * Static SVG of the first frame of every layer, seen along the axis of least spread so the
 * molecule shows its widest face; nearer atoms are drawn over farther ones.
 */
export function moleculeSvg(m: MoleculeModel): string {
  const W = 420;
  const H = 340;
  const layers = m.layers.map((l) => ({ l, xyz: decodeFloat32(l.positions).subarray(0, 3 * l.nAtoms) }));
  const all = layers.flatMap(({ xyz }) => Array.from({ length: xyz.length / 3 }, (_, i) => [xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]]));
  const mean = [0, 1, 2].map((d) => all.reduce((s, p) => s + p[d], 0) / all.length);
  const cov = [0, 1, 2].map((i) => [0, 1, 2].map((j) => all.reduce((s, p) => s + (p[i] - mean[i]) * (p[j] - mean[j]), 0) / all.length));
  const [e1, e2, e3] = principalAxes(cov);
  const proj = (p: number[]) => {
    const d = p.map((v, i) => v - mean[i]);
    return [0, 1, 2].map((k) => d[0] * [e1, e2, e3][k][0] + d[1] * [e1, e2, e3][k][1] + d[2] * [e1, e2, e3][k][2]);
  };
  const flat = all.map(proj);
  const extent = Math.max(1e-3, ...flat.map((p) => Math.max(Math.abs(p[0]) * (H / W), Math.abs(p[1]))));
  const scale = (H / 2 - 30) / (extent + 0.25);
  const X = (p: number[]) => W / 2 + p[0] * scale;
  const Y = (p: number[]) => H / 2 + 8 - p[1] * scale;
  type Item = { z: number; svg: string };
  const items: Item[] = [];
  for (const { l, xyz } of layers) {
    const pts = Array.from({ length: l.nAtoms }, (_, i) => proj([xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]]));
    const color = (i: number) => l.colors?.[i] ?? elementColor(l.elements[i]);
    // Balls a little smaller than the viewer's, so the sticks between them stay visible.
    const radius = (i: number) => l.radii?.[i] ?? (l.style === 'spacefill' ? 0.15 : 0.6 * (ELEMENT_RADII[normalElement(l.elements[i])] ?? 0.08));
    const op = l.opacity < 1 ? ` opacity="${l.opacity}"` : '';
    for (const [i, j] of l.bonds) {
      const a = pts[i];
      const b = pts[j];
      items.push({ z: (a[2] + b[2]) / 2 - 1e-3, svg: `<line x1="${px(X(a))}" y1="${px(Y(a))}" x2="${px(X(b))}" y2="${px(Y(b))}" stroke="#666" stroke-width="2"${op}/>` });
    }
    if (l.style === 'line') continue;
    pts.forEach((p, i) => {
      const title = `<title>${esc(`${l.label} ${i}: ${l.names[i]} ${l.residues[i]}${l.resids[i]}`)}</title>`;
      items.push({ z: p[2], svg: `<circle cx="${px(X(p))}" cy="${px(Y(p))}" r="${px(Math.max(1.5, radius(i) * scale))}" fill="${color(i)}" stroke="#333" stroke-width="0.6"${op}>${title}</circle>` });
    });
  }
  items.sort((a, b) => a.z - b.z);
  const legend = m.layers.map((l, k) => `<text x="8" y="${16 + 14 * k}">${esc(`${l.label}: ${l.nAtoms} ${l.style === 'beads' ? 'beads' : 'atoms'}`)}</text>`);
  const frames = 'nFrames' in m ? `<text x="${W - 8}" y="16" text-anchor="end">${esc(`frame 1 of ${(m as TrajectoryModel).nFrames}`)}</text>` : '';
  return svgDocument(W, H, items.map((i) => i.svg).join('') + legend.join('') + frames, m.title);
}

/** Plain-text summary of a molecule or trajectory model. */
export function moleculeText(m: MoleculeModel | TrajectoryModel): string {
  const lines = [`${m.title}${'nFrames' in m ? ` (${m.nFrames} frames)` : ''}`];
  for (const l of m.layers) {
    const residues = new Set(l.resids.map((r, i) => `${l.residues[i]}${r}`)).size;
    lines.push(`  ${l.label}: ${l.nAtoms} ${l.style === 'beads' ? 'beads' : 'atoms'} in ${residues} residue(s), ${l.bonds.length} bonds, drawn as ${l.style}`);
  }
  return lines.join('\n');
}

/**
 * One frame of one or more structures as a MIME bundle: the NGL model plus SVG and text
 * fallbacks. Layers overlay: pass `[allAtom, cgBeads]` to draw a mapping as beads over atoms.
 */
export function molecule(structures: StructureSource | StructureSource[], options: MoleculeOptions = {}): MimeBundle {
  const m = moleculeModel(structures, options);
  return { data: { [MIME.molecule]: m, 'image/svg+xml': moleculeSvg(m), 'text/plain': moleculeText(m) }, metadata: {} };
}

/**
 * Frames of one or more structures (e.g. a `Trajectory` read from a file, or a CG run over its
 * all-atom reference) as a MIME bundle that the extension plays; coordinates travel as binary.
 */
export function trajectory(structures: StructureSource | StructureSource[], options: TrajectoryOptions = {}): MimeBundle {
  const m = trajectoryModel(structures, options);
  return { data: { [MIME.trajectory]: m, 'image/svg+xml': moleculeSvg(m), 'text/plain': moleculeText(m) }, metadata: {} };
}
