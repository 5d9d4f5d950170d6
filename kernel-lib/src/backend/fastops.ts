/**
 * Backend-specific speed-ups that change results by float32 summation order at most, installed
 * by `select.ts` once a backend is chosen. Where the OpenBLAS addon is built (`nativeGemm.ts`),
 * wasm's BatchMatMul runs on it: several times faster than tfjs-wasm's own kernel, transpose
 * flags included. Without it, tfjs-wasm multiplies a matrix given with a transpose flag about
 * ten times slower than a plain one, and every BatchMatMul gradient asks for exactly such
 * products; the gradient then transposes explicitly and runs a plain product. Its Identity
 * kernel copies the tensor's buffer, and tfjs clones (runs Identity on) every tensor a gradient
 * saves: ~160 full copies per CGnet training step. Tensors are immutable, so on wasm Identity
 * shares the buffer and counts a reference instead, as tfjs-wasm's own Reshape and tfjs-cpu's
 * Identity do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulGradient, type MatMul } from './gradients.js';
import { nativeBatchMatMul, nativeGemmStatus } from './nativeGemm.js';

function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [x.rank - 1, x.rank - 2];
  return tf.transpose(x, perm);
}

const explicitTransposeMatMul: MatMul = (a, b, transposeA, transposeB) =>
  tf.matMul(transposeA ? swapLastAxes(a) : a, transposeB ? swapLastAxes(b) : b);

/**
 * Choose how the BatchMatMul gradient forms its products: `true` transposes operands
 * explicitly before a plain matMul (fast on wasm), `false` passes transpose flags to matMul
 * (tfjs's way; no copy, best where the kernel handles flags well). Both give the same
 * gradient up to float32 summation order. Exported for tests and benchmarks; models rely on
 * `installBackendOptimisations`.
 */
export function useExplicitTransposes(on: boolean): void {
  tf.registerGradient(batchMatMulGradient(on ? explicitTransposeMatMul : tf.matMul));
}

let copyingIdentity: tf.KernelFunc | undefined;

const sharedIdentity: tf.KernelFunc = (args) => {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return (copyingIdentity as tf.KernelFunc)(args);
  (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Make wasm's Identity share its input's buffer (string tensors keep tfjs's copying kernel). */
function useSharedIdentity(): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (!current || current.kernelFunc === sharedIdentity) return;
  copyingIdentity = current.kernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: sharedIdentity });
}

let wasmBatchMatMul: tf.KernelFunc | undefined;

/**
 * Run wasm's BatchMatMul on OpenBLAS (`on`, where the addon is available) or on tfjs-wasm's
 * own kernel, with the gradient form that suits it (flags on OpenBLAS, explicit transposes on
 * tfjs-wasm). Exported for tests and benchmarks, which compare the two; models rely on
 * `installBackendOptimisations`.
 * @returns whether OpenBLAS now runs the products.
 */
export function useNativeMatMul(on: boolean): boolean {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  if (!current) throw new Error('useNativeMatMul: the wasm backend is not loaded');
  if (current.kernelFunc !== nativeBatchMatMul) wasmBatchMatMul = current.kernelFunc;
  const native = on && nativeGemmStatus().available;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: native ? nativeBatchMatMul : (wasmBatchMatMul as tf.KernelFunc) });
  useExplicitTransposes(!native);
  return native;
}

/** Which kernel runs matrix products on the active backend: 'OpenBLAS' (the addon), or the backend's own. */
export function matMulEngine(): string {
  const backend = tf.getBackend();
  if (backend !== 'wasm') return `${backend}'s own`;
  return tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc === nativeBatchMatMul ? 'OpenBLAS' : 'XNNPACK (tfjs-wasm)';
}

/** Install the speed-ups suited to `backend` (a tfjs backend name) and undo those that are not. */
export function installBackendOptimisations(backend: string): void {
  if (backend === 'wasm') {
    useNativeMatMul(true);
    useSharedIdentity();
  } else {
    useExplicitTransposes(false);
  }
}
