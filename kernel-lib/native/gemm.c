/*
 * cglab_gemm: float32 matrix products by the system's OpenBLAS, for the tfjs wasm backend.
 *
 * tfjs-wasm keeps every tensor in the WebAssembly heap, one ArrayBuffer; the wasm kernel
 * (XNNPACK, 128-bit SIMD without fused multiply-add) reaches 10-20 GFLOP/s on the products a
 * force-matching step makes, where OpenBLAS on the same core reaches 60-75. This addon
 * multiplies in place in that heap: the caller passes the buffer and byte offsets, so nothing
 * is copied. One thread, like every other tfjs-wasm kernel under Node.
 *
 * sgemm(heap, batch, m, n, k, a, strideA, transA, b, strideB, transB, c):
 *   for each of `batch` products, C[m×n] = op(A) · op(B), op(A) of shape m×k, op(B) k×n,
 *   row-major; a, b, c are byte offsets into heap (4-byte aligned); strideA and strideB are
 *   floats between consecutive batch items (0: the same matrix for every item); C is dense.
 * Throws (RangeError) when an argument is not a number or any matrix reaches outside the heap.
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <string.h>

extern void openblas_set_num_threads(int);

#define ARGS 12

static int read_u64(napi_env env, napi_value v, uint64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740992.0 || d != (double)(uint64_t)d) return 0;
  *out = (uint64_t)d;
  return 1;
}

/* Whether `count` floats from byte `offset` on, for `batch` items `stride` floats apart, lie in `len` bytes. */
static int fits(uint64_t offset, uint64_t batch, uint64_t stride, uint64_t count, uint64_t len) {
  uint64_t span, end;
  if (offset % 4 != 0) return 0;
  if (__builtin_mul_overflow(stride, batch - 1, &span) || __builtin_add_overflow(span, count, &span) ||
      __builtin_mul_overflow(span, 4, &span) || __builtin_add_overflow(offset, span, &end)) return 0;
  return end <= len;
}

static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = ARGS;
  napi_value argv[ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != ARGS) {
    napi_throw_range_error(env, NULL, "cglab_gemm.sgemm: expected 12 arguments (heap, batch, m, n, k, a, strideA, transA, b, strideB, transB, c)");
    return NULL;
  }
  void *heap;
  size_t len;
  if (napi_get_arraybuffer_info(env, argv[0], &heap, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "cglab_gemm.sgemm: heap must be an ArrayBuffer");
    return NULL;
  }
  uint64_t batch, m, n, k, a, sa, b, sb, c;
  bool ta, tb;
  if (!read_u64(env, argv[1], &batch) || !read_u64(env, argv[2], &m) || !read_u64(env, argv[3], &n) ||
      !read_u64(env, argv[4], &k) || !read_u64(env, argv[5], &a) || !read_u64(env, argv[6], &sa) ||
      !read_u64(env, argv[8], &b) || !read_u64(env, argv[9], &sb) || !read_u64(env, argv[11], &c) ||
      napi_get_value_bool(env, argv[7], &ta) != napi_ok || napi_get_value_bool(env, argv[10], &tb) != napi_ok) {
    napi_throw_range_error(env, NULL, "cglab_gemm.sgemm: sizes, offsets and strides must be non-negative integers, transposes booleans");
    return NULL;
  }
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    napi_throw_range_error(env, NULL, "cglab_gemm.sgemm: a matrix dimension exceeds 2^31 - 1");
    return NULL;
  }
  if (batch == 0 || m == 0 || n == 0) return NULL;
  uint64_t mk, kn, mn;
  if (__builtin_mul_overflow(m, k, &mk) || __builtin_mul_overflow(k, n, &kn) || __builtin_mul_overflow(m, n, &mn) ||
      !fits(a, batch, sa, mk, len) ||
      !fits(b, batch, sb, kn, len) || !fits(c, batch, mn, mn, len)) {
    napi_throw_range_error(env, NULL, "cglab_gemm.sgemm: a matrix reaches outside the heap or is not 4-byte aligned");
    return NULL;
  }
  float *A = (float *)((char *)heap + a), *B = (float *)((char *)heap + b), *C = (float *)((char *)heap + c);
  if (k == 0) {
    memset(C, 0, 4 * batch * mn);
    return NULL;
  }
  /* Items that share B and store A untransposed are rows of one taller product. */
  if (batch > 1 && sb == 0 && !ta && sa == mk && batch * m <= INT32_MAX) {
    m *= batch;
    batch = 1;
  }
  const int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  for (uint64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                1.0f, A + i * sa, lda, B + i * sb, ldb, 0.0f, C + i * m * n, (int)n);
  }
  return NULL;
}

/* host.c: the elementwise passes of the networks evaluated on the host, in the same addon. */
napi_status cglab_register_host(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  openblas_set_num_threads(1);
  napi_value fn;
  if (napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, sgemm, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sgemm", fn) != napi_ok) return NULL;
  if (cglab_register_host(env, exports) != napi_ok) return NULL;
  return exports;
}
