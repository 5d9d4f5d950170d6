/**
 * Gumbel-softmax (Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017): a differentiable sample of
 * a categorical choice. For logits ℓ and Gumbel noise g = −ln(−ln u), u ~ U(0, 1), the soft
 * sample softmax((ℓ + g) / τ) tends to the one-hot of argmax(ℓ + g) — an exact sample of
 * softmax(ℓ) — as the temperature τ → 0, with gradients that grow noisier as it falls. The
 * straight-through form uses a hard one-hot in the forward pass and the soft sample's gradient.
 *
 * The noise is drawn outside, from a seeded `Random`, so a training run repeats exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients.js';
import type { Random } from '../util/random.js';

/** `n` Gumbel(0, 1) deviates −ln(−ln u). */
export function gumbelNoise(rng: Random, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let u = 0;
    while (u === 0) u = rng.uniform();
    out[i] = -Math.log(-Math.log(u));
  }
  return out;
}

/**
 * softmax((logits + noise) / τ) along the last axis (the categories).
 * @param noise Gumbel deviates of the logits' shape (zeros give the deterministic softmax at τ).
 * @param tau temperature, > 0.
 */
export function gumbelSoftmax(logits: tf.Tensor, noise: tf.Tensor, tau: number): tf.Tensor {
  if (!(tau > 0)) throw new Error(`gumbelSoftmax: the temperature τ is ${tau}, expected > 0`);
  return tf.softmax(tf.div(tf.add(logits, noise), tau));
}

/**
 * The straight-through estimator: the value of `hard` (a constant of the soft sample's shape)
 * with the gradient of `soft` passed through unchanged.
 */
export function straightThrough(soft: tf.Tensor, hard: tf.Tensor): tf.Tensor {
  if (soft.shape.join() !== hard.shape.join()) throw new Error(`straightThrough: hard is [${hard.shape}], soft is [${soft.shape}]; they must match`);
  const op = tf.customGrad(((s: tf.Tensor) => ({ value: tf.clone(hard), gradFunc: (dy: tf.Tensor) => dy })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (s: tf.Tensor) => tf.Tensor)(soft);
}
