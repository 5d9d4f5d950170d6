/*
 * The elementwise passes of the networks cglab evaluates on the host for simulation
 * (kernel-lib/src/nn/hostBuffer.ts and its users: SchNet, CGnet's MLP), which keep weights and
 * activations in one Float32Array and run their matrix products on OpenBLAS (gemm.c). Written
 * in C because these loops, not the products, set the time of a force evaluation in
 * JavaScript: the compiler vectorizes them, and tanh takes a polynomial exp.
 *
 * Every function takes the Float32Array first and offsets and counts in floats; a region that
 * reaches outside the array, or a malformed argument, throws a RangeError. Activations: 0
 * linear, 1 tanh, 2 shifted softplus ln(1 + e^x) - ln 2.
 *
 * denseEpilogue(buf, at, rows, n, bias, act): rows x n floats from `at` get the bias (n floats
 *   from `bias`; -1 for none) added to each row and the activation applied, in place.
 * activationSlope(buf, g, y, count, act): g *= act'(a) for the layer's outputs y = act(a).
 * cfconv(buf, pairs, batch, beads, f, f2, cut, w, y, m): per frame and pair p = (i, j) of the
 *   Int32Array `pairs` [i0, j0, i1, j1, ...]: w_p = f2_p * cut_p, then m_i += w_p y_j and
 *   m_j += w_p y_i (m zeroed first); f2, w [batch * pairs, f], cut [batch * pairs], y, m
 *   [batch * beads, f].
 * cfconvGrad(buf, pairs, batch, beads, f, f2, cut, w, y, gm, gy, gw, gcut): the reverse of
 *   cfconv from gm = dE/dm: gy = dE/dy (zeroed first), gw = dE/df2 = (dE/dw) cut, and
 *   gcut += sum over features of (dE/dw) f2.
 * addInPlace(buf, to, from, count): to += from.
 * tableLookup(buf, d, count, table, intervals, f, inv, out): f functions of a distance, each a
 *   cubic on every one of `intervals` equal intervals from 0 (table [intervals, 4, f]: c0..c3 of
 *   c0 + c1 t + c2 t^2 + c3 t^3, t the fraction of the way through the interval; inv the float
 *   holding 1 / the interval's length), at `count` distances from `d` into out [count, f];
 *   distances beyond the last interval take its end's values.
 * tableLookupGrad(buf, d, count, table, intervals, f, inv, g, gd): gd_q += sum over z of g[q, z]
 *   times the cubic's slope in d, from the gradient g [count, f] at tableLookup's output.
 */
#include <node_api.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

napi_status cglab_register_host(napi_env env, napi_value exports);

typedef struct {
  float *data;
  uint64_t len;
} floats;

static int read_count(napi_env env, napi_value v, uint64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 4503599627370496.0 || d != (double)(uint64_t)d) return 0;
  *out = (uint64_t)d;
  return 1;
}

static int read_float32(napi_env env, napi_value v, floats *out) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array) return 0;
  out->data = (float *)data;
  out->len = length;
  return 1;
}

/* Whether `count` floats from `at` lie in the array. */
static int inside(const floats *b, uint64_t at, uint64_t count) {
  uint64_t end;
  return !__builtin_add_overflow(at, count, &end) && end <= b->len;
}

static int product(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_mul_overflow(a, b, out); }

/* Parse argv[0] as the Float32Array, argv[extra_at] (if >= 0) as a value for the caller, and the
 * rest in order as non-negative integers into `values`; argv[minus_one_at] may also be -1,
 * returned as UINT64_MAX. */
static int parse(napi_env env, napi_callback_info info, const char *name, size_t argc_expected, floats *buf, uint64_t *values, napi_value *extra, int extra_at, int minus_one_at) {
  size_t argc = 16;
  napi_value argv[16];
  char message[160];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != argc_expected) {
    snprintf(message, sizeof message, "cglab_gemm.%s: expected %zu arguments", name, argc_expected);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  if (!read_float32(env, argv[0], buf)) {
    snprintf(message, sizeof message, "cglab_gemm.%s: the first argument must be a Float32Array", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  for (size_t i = 1, v = 0; i < argc; i++) {
    if ((int)i == extra_at) {
      *extra = argv[i];
      continue;
    }
    double d;
    if ((int)i == minus_one_at && napi_get_value_double(env, argv[i], &d) == napi_ok && d == -1) {
      values[v++] = UINT64_MAX;
      continue;
    }
    if (!read_count(env, argv[i], &values[v++])) {
      snprintf(message, sizeof message, "cglab_gemm.%s: argument %zu must be a non-negative integer%s", name, i + 1, (int)i == minus_one_at ? " or -1" : "");
      napi_throw_range_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

/* The passes below are built twice on x86-64, for baseline SSE2 and for AVX2 with FMA
 * (x86-64-v3), and the loader picks the one the CPU runs: twice the vector width makes a CG
 * force evaluation ~20 % faster (measured), and a build moved to an older CPU still runs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

static napi_value outside(napi_env env, const char *name) {
  char message[160];
  snprintf(message, sizeof message, "cglab_gemm.%s: a region reaches outside the array, or an argument is out of range", name);
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/* e^x for |x| <= 18 to ~2e-7 relative: x = k ln 2 + r, e^r by its Taylor series to r^7, 2^k from
 * the exponent bits. Branch-free, so loops over it vectorize. */
static inline float exp_small(float x) {
  const float k = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
  const float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
  int32_t bits = ((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, 4);
  return p * scale;
}

/* tanh(v) as 1 - 2/(e^{2v} + 1), clamped where float32's tanh is +-1 already. */
static inline float tanh_small(float v) {
  float c = v > 9.0f ? 9.0f : v;
  c = c < -9.0f ? -9.0f : c;
  return 1.0f - 2.0f / (exp_small(2.0f * c) + 1.0f);
}

static inline float shifted_softplus(float v) { return (v > 0 ? v + log1pf(expf(-v)) : log1pf(expf(v))) - 0.69314718f; }

VECTOR_CLONES static napi_value denseEpilogue(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[5];
  if (!parse(env, info, "denseEpilogue", 6, &b, a, NULL, -1, 4)) return NULL;
  const uint64_t at = a[0], rows = a[1], n = a[2], bias = a[3], act = a[4];
  uint64_t size;
  if (act > 2 || !product(rows, n, &size) || !inside(&b, at, size) || (bias != UINT64_MAX && !inside(&b, bias, n))) return outside(env, "denseEpilogue");
  float *x = b.data + at;
  const float *c = bias == UINT64_MAX ? NULL : b.data + bias;
  for (uint64_t r = 0; r < rows; r++, x += n) {
    if (c) for (uint64_t j = 0; j < n; j++) x[j] += c[j];
    if (act == 1) {
      for (uint64_t j = 0; j < n; j++) x[j] = tanh_small(x[j]);
    } else if (act == 2) {
      for (uint64_t j = 0; j < n; j++) x[j] = shifted_softplus(x[j]);
    }
  }
  return NULL;
}

VECTOR_CLONES static napi_value activationSlope(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[4];
  if (!parse(env, info, "activationSlope", 5, &b, a, NULL, -1, -1)) return NULL;
  const uint64_t g = a[0], y = a[1], count = a[2], act = a[3];
  if (act > 2 || !inside(&b, g, count) || !inside(&b, y, count)) return outside(env, "activationSlope");
  float *gv = b.data + g;
  const float *yv = b.data + y;
  if (act == 1) {
    for (uint64_t i = 0; i < count; i++) gv[i] *= 1.0f - yv[i] * yv[i];
  } else if (act == 2) {
    /* ssp'(a) = sigmoid(a) = 1 - exp(-softplus(a)), softplus(a) = y + ln 2. */
    for (uint64_t i = 0; i < count; i++) gv[i] *= 1.0f - expf(-(yv[i] + 0.69314718f));
  }
  return NULL;
}

/* The pair list and the sizes of cfconv and cfconvGrad. */
typedef struct {
  const int32_t *pairs;
  uint64_t np, batch, beads, f;
} pair_layout;

static int read_pairs(napi_env env, napi_value v, pair_layout *l) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || length % 2) return 0;
  l->pairs = (const int32_t *)data;
  l->np = length / 2;
  for (size_t i = 0; i < length; i++) {
    if (l->pairs[i] < 0 || (uint64_t)l->pairs[i] >= l->beads) return 0;
  }
  return 1;
}

/* The arguments of cfconv and cfconvGrad, checked: (buf, pairs, batch, beads, f, regions...) into
 * b, l and a (a[3] on: the regions' offsets), each region's kind in `kinds`: 'p' pair rows
 * [batch * pairs, f], 'b' bead rows [batch * beads, f], 's' one float per pair. 0 when it threw. */
static int parse_pairs(napi_env env, napi_callback_info info, const char *name, floats *b, uint64_t *a, pair_layout *l, const char *kinds) {
  const size_t n = strlen(kinds);
  napi_value pairs;
  if (!parse(env, info, name, 5 + n, b, a, &pairs, 1, -1)) return 0;
  *l = (pair_layout){NULL, 0, a[0], a[1], a[2]};
  uint64_t pr, br, ps, bs;
  int fits = read_pairs(env, pairs, l) && product(l->batch, l->np, &pr) && product(l->batch, l->beads, &br) && product(pr, l->f, &ps) && product(br, l->f, &bs);
  for (size_t i = 0; fits && i < n; i++) fits = inside(b, a[3 + i], kinds[i] == 'p' ? ps : kinds[i] == 'b' ? bs : pr);
  if (!fits) outside(env, name);
  return fits;
}

/* One pair of cfconv: w = f2 c, m_i += w y_j, m_j += w y_i, over f features (distinct regions). */
static inline void cfconv_pair(uint64_t f, float c, const float *restrict f2, float *restrict w, const float *restrict yi, const float *restrict yj,
                               float *restrict mi, float *restrict mj) {
  for (uint64_t z = 0; z < f; z++) {
    const float wz = f2[z] * c;
    w[z] = wz;
    mi[z] += wz * yj[z];
    mj[z] += wz * yi[z];
  }
}

/* One pair of cfconvGrad; returns the sum over features of dE/dw f2. */
static inline float cfconv_pair_grad(uint64_t f, float c, const float *restrict f2, const float *restrict w, const float *restrict yi,
                                     const float *restrict yj, const float *restrict gmi, const float *restrict gmj, float *restrict gyi,
                                     float *restrict gyj, float *restrict gw) {
  float sum = 0;
  for (uint64_t z = 0; z < f; z++) {
    const float dw = gmi[z] * yj[z] + gmj[z] * yi[z];
    gyj[z] += gmi[z] * w[z];
    gyi[z] += gmj[z] * w[z];
    sum += dw * f2[z];
    gw[z] = dw * c;
  }
  return sum;
}

VECTOR_CLONES static napi_value cfconv(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[8];
  pair_layout l;
  if (!parse_pairs(env, info, "cfconv", &b, a, &l, "pspbb")) return NULL;
  const uint64_t f2 = a[3], cut = a[4], w = a[5], y = a[6], m = a[7];
  const uint64_t f = l.f;
  float *const data = b.data;
  memset(data + m, 0, 4 * l.batch * l.beads * f);
  for (uint64_t fr = 0; fr < l.batch; fr++) {
    for (uint64_t p = 0; p < l.np; p++) {
      const uint64_t q = fr * l.np + p;
      const uint64_t i = fr * l.beads + l.pairs[2 * p], j = fr * l.beads + l.pairs[2 * p + 1];
      cfconv_pair(f, data[cut + q], data + f2 + q * f, data + w + q * f, data + y + i * f, data + y + j * f, data + m + i * f, data + m + j * f);
    }
  }
  return NULL;
}

VECTOR_CLONES static napi_value cfconvGrad(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[11];
  pair_layout l;
  if (!parse_pairs(env, info, "cfconvGrad", &b, a, &l, "pspbbbps")) return NULL;
  const uint64_t f2 = a[3], cut = a[4], w = a[5], y = a[6], gm = a[7], gy = a[8], gw = a[9], gcut = a[10];
  const uint64_t f = l.f;
  float *const data = b.data;
  memset(data + gy, 0, 4 * l.batch * l.beads * f);
  for (uint64_t fr = 0; fr < l.batch; fr++) {
    for (uint64_t p = 0; p < l.np; p++) {
      const uint64_t q = fr * l.np + p;
      const uint64_t i = fr * l.beads + l.pairs[2 * p], j = fr * l.beads + l.pairs[2 * p + 1];
      data[gcut + q] += cfconv_pair_grad(f, data[cut + q], data + f2 + q * f, data + w + q * f, data + y + i * f, data + y + j * f,
                                         data + gm + i * f, data + gm + j * f, data + gy + i * f, data + gy + j * f, data + gw + q * f);
    }
  }
  return NULL;
}

VECTOR_CLONES static napi_value addInPlace(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[3];
  if (!parse(env, info, "addInPlace", 4, &b, a, NULL, -1, -1)) return NULL;
  if (!inside(&b, a[0], a[2]) || !inside(&b, a[1], a[2])) return outside(env, "addInPlace");
  float *to = b.data + a[0];
  const float *from = b.data + a[1];
  for (uint64_t i = 0; i < a[2]; i++) to[i] += from[i];
  return NULL;
}

/* Interval k of a table of `intervals` and fraction t of the way through it, for distance d. */
static inline void table_locate(float d, float inv_spacing, uint64_t intervals, uint64_t *k, float *t) {
  float u = d * inv_spacing;
  const float last = (float)intervals;
  u = u > 0 ? (u < last ? u : last) : 0; /* NaN goes to 0 */
  uint64_t at = (uint64_t)u;
  if (at > intervals - 1) at = intervals - 1;
  *k = at;
  *t = u - (float)at;
}

/* The regions of tableLookup and tableLookupGrad (a: d, count, table, intervals, f, inv), and `out` of `out_count` floats. */
static int table_fits(const floats *b, const uint64_t *a, uint64_t out, uint64_t out_count) {
  uint64_t size;
  return a[3] >= 1 && product(a[3], 4 * a[4], &size) && inside(b, a[2], size) && inside(b, a[0], a[1]) && inside(b, a[5], 1) && inside(b, out, out_count);
}

VECTOR_CLONES static napi_value tableLookup(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[7];
  if (!parse(env, info, "tableLookup", 8, &b, a, NULL, -1, -1)) return NULL;
  const uint64_t d = a[0], count = a[1], table = a[2], intervals = a[3], f = a[4], out = a[6];
  uint64_t size;
  if (!product(count, f, &size) || !table_fits(&b, a, out, size)) return outside(env, "tableLookup");
  const float inv = b.data[a[5]];
  for (uint64_t q = 0; q < count; q++) {
    uint64_t k;
    float t;
    table_locate(b.data[d + q], inv, intervals, &k, &t);
    const float *c0 = b.data + table + 4 * k * f, *c1 = c0 + f, *c2 = c1 + f, *c3 = c2 + f;
    float *o = b.data + out + q * f;
    for (uint64_t z = 0; z < f; z++) o[z] = c0[z] + t * (c1[z] + t * (c2[z] + t * c3[z]));
  }
  return NULL;
}

VECTOR_CLONES static napi_value tableLookupGrad(napi_env env, napi_callback_info info) {
  floats b;
  uint64_t a[8];
  if (!parse(env, info, "tableLookupGrad", 9, &b, a, NULL, -1, -1)) return NULL;
  const uint64_t d = a[0], count = a[1], table = a[2], intervals = a[3], f = a[4], g = a[6], gd = a[7];
  uint64_t size;
  if (!product(count, f, &size) || !table_fits(&b, a, g, size) || !inside(&b, gd, count)) return outside(env, "tableLookupGrad");
  const float inv = b.data[a[5]];
  for (uint64_t q = 0; q < count; q++) {
    uint64_t k;
    float t;
    table_locate(b.data[d + q], inv, intervals, &k, &t);
    const float *c1 = b.data + table + 4 * k * f + f, *c2 = c1 + f, *c3 = c2 + f;
    const float *gq = b.data + g + q * f;
    float sum = 0;
    for (uint64_t z = 0; z < f; z++) sum += gq[z] * (c1[z] + t * (2 * c2[z] + 3 * t * c3[z]));
    b.data[gd + q] += sum * inv;
  }
  return NULL;
}

napi_status cglab_register_host(napi_env env, napi_value exports) {
  const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"denseEpilogue", denseEpilogue}, {"activationSlope", activationSlope}, {"cfconv", cfconv}, {"cfconvGrad", cfconvGrad}, {"addInPlace", addInPlace},
      {"tableLookup", tableLookup}, {"tableLookupGrad", tableLookupGrad}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_status s = napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
    if (s != napi_ok) return s;
    if ((s = napi_set_named_property(env, exports, fns[i].name, fn)) != napi_ok) return s;
  }
  return napi_ok;
}
