/**
 * Matrix products by OpenBLAS for the wasm backend. tfjs-wasm's own product (XNNPACK, 128-bit
 * SIMD without fused multiply-add) reaches 10–20 GFLOP/s on the products of a force-matching
 * step; OpenBLAS on the same core 60–75. `kernel-lib/native/gemm.c` is a small Node addon that
 * runs OpenBLAS's sgemm directly on tensors in the wasm heap (no copies, one thread, like every
 * tfjs-wasm kernel under Node). `scripts/setup.mjs` builds it where a C compiler and OpenBLAS
 * are installed; where it is not built, cglab uses tfjs-wasm's product and `doctor` says why.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The elementwise passes of the networks evaluated on the host (nn/hostBuffer.ts) over one
 * Float32Array, offsets and counts in floats; `kernel-lib/native/host.c` states each contract.
 * Activations: 0 linear, 1 tanh, 2 shifted softplus.
 */
export interface HostKernels {
  denseEpilogue(buf: Float32Array, at: number, rows: number, n: number, bias: number, act: number): void;
  activationSlope(buf: Float32Array, g: number, y: number, count: number, act: number): void;
  cfconv(buf: Float32Array, pairs: Int32Array, batch: number, beads: number, f: number, f2: number, cut: number, w: number, y: number, m: number): void;
  cfconvGrad(buf: Float32Array, pairs: Int32Array, batch: number, beads: number, f: number, f2: number, cut: number, w: number, y: number,
    gm: number, gy: number, gw: number, gcut: number): void;
  addInPlace(buf: Float32Array, to: number, from: number, count: number): void;
  tableLookup(buf: Float32Array, d: number, count: number, table: number, intervals: number, f: number, inv: number, out: number): void;
  tableLookupGrad(buf: Float32Array, d: number, count: number, table: number, intervals: number, f: number, inv: number, g: number, gd: number): void;
}

/** The addon: OpenBLAS's product (see `kernel-lib/native/gemm.c` for the contract) and the host passes. */
interface GemmAddon extends HostKernels {
  sgemm(heap: ArrayBuffer, batch: number, m: number, n: number, k: number,
    a: number, strideA: number, transA: boolean, b: number, strideB: number, transB: boolean, c: number): void;
}

/** Where `kernel-lib/native/build.mjs` puts the addon. */
export const NATIVE_GEMM_PATH = fileURLToPath(new URL('../../native/build/cglab_gemm.node', import.meta.url));

/** Whether the OpenBLAS product can be used, and if not, why. */
export interface NativeGemmStatus {
  available: boolean;
  /** Why not (missing addon, failed load); absent when available. */
  reason?: string;
}

let addon: GemmAddon | undefined;
let status: NativeGemmStatus | undefined;

/** Load the addon once per process. */
export function nativeGemmStatus(): NativeGemmStatus {
  if (status) return status;
  try {
    addon = createRequire(import.meta.url)(NATIVE_GEMM_PATH) as GemmAddon;
    status = { available: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    status = {
      available: false,
      reason: err.code === 'MODULE_NOT_FOUND'
        ? `${NATIVE_GEMM_PATH} is not built (\`node kernel-lib/native/build.mjs\` needs a C compiler and OpenBLAS: Debian gcc, libopenblas-dev)`
        : `${NATIVE_GEMM_PATH} failed to load: ${err.message.split('\n')[0]}`,
    };
  }
  return status;
}

/** The host passes, where the addon is available. */
export function hostKernels(): HostKernels | undefined {
  return nativeGemmStatus().available ? addon : undefined;
}

/**
 * C = op(A) · op(B) on OpenBLAS for matrices in one Float32Array: A [m, k] (stored [k, m] with
 * `transA`), B [k, n] (stored [n, k] with `transB`), C [m, n], all row-major, given by their
 * offsets in floats. Host code with its own buffers uses it (nn/hostBuffer.ts); call only when
 * {@link nativeGemmStatus} says the addon is available.
 */
export function hostSgemm(buf: Float32Array, m: number, n: number, k: number, a: number, transA: boolean, b: number, transB: boolean, c: number): void {
  const at = buf.byteOffset;
  (addon as GemmAddon).sgemm(buf.buffer as ArrayBuffer, 1, m, n, k, at + 4 * a, 0, transA, at + 4 * b, 0, transB, at + 4 * c);
}

/** The parts of tfjs-wasm's backend object the kernel reads (its tensors live in one heap). */
interface WasmBackend {
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  wasm: { HEAPU8: Uint8Array };
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * BatchMatMul on the wasm backend by OpenBLAS: the same contract as tfjs's kernel (transpose
 * flags on the last two axes; a batch of one, or none, broadcasts against any batch).
 * Registered by `fastops.ts` when the addon is available.
 */
export const nativeBatchMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const tA = attrs?.transposeA === true;
  const tB = attrs?.transposeB === true;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`BatchMatMul (OpenBLAS): float32 operands only, got ${a.dtype} × ${b.dtype}`);
  }
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = a.shape[tA ? ra - 1 : ra - 2];
  const k = a.shape[tA ? ra - 2 : ra - 1];
  const n = b.shape[tB ? rb - 2 : rb - 1];
  if (b.shape[tB ? rb - 1 : rb - 2] !== k) {
    throw new Error(`BatchMatMul (OpenBLAS): inner dimensions of [${a.shape}] (transposeA ${tA}) and [${b.shape}] (transposeB ${tB}) differ`);
  }
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(outer);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    throw new Error(`BatchMatMul (OpenBLAS): batch shapes [${a.shape.slice(0, -2)}] and [${b.shape.slice(0, -2)}] broadcast only where one of them has a single item`);
  }
  const wasm = backend as unknown as WasmBackend;
  const out = wasm.makeOutput([...outer, m, n], 'float32');
  const offset = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId).memoryOffset;
  // makeOutput may have grown the heap, which replaces its ArrayBuffer: read it only now.
  (addon as GemmAddon).sgemm(wasm.wasm.HEAPU8.buffer as ArrayBuffer, batch, m, n, k,
    offset(a), batchA === 1 ? 0 : m * k, tA, offset(b), batchB === 1 ? 0 : k * n, tB, offset(out));
  return out;
};
