/**
 * The one interface of a conditional generative density q(y | c) with reparameterised samples,
 * shared by everything that back-maps or generates from a condition: the diagonal Gaussian
 * (gaussianMlp.ts) and conditional normalising flows. A method written against it works with
 * either.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface ConditionalDensity {
  /** Dimension of y. */
  readonly dim: number;
  /** Dimension of the condition c. */
  readonly contextDim: number;
  /**
   * Samples y = g(ε; c) from base noise ε [rows, dim] (standard normal) with ln q(y | c) of
   * each, differentiable in the parameters (pathwise).
   */
  sampleWithLogProb(c: tf.Tensor2D, eps: tf.Tensor2D): { y: tf.Tensor2D; logProb: tf.Tensor1D };
  /** ln q(y | c) of each row, [rows]. */
  logProb(y: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor1D;
  /** Named trainable variables. */
  parameters(): Record<string, tf.Variable>;
}
