/**
 * Gradients of the tfjs kernels that cglab differentiates. tfjs-core's Node build ships no
 * gradient at all (they live in ES-module files that Node cannot load from the package, and
 * only the `@tensorflow/tfjs` union package bundles them), so without this module `tf.grad`
 * fails on every op. Importing it registers the gradients below, once per process.
 *
 * Every gradient is built from ops that themselves have a gradient here, so forces −∇E and
 * the parameter gradient of a force-matching loss (a second derivative) both work. No
 * gradient reuses its kernel's output (`outputsToSave`): tfjs records the saved copy of an
 * output on the tape before the op that made it, so a second derivative silently drops every
 * path through it. tfjs's own Tanh, Sigmoid, Exp, Sqrt and Pow gradients save outputs, and
 * their second derivatives are wrong (∂²tanh(θx)/∂θ∂x at θ = 1.3, x = 0.7: tfjs 0.48, exact
 * −0.15); these recompute the output from the saved input instead.
 *
 * Kernels covered: Abs Add AddN Atan2 BatchMatMul Cast Concat Cos Exp ExpandDims GatherNd
 * GatherV2 Identity Log Mean Multiply Neg Pack PadV2 Pow RealDiv Relu Reshape ScatterNd Sigmoid
 * Sign Sin Slice Softmax Softplus SplitV Sqrt Square SquaredDifference Step Sub Sum Tanh Tile Transpose
 * Unpack UnsortedSegmentSum. Anything else fails with tfjs's "gradient function not found for <kernel>".
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;
type GradFn = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Grads;
type MultiGradFn = (dys: tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Grads;

/** A matrix product with tfjs's `matMul` signature (transpose flags act on the last two axes). */
export type MatMul = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) => tf.Tensor;

function grad(kernelName: string, gradFunc: GradFn, save: Omit<tf.GradConfig, 'kernelName' | 'gradFunc'> = {}): tf.GradConfig {
  return { kernelName, ...save, gradFunc: (dy, saved, attrs) => gradFunc(dy as tf.Tensor, saved, attrs) };
}

function multiGrad(kernelName: string, gradFunc: MultiGradFn, save: Omit<tf.GradConfig, 'kernelName' | 'gradFunc'> = {}): tf.GradConfig {
  return { kernelName, ...save, gradFunc: (dys, saved, attrs) => gradFunc(dys as tf.Tensor[], saved, attrs) };
}

/** Sum a gradient over the axes along which its input was broadcast, back to the input's shape. */
export function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  return axes.length ? tf.reshape(tf.sum(g, axes), shape) : g;
}

/**
 * The BatchMatMul gradient, with the products computed by `matMul`: tfjs's formulas (each
 * operand's gradient is one product of the other operand with dy), plus the reduction over
 * broadcast batch axes that tfjs's own gradient lacks (it fails on `[B,n,k] × [k,m]`). tfjs's
 * forward product only broadcasts a batch of one (or none) against another batch.
 */
export function batchMatMulGradient(matMul: MatMul): tf.GradConfig {
  return grad(
    'BatchMatMul',
    (dy, [a, b], attrs) => {
      const tA = attrs.transposeA === true;
      const tB = attrs.transposeB === true;
      return {
        a: () => unbroadcast(tA ? matMul(b, dy, tB, true) : matMul(dy, b, false, !tB), a.shape),
        b: () => unbroadcast(tB ? matMul(dy, a, true, tA) : matMul(a, dy, !tA, false), b.shape),
      };
    },
    { inputsToSave: ['a', 'b'] },
  );
}

const sigmoidSlope = (s: tf.Tensor) => tf.mul(s, tf.sub(1, s));

/** Zero gradient, for piecewise-constant kernels (they sit on the tape of a second derivative). */
const zero: GradFn = (dy) => ({ x: () => tf.zeros(dy.shape) });

/** The kept axes of a reduction, as 1s, so that dy broadcasts back over the reduced ones. */
function keptDimsShape(shape: number[], axis: tf.NamedAttrMap[string]): { shape: number[]; count: number } {
  const axes = tf.util.parseAxisParam((axis ?? null) as number | number[], shape);
  return { shape: shape.map((s, i) => (axes.includes(i) ? 1 : s)), count: axes.reduce((n, i) => n * shape[i], 1) };
}

function inversePermutation(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function normAxis(axis: tf.NamedAttrMap[string], shape: number[]): number {
  return tf.util.parseAxisParam(axis as number, shape)[0];
}

const GRADIENTS: tf.GradConfig[] = [
  grad('Identity', (dy) => ({ x: () => tf.clone(dy) })),
  grad('Cast', (dy) => ({ x: () => tf.clone(dy) })),
  grad('Neg', (dy) => ({ x: () => tf.neg(dy) })),
  grad('Step', zero),
  grad('Sign', zero),
  grad('Abs', (dy, [x]) => ({ x: () => tf.mul(dy, tf.sign(x)) }), { inputsToSave: ['x'] }),
  grad('Sqrt', (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(tf.sqrt(x), 2)) }), { inputsToSave: ['x'] }),
  grad('Square', (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(x, 2)) }), { inputsToSave: ['x'] }),
  grad('Exp', (dy, [x]) => ({ x: () => tf.mul(dy, tf.exp(x)) }), { inputsToSave: ['x'] }),
  grad('Log', (dy, [x]) => ({ x: () => tf.div(dy, x) }), { inputsToSave: ['x'] }),
  grad('Sigmoid', (dy, [x]) => ({ x: () => tf.mul(dy, sigmoidSlope(tf.sigmoid(x))) }), { inputsToSave: ['x'] }),
  grad('Tanh', (dy, [x]) => ({ x: () => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))) }), { inputsToSave: ['x'] }),
  grad('Relu', (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(x)) }), { inputsToSave: ['x'] }),
  // Softmax along the last axis (the only one tfjs's kernel takes): y ⊙ (dy − Σ dy ⊙ y).
  grad('Softmax', (dy, [logits]) => ({
    logits: () => {
      const y = tf.softmax(logits);
      return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)));
    },
  }), { inputsToSave: ['logits'] }),
  grad('Softplus', (dy, [x]) => ({ x: () => tf.mul(dy, tf.sigmoid(x)) }), { inputsToSave: ['x'] }),
  grad('Sin', (dy, [x]) => ({ x: () => tf.mul(dy, tf.cos(x)) }), { inputsToSave: ['x'] }),
  grad('Cos', (dy, [x]) => ({ x: () => tf.neg(tf.mul(dy, tf.sin(x))) }), { inputsToSave: ['x'] }),
  // Passes dy where x is inside [min, max], 0 where it was clipped.
  grad('ClipByValue', (dy, [x], attrs) => ({
    x: () => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number)), 'float32')),
  }), { inputsToSave: ['x'] }),

  grad('AddN', (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(dy)])), {
    saveAllInputs: true,
  }),
  grad('Add', (dy, [a, b]) => ({ a: () => unbroadcast(dy, a.shape), b: () => unbroadcast(dy, b.shape) }), {
    inputsToSave: ['a', 'b'],
  }),
  grad('Sub', (dy, [a, b]) => ({ a: () => unbroadcast(dy, a.shape), b: () => tf.neg(unbroadcast(dy, b.shape)) }), {
    inputsToSave: ['a', 'b'],
  }),
  grad(
    'Multiply',
    (dy, [a, b]) => ({ a: () => unbroadcast(tf.mul(dy, b), a.shape), b: () => unbroadcast(tf.mul(dy, a), b.shape) }),
    { inputsToSave: ['a', 'b'] },
  ),
  grad(
    'RealDiv',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy, b), a.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy, a), tf.square(b))), b.shape),
    }),
    { inputsToSave: ['a', 'b'] },
  ),
  grad(
    'SquaredDifference',
    (dy, [a, b]) => {
      const g = () => tf.mul(dy, tf.mul(tf.sub(a, b), 2));
      return { a: () => unbroadcast(g(), a.shape), b: () => unbroadcast(tf.neg(g()), b.shape) };
    },
    { inputsToSave: ['a', 'b'] },
  ),
  // d(aᵇ)/db = aᵇ ln a is only real for a > 0; cglab differentiates exponents of positive bases.
  grad(
    'Pow',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
      b: () => unbroadcast(tf.mul(dy, tf.mul(tf.pow(a, b), tf.log(a))), b.shape),
    }),
    { inputsToSave: ['a', 'b'] },
  ),
  grad(
    'Atan2',
    (dy, [a, b]) => {
      const r2 = () => tf.add(tf.square(a), tf.square(b));
      return {
        a: () => unbroadcast(tf.div(tf.mul(dy, b), r2()), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy, a), r2())), b.shape),
      };
    },
    { inputsToSave: ['a', 'b'] },
  ),

  grad(
    'Sum',
    (dy, [x], attrs) => {
      const { shape } = keptDimsShape(x.shape, attrs.axis);
      return { x: () => tf.mul(tf.reshape(dy, shape), tf.ones(x.shape)) };
    },
    { inputsToSave: ['x'] },
  ),
  grad(
    'Mean',
    (dy, [x], attrs) => {
      const { shape, count } = keptDimsShape(x.shape, attrs.axis);
      return { x: () => tf.mul(tf.reshape(dy, shape), tf.fill(x.shape, 1 / count)) };
    },
    { inputsToSave: ['x'] },
  ),

  grad('Reshape', (dy, [x]) => ({ x: () => tf.reshape(dy, x.shape) }), { inputsToSave: ['x'] }),
  grad('ExpandDims', (dy, _saved, attrs) => {
    const dim = attrs.dim as number;
    return { input: () => tf.squeeze(dy, [dim < 0 ? dim + dy.rank : dim]) };
  }),
  grad('Transpose', (dy, _saved, attrs) => ({ x: () => tf.transpose(dy, inversePermutation(attrs.perm as number[])) })),
  grad('Tile', (dy, _saved, attrs) => {
    // dy is each input axis repeated reps[i] times, block after block: split every axis into
    // (repeat, original) and add up the repeats.
    const reps = attrs.reps as number[];
    const inShape = dy.shape.map((s, i) => s / reps[i]);
    const split = reps.flatMap((r, i) => [r, inShape[i]]);
    return { x: () => tf.sum(tf.reshape(dy, split), reps.map((_, i) => 2 * i)) };
  }),
  grad(
    'Slice',
    (dy, [x], attrs) => {
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
      return { x: () => tf.pad(dy, begin.map((b, i) => [b, x.shape[i] - b - size[i]] as [number, number])) };
    },
    { inputsToSave: ['x'] },
  ),
  grad('PadV2', (dy, _saved, attrs) => {
    const paddings = attrs.paddings as [number, number][];
    const begin = paddings.map((p) => p[0]);
    return { x: () => tf.slice(dy, begin, dy.shape.map((s, i) => s - paddings[i][0] - paddings[i][1])) };
  }),
  grad(
    'Concat',
    (dy, saved, attrs) => {
      const axis = normAxis(attrs.axis, saved[0].shape);
      const parts = tf.split(dy, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
    },
    { saveAllInputs: true },
  ),
  multiGrad('SplitV', (dys, _saved, attrs) => ({ x: () => tf.concat(dys, attrs.axis as number) })),
  grad('Pack', (dy, _saved, attrs) =>
    Object.fromEntries(tf.unstack(dy, attrs.axis as number).map((part, i) => [String(i), () => part])),
  ),
  multiGrad('Unpack', (dys, _saved, attrs) => ({ value: () => tf.stack(dys, attrs.axis as number) })),

  grad(
    'GatherV2',
    (dy, [x, indices], attrs) => {
      if ((attrs.batchDims as number | undefined) ?? 0) {
        throw new Error('gather with batchDims > 0 has no gradient in cglab: gather without batchDims, or select by matMul');
      }
      if (tf.getKernel('UnsortedSegmentSum', tf.getBackend()) === undefined) {
        throw new Error(
          `gather has no gradient on the '${tf.getBackend()}' backend (it lacks the UnsortedSegmentSum kernel): ` +
            'select with tf.gatherND instead (differentiable on every backend)',
        );
      }
      const shape = x.shape;
      const axis = normAxis(attrs.axis, shape);
      const outer = shape.slice(0, axis);
      const inner = shape.slice(axis + 1);
      // Bring the gathered axis to the front so one segment sum scatters dy back onto x.
      const perm = [outer.length, ...outer.map((_, i) => i), ...inner.map((_, i) => outer.length + 1 + i)];
      return {
        x: () => {
          const picked = tf.transpose(tf.reshape(dy, [...outer, indices.size, ...inner]), perm);
          const summed = tf.unsortedSegmentSum(picked, tf.reshape(indices, [indices.size]), shape[axis]);
          return tf.transpose(summed, inversePermutation(perm));
        },
      };
    },
    { inputsToSave: ['x', 'indices'] },
  ),
  grad('UnsortedSegmentSum', (dy, [segmentIds]) => ({ x: () => tf.gather(dy, segmentIds) }), {
    inputsToSave: ['segmentIds'],
  }),
  // gatherND and scatterND (which adds updates that share an index) are each other's
  // gradient, so selections written with them differentiate to any order; both have kernels
  // on cpu and wasm.
  grad('GatherNd', (dy, [params, indices]) => ({ params: () => tf.scatterND(indices, dy, params.shape) }), {
    inputsToSave: ['params', 'indices'],
  }),
  grad('ScatterNd', (dy, [indices]) => ({ updates: () => tf.gatherND(dy, indices) }), { inputsToSave: ['indices'] }),

  batchMatMulGradient(tf.matMul),
];

for (const config of GRADIENTS) tf.registerGradient(config);
