/**
 * One Float32Array holding dense layers' weights and the activations of a batch, for networks
 * evaluated on the host in simulation (schnetHost.ts, mlpHost.ts): products on OpenBLAS
 * (backend/nativeGemm.ts), bias, activation and its slope by the addon's passes
 * (kernel-lib/native/host.c). Regions are offsets in floats.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hostKernels, hostSgemm, type HostKernels } from '../backend/nativeGemm.js';
import type { Activation, Dense } from './mlp.js';

/** The addon's activation codes. */
const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, tanh: 1, ssp: 2 };

/** A dense layer in the buffer: weight [nIn, nOut] and bias [nOut] offsets (bias −1: none). */
export interface HostLayer {
  nIn: number;
  nOut: number;
  weight: number;
  bias: number;
  act: number;
}

export class HostBuffer {
  /** The array; replaced when a batch larger than any before is laid out. */
  buf = new Float32Array(0);
  private size = 0;
  private weightsEnd = -1;
  private capacity = 0;
  private scratchLayout: unknown;
  private readonly values: [number, Float32Array][] = [];

  private constructor(readonly kernels: HostKernels) {}

  /**
   * A buffer where the addon is available and tfjs runs on the CPU, else undefined (tfjs then
   * evaluates the network: on the tensorflow backends it may have a GPU).
   */
  static create(): HostBuffer | undefined {
    const kernels = ['wasm', 'cpu'].includes(tf.getBackend()) ? hostKernels() : undefined;
    return kernels ? new HostBuffer(kernels) : undefined;
  }

  /** Reserve `count` floats; their offset. */
  take(count: number): number {
    const at = this.size;
    this.size += count;
    return at;
  }

  /** Keep constants (weights) in the array; their offset. Only before the first {@link scratch}. */
  store(v: ArrayLike<number>): number {
    if (this.weightsEnd >= 0) throw new Error('HostBuffer.store: the constants are fixed once a batch is laid out');
    const at = this.take(v.length);
    this.values.push([at, Float32Array.from(v)]);
    return at;
  }

  /** A dense layer's weights, stored as they are now. */
  place(d: Dense): HostLayer {
    return { nIn: d.nIn, nOut: d.nOut, weight: this.store(d.weight.dataSync()), bias: d.bias ? this.store(d.bias.dataSync()) : -1, act: ACTIVATION_CODE[d.activation] };
  }

  /**
   * The scratch regions of a batch, as `reserve` lays them out with {@link take}: laid out
   * again, in a new array, only for a batch larger than any before.
   */
  scratch<T>(batch: number, reserve: (batch: number) => T): T {
    if (batch > this.capacity) {
      if (this.weightsEnd < 0) this.weightsEnd = this.size;
      this.size = this.weightsEnd;
      this.scratchLayout = reserve(batch);
      this.buf = new Float32Array(this.size);
      for (const [offset, v] of this.values) this.buf.set(v, offset);
      this.capacity = batch;
    }
    return this.scratchLayout as T;
  }

  /** Dense layer on `rows` rows from `input` into `output`: act(x W + b). */
  forward(l: HostLayer, input: number, output: number, rows: number): void {
    hostSgemm(this.buf, rows, l.nOut, l.nIn, input, false, l.weight, false, output);
    this.kernels.denseEpilogue(this.buf, output, rows, l.nOut, l.bias, l.act);
  }

  /** Gradient at a dense layer's input into `gIn`, from the gradient at its output `gOut` (scaled in place by act′ at `output`). */
  backward(l: HostLayer, output: number, gOut: number, gIn: number, rows: number): void {
    this.kernels.activationSlope(this.buf, gOut, output, rows * l.nOut, l.act);
    hostSgemm(this.buf, rows, l.nIn, l.nOut, gOut, false, l.weight, true, gIn);
  }

  /** Gradient through a stack of dense layers with one output each row: from ∂E/∂out = 1 to the stack's input; the offset holding it (`a` or `b`, scratch of rows × the widest layer each). */
  backwardFromOnes(layers: readonly HostLayer[], outputs: readonly number[], a: number, b: number, rows: number): number {
    this.buf.fill(1, a, a + rows);
    let [g, spare] = [a, b];
    for (let r = layers.length - 1; r >= 0; r--) {
      this.backward(layers[r], outputs[r], g, spare, rows);
      [g, spare] = [spare, g];
    }
    return g;
  }
}
