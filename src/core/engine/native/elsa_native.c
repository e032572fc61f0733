/*
 * Optional native kernels for the tfjs wasm backend: the slow training-step kernels (convolution
 * forward and gradients, max-pool gradient, matMul, bias add, fused optimizer updates) computed in place on the wasm heap with OpenBLAS sgemm;
 * batch norm and reductions are in elsa_norm.c.
 * Tensors are never copied: JS passes the heap's ArrayBuffer and byte offsets of inputs and outputs
 * (allocated by the wasm backend). Every offset is bounds-checked against the heap.
 * Layouts are tfjs': NHWC activations, [KH, KW, Cin, Cout] filters, row-major matrices.
 * Built at install time only where gcc and OpenBLAS exist (build.mjs); absent, the wasm kernels run.
 */
#include "elsa_native.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ELSA_NATIVE_VERSION 6
/* build.mjs compiles for x86-64-v3 (AVX2+FMA) where the CPU has it (3x faster loops than SSE2;
 * target_clones did not vectorise them); nativeKernels.ts re-checks the CPU before loading */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
/* im2col works on row chunks so its scratch stays cache-sized (and memory bounded) */
#define CHUNK_BYTES (1u << 20)

static float *scratch = NULL;
static size_t scratch_floats = 0;

static float *scratch_for(size_t floats) {
  if (floats > scratch_floats) {
    free(scratch);
    scratch = (float *)malloc(floats * sizeof(float));
    scratch_floats = scratch ? floats : 0;
  }
  return scratch;
}

int read_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    napi_throw_error(env, NULL, "elsa_native: wrong number of arguments");
    return 0;
  }
  return 1;
}

int read_heap(napi_env env, napi_value v, Heap *heap) {
  void *data = NULL;
  size_t len = 0;
  if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "elsa_native: first argument must be the wasm heap ArrayBuffer");
    return 0;
  }
  heap->base = (float *)data;
  heap->bytes = len;
  return 1;
}

int read_ints(napi_env env, napi_value *argv, size_t n, int64_t *out) {
  for (size_t i = 0; i < n; i++) {
    if (napi_get_value_int64(env, argv[i], &out[i]) != napi_ok || out[i] < 0) {
      napi_throw_type_error(env, NULL, "elsa_native: arguments must be non-negative integers");
      return 0;
    }
  }
  return 1;
}

float *view(napi_env env, const Heap *heap, int64_t offset, int64_t count) {
  if (offset % 4 != 0 || (uint64_t)offset + (uint64_t)count * 4u > heap->bytes) {
    napi_throw_range_error(env, NULL, "elsa_native: tensor lies outside the wasm heap");
    return NULL;
  }
  return heap->base + offset / 4;
}


/* Rows [m0, m0+rows) of the im2col matrix: row (n,oh,ow) holds the KH·KW·Cin window, zeros outside. */
static void im2col(const float *x, const ConvShape *s, int64_t m0, int64_t rows, float *cols) {
  const int64_t k = s->kh * s->kw * s->cin;
  for (int64_t r = 0; r < rows; r++) {
    int64_t m = m0 + r;
    const int64_t ow = m % s->ow;
    const int64_t oh = (m / s->ow) % s->oh;
    const int64_t n = m / (s->ow * s->oh);
    float *dst = cols + r * k;
    for (int64_t i = 0; i < s->kh; i++) {
      const int64_t ih = oh * s->sh - s->pt + i * s->dh;
      for (int64_t j = 0; j < s->kw; j++, dst += s->cin) {
        const int64_t iw = ow * s->sw - s->pl + j * s->dw;
        if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w) {
          memset(dst, 0, (size_t)s->cin * sizeof(float));
        } else {
          memcpy(dst, x + ((n * s->h + ih) * s->w + iw) * s->cin, (size_t)s->cin * sizeof(float));
        }
      }
    }
  }
}

/* Adds rows of a column-gradient matrix back into dx (the adjoint of im2col). */
HOT static void col2im_add(const float *cols, const ConvShape *s, int64_t m0, int64_t rows, float *dx) {
  for (int64_t r = 0; r < rows; r++) {
    int64_t m = m0 + r;
    const int64_t ow = m % s->ow;
    const int64_t oh = (m / s->ow) % s->oh;
    const int64_t n = m / (s->ow * s->oh);
    const float *src = cols + r * s->kh * s->kw * s->cin;
    for (int64_t i = 0; i < s->kh; i++) {
      const int64_t ih = oh * s->sh - s->pt + i * s->dh;
      for (int64_t j = 0; j < s->kw; j++, src += s->cin) {
        const int64_t iw = ow * s->sw - s->pl + j * s->dw;
        if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w) continue;
        float *d = dx + ((n * s->h + ih) * s->w + iw) * s->cin;
        for (int64_t c = 0; c < s->cin; c++) d[c] += src[c];
      }
    }
  }
}

static int64_t chunk_rows(int64_t k) {
  int64_t rows = (int64_t)(CHUNK_BYTES / sizeof(float)) / (k > 0 ? k : 1);
  return rows < 16 ? 16 : rows;
}

/* conv args: heap, a, b, out, then N H W Cin OH OW Cout KH KW sh sw dh dw padTop padLeft */
#define CONV_ARGS 19

static int read_conv(napi_env env, napi_callback_info info, Heap *heap, int64_t off[3], ConvShape *s) {
  napi_value argv[MAX_ARGS];
  int64_t v[CONV_ARGS - 1];
  if (!read_args(env, info, CONV_ARGS, argv) || !read_heap(env, argv[0], heap)) return 0;
  if (!read_ints(env, argv + 1, CONV_ARGS - 1, v)) return 0;
  off[0] = v[0];
  off[1] = v[1];
  off[2] = v[2];
  *s = (ConvShape){v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17]};
  if (s->sh < 1 || s->sw < 1 || s->dh < 1 || s->dw < 1) {
    napi_throw_range_error(env, NULL, "elsa_native: strides and dilations must be >= 1");
    return 0;
  }
  return 1;
}

/* im2col rows per chunk for K columns, and the scratch to hold them; NULL (a JS error thrown) when out of memory. */
static float *conv_columns(napi_env env, int64_t k, int64_t *step) {
  *step = chunk_rows(k);
  float *cols = scratch_for((size_t)(*step * k));
  if (!cols) napi_throw_error(env, NULL, "elsa_native: out of memory");
  return cols;
}

/* y[M, Cout] = im2col(x)[M, K] · W[K, Cout] */
static napi_value conv2d(napi_env env, napi_callback_info info) {
  Heap heap;
  int64_t off[3];
  ConvShape s;
  if (!read_conv(env, info, &heap, off, &s)) return NULL;
  const int64_t m = s.n * s.oh * s.ow, k = s.kh * s.kw * s.cin;
  const float *x = view(env, &heap, off[0], s.n * s.h * s.w * s.cin);
  const float *w = x ? view(env, &heap, off[1], k * s.cout) : NULL;
  float *y = w ? view(env, &heap, off[2], m * s.cout) : NULL;
  if (!y) return NULL;
  if (conv_direct_fits(&s)) {
    conv2d_direct(x, w, y, &s);
    return NULL;
  }
  int64_t step;
  float *cols = conv_columns(env, k, &step);
  if (!cols) return NULL;
  for (int64_t m0 = 0; m0 < m; m0 += step) {
    const int64_t rows = m - m0 < step ? m - m0 : step;
    im2col(x, &s, m0, rows, cols);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)s.cout, (int)k, 1.0f, cols, (int)k, w,
                (int)s.cout, 0.0f, y + m0 * s.cout, (int)s.cout);
  }
  return NULL;
}

/* dW[K, Cout] = Σ_chunks im2col(x)ᵀ · dy */
static napi_value conv2d_filter_grad(napi_env env, napi_callback_info info) {
  Heap heap;
  int64_t off[3];
  ConvShape s;
  if (!read_conv(env, info, &heap, off, &s)) return NULL;
  const int64_t m = s.n * s.oh * s.ow, k = s.kh * s.kw * s.cin;
  const float *x = view(env, &heap, off[0], s.n * s.h * s.w * s.cin);
  const float *dy = x ? view(env, &heap, off[1], m * s.cout) : NULL;
  float *dw = dy ? view(env, &heap, off[2], k * s.cout) : NULL;
  if (!dw) return NULL;
  if (conv_direct_fits(&s)) {
    if (!conv2d_filter_grad_direct(x, dy, dw, &s)) napi_throw_error(env, NULL, "elsa_native: out of memory");
    return NULL;
  }
  int64_t step;
  float *cols = conv_columns(env, k, &step);
  if (!cols) return NULL;
  if (m == 0) memset(dw, 0, (size_t)(k * s.cout) * sizeof(float));
  for (int64_t m0 = 0; m0 < m; m0 += step) {
    const int64_t rows = m - m0 < step ? m - m0 : step;
    im2col(x, &s, m0, rows, cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)s.cout, (int)rows, 1.0f, cols, (int)k,
                dy + m0 * s.cout, (int)s.cout, m0 == 0 ? 0.0f : 1.0f, dw, (int)s.cout);
  }
  return NULL;
}

/* dx = col2im(dy[M, Cout] · Wᵀ[Cout, K]) */
static napi_value conv2d_input_grad(napi_env env, napi_callback_info info) {
  Heap heap;
  int64_t off[3];
  ConvShape s;
  if (!read_conv(env, info, &heap, off, &s)) return NULL;
  const int64_t m = s.n * s.oh * s.ow, k = s.kh * s.kw * s.cin;
  const float *dy = view(env, &heap, off[0], m * s.cout);
  const float *w = dy ? view(env, &heap, off[1], k * s.cout) : NULL;
  float *dx = w ? view(env, &heap, off[2], s.n * s.h * s.w * s.cin) : NULL;
  if (!dx) return NULL;
  if (conv_direct_input_fits(&s)) {
    conv2d_input_grad_direct(dy, w, dx, &s);
    return NULL;
  }
  memset(dx, 0, (size_t)(s.n * s.h * s.w * s.cin) * sizeof(float));
  int64_t step;
  float *cols = conv_columns(env, k, &step);
  if (!cols) return NULL;
  for (int64_t m0 = 0; m0 < m; m0 += step) {
    const int64_t rows = m - m0 < step ? m - m0 : step;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)k, (int)s.cout, 1.0f, dy + m0 * s.cout,
                (int)s.cout, w, (int)s.cout, 0.0f, cols, (int)k);
    col2im_add(cols, &s, m0, rows, dx);
  }
  return NULL;
}

/* The common 2×2 stride-2 unpadded window: four compares per output, branch-free. */
HOT static void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int64_t n, int64_t h, int64_t w,
                                  int64_t c, int64_t oh, int64_t ow) {
  for (int64_t b = 0; b < n; b++) {
    for (int64_t i = 0; i < oh; i++) {
      const float *r0 = x + ((b * h + 2 * i) * w) * c;
      const float *r1 = r0 + w * c;
      float *d0 = dx + ((b * h + 2 * i) * w) * c;
      float *d1 = d0 + w * c;
      for (int64_t j = 0; j < ow; j++) {
        const float *g = dy + ((b * oh + i) * ow + j) * c;
        const int64_t o = 2 * j * c;
        const float *a0 = r0 + o, *a1 = r0 + o + c, *a2 = r1 + o, *a3 = r1 + o + c;
        float *e0 = d0 + o, *e1 = d0 + o + c, *e2 = d1 + o, *e3 = d1 + o + c;
        int64_t ch = 0;
        /* 8 channels at a time with GCC vector types (gcc does not auto-vectorise this loop for unknown C) */
        for (; ch + 8 <= c; ch += 8) {
          v8f v0, v1, v2, v3, gv;
          memcpy(&v0, a0 + ch, sizeof v0);
          memcpy(&v1, a1 + ch, sizeof v1);
          memcpy(&v2, a2 + ch, sizeof v2);
          memcpy(&v3, a3 + ch, sizeof v3);
          memcpy(&gv, g + ch, sizeof gv);
          /* the first maximum in scan order wins: a later tap needs to be strictly greater */
          const v8i w0 = (v0 >= v1) & (v0 >= v2) & (v0 >= v3);
          const v8i w1 = ~w0 & (v1 >= v2) & (v1 >= v3);
          const v8i w2 = ~w0 & ~w1 & (v2 >= v3);
          const v8i w3 = ~w0 & ~w1 & ~w2;
          const v8i gi = (v8i)gv;
          const v8f o0 = (v8f)(w0 & gi), o1 = (v8f)(w1 & gi), o2 = (v8f)(w2 & gi), o3 = (v8f)(w3 & gi);
          memcpy(e0 + ch, &o0, sizeof o0);
          memcpy(e1 + ch, &o1, sizeof o1);
          memcpy(e2 + ch, &o2, sizeof o2);
          memcpy(e3 + ch, &o3, sizeof o3);
        }
        for (; ch < c; ch++) {
          const float v0 = a0[ch], v1 = a1[ch], v2 = a2[ch], v3 = a3[ch], gv = g[ch];
          const int w0 = v0 >= v1 && v0 >= v2 && v0 >= v3;
          const int w1 = !w0 && v1 >= v2 && v1 >= v3;
          const int w2 = !w0 && !w1 && v2 >= v3;
          e0[ch] = w0 ? gv : 0.0f;
          e1[ch] = w1 ? gv : 0.0f;
          e2[ch] = w2 ? gv : 0.0f;
          e3[ch] = !w0 && !w1 && !w2 ? gv : 0.0f;
        }
      }
    }
  }
}

/* maxPoolGrad: heap, x, dy, dx, N H W C OH OW fh fw sh sw pt pl. First maximum in scan order wins (as TF). */
static napi_value max_pool_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[15];
  Heap heap;
  if (!read_args(env, info, 16, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 15, v)) return NULL;
  const int64_t n = v[3], h = v[4], w = v[5], c = v[6], oh = v[7], ow = v[8], fh = v[9], fw = v[10], sh = v[11],
                sw = v[12], pt = v[13], pl = v[14];
  const float *x = view(env, &heap, v[0], n * h * w * c);
  const float *dy = x ? view(env, &heap, v[1], n * oh * ow * c) : NULL;
  float *dx = dy ? view(env, &heap, v[2], n * h * w * c) : NULL;
  if (!dx) return NULL;
  memset(dx, 0, (size_t)(n * h * w * c) * sizeof(float));
  if (fh == 2 && fw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && oh * 2 <= h && ow * 2 <= w) {
    max_pool_grad_2x2(x, dy, dx, n, h, w, c, oh, ow);
    return NULL;
  }
  int64_t *best_at = (int64_t *)malloc((size_t)(c > 0 ? c : 1) * sizeof(int64_t));
  float *best = (float *)malloc((size_t)(c > 0 ? c : 1) * sizeof(float));
  if (!best_at || !best) { free(best_at); free(best); napi_throw_error(env, NULL, "elsa_native: out of memory"); return NULL; }
  for (int64_t b = 0; b < n; b++) {
    for (int64_t i = 0; i < oh; i++) {
      for (int64_t j = 0; j < ow; j++) {
        for (int64_t ch = 0; ch < c; ch++) { best[ch] = -FLT_MAX; best_at[ch] = -1; }
        for (int64_t p = 0; p < fh; p++) {
          const int64_t ih = i * sh - pt + p;
          if (ih < 0 || ih >= h) continue;
          for (int64_t q = 0; q < fw; q++) {
            const int64_t iw = j * sw - pl + q;
            if (iw < 0 || iw >= w) continue;
            const int64_t at = ((b * h + ih) * w + iw) * c;
            for (int64_t ch = 0; ch < c; ch++) {
              if (best_at[ch] < 0 || x[at + ch] > best[ch]) { best[ch] = x[at + ch]; best_at[ch] = at + ch; }
            }
          }
        }
        const float *g = dy + ((b * oh + i) * ow + j) * c;
        for (int64_t ch = 0; ch < c; ch++) if (best_at[ch] >= 0) dx[best_at[ch]] += g[ch];
      }
    }
  }
  free(best_at);
  free(best);
  return NULL;
}

/* matMul: heap, a, b, out, batch, M, N, K, transA, transB, aBatched, bBatched — C[M,N] = op(A)·op(B) per batch. */
static napi_value mat_mul(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[11];
  Heap heap;
  if (!read_args(env, info, 12, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 11, v)) return NULL;
  const int64_t batch = v[3], m = v[4], n = v[5], k = v[6], ta = v[7], tb = v[8], ab = v[9], bb = v[10];
  const float *a = view(env, &heap, v[0], (ab ? batch : 1) * m * k);
  const float *b = a ? view(env, &heap, v[1], (bb ? batch : 1) * k * n) : NULL;
  float *out = b ? view(env, &heap, v[2], batch * m * n) : NULL;
  if (!out) return NULL;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                1.0f, a + (ab ? i * m * k : 0), ta ? (int)m : (int)k, b + (bb ? i * k * n : 0), tb ? (int)k : (int)n,
                0.0f, out + i * m * n, (int)n);
  }
  return NULL;
}

HOT static void add_row_vector(const float *x, const float *bias, int64_t rows, int64_t cols, float *out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    float *o = out + r * cols;
    for (int64_t c = 0; c < cols; c++) o[c] = row[c] + bias[c];
  }
}

/* addRowVector: heap, x, bias, out, rows, cols — out[r, c] = x[r, c] + bias[c] (bias add, forward) */
static napi_value add_row_vector_call(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[5];
  Heap heap;
  if (!read_args(env, info, 6, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 5, v)) return NULL;
  const float *x = view(env, &heap, v[0], v[3] * v[4]);
  const float *bias = x ? view(env, &heap, v[1], v[4]) : NULL;
  float *out = bias ? view(env, &heap, v[2], v[3] * v[4]) : NULL;
  if (!out) return NULL;
  add_row_vector(x, bias, v[3], v[4], out);
  return NULL;
}

int read_doubles(napi_env env, napi_value *argv, size_t n, double *out) {
  for (size_t i = 0; i < n; i++) {
    if (napi_get_value_double(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "elsa_native: hyper-parameters must be numbers");
      return 0;
    }
  }
  return 1;
}

/* The same float32 operations, in the same order, as MaskedOptimizer's tfjs ops (one rounding each). */
HOT static void sgd_momentum(const float *w, const float *v, const float *g, const uint8_t *mask, float *ow, float *ov,
                             int64_t n, float lr, float momentum, float decay, int use_decay, int use_momentum) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = use_decay ? g[i] + w[i] * decay : g[i];
    const float f = use_momentum ? v[i] * momentum + gi : gi;
    const float next = w[i] - f * lr;
    const int keep = mask && !mask[i];
    ow[i] = keep ? w[i] : next;
    if (ov) ov[i] = keep ? 0.0f : f;
  }
}

HOT static void adam(const float *w, const float *m, const float *v, const float *g, const uint8_t *mask, float *ow,
                     float *om, float *ov, int64_t n, float lr_t, float b1, float one_b1, float b2, float one_b2,
                     float eps, float decay, int use_decay) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = use_decay ? g[i] + w[i] * decay : g[i];
    const float first = m[i] * b1 + gi * one_b1;
    const float second = v[i] * b2 + (gi * gi) * one_b2;
    const float next = w[i] - (first * lr_t) / (sqrtf(second) + eps);
    const int keep = mask && !mask[i];
    ow[i] = keep ? w[i] : next;
    om[i] = keep ? 0.0f : first;
    ov[i] = keep ? 0.0f : second;
  }
}

/* sgdMomentum: heap, w, v, g, mask, outW, outV, n, hasMask, hasVelocity, then lr, momentum, decay.
 * Offsets of absent tensors are ignored. */
static napi_value sgd_momentum_update(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[9];
  double hp[3];
  Heap heap;
  if (!read_args(env, info, 13, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 9, v) ||
      !read_doubles(env, argv + 10, 3, hp)) return NULL;
  const int64_t n = v[6];
  const int has_mask = v[7] != 0, has_v = v[8] != 0;
  const float *w = view(env, &heap, v[0], n);
  const float *vel = w && has_v ? view(env, &heap, v[1], n) : NULL;
  const float *g = w && (!has_v || vel) ? view(env, &heap, v[2], n) : NULL;
  const uint8_t *mask = NULL;
  if (g && has_mask) {
    if ((uint64_t)v[3] + (uint64_t)n > heap.bytes) { napi_throw_range_error(env, NULL, "elsa_native: mask outside the heap"); return NULL; }
    mask = (const uint8_t *)heap.base + v[3];
  }
  float *ow = g ? view(env, &heap, v[4], n) : NULL;
  float *ov = ow && has_v ? view(env, &heap, v[5], n) : NULL;
  if (!ow || (has_v && !ov)) return NULL;
  sgd_momentum(w, vel, g, mask, ow, ov, n, (float)hp[0], (float)hp[1], (float)hp[2], hp[2] > 0, has_v);
  return NULL;
}

/* adam: heap, w, m, v, g, mask, outW, outM, outV, n, hasMask, then lrT, b1, 1-b1, b2, 1-b2, eps, decay. */
static napi_value adam_update(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[10];
  double hp[7];
  Heap heap;
  if (!read_args(env, info, 18, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 10, v) ||
      !read_doubles(env, argv + 11, 7, hp)) return NULL;
  const int64_t n = v[8];
  const float *w = view(env, &heap, v[0], n);
  const float *m = w ? view(env, &heap, v[1], n) : NULL;
  const float *vv = m ? view(env, &heap, v[2], n) : NULL;
  const float *g = vv ? view(env, &heap, v[3], n) : NULL;
  const uint8_t *mask = NULL;
  if (g && v[9]) {
    if ((uint64_t)v[4] + (uint64_t)n > heap.bytes) { napi_throw_range_error(env, NULL, "elsa_native: mask outside the heap"); return NULL; }
    mask = (const uint8_t *)heap.base + v[4];
  }
  float *ow = g ? view(env, &heap, v[5], n) : NULL;
  float *om = ow ? view(env, &heap, v[6], n) : NULL;
  float *ov = om ? view(env, &heap, v[7], n) : NULL;
  if (!ov) return NULL;
  adam(w, m, vv, g, mask, ow, om, ov, n, (float)hp[0], (float)hp[1], (float)hp[2], (float)hp[3], (float)hp[4],
       (float)hp[5], (float)hp[6], hp[6] > 0);
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t t;
  if (!read_args(env, info, 1, argv) || !read_ints(env, argv, 1, &t)) return NULL;
  openblas_set_num_threads(t < 1 ? 1 : (int)t);
  return NULL;
}

static napi_value describe(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, version, config, threads;
  napi_create_object(env, &out);
  napi_create_int32(env, ELSA_NATIVE_VERSION, &version);
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &config);
  napi_create_int32(env, openblas_get_num_threads(), &threads);
  napi_set_named_property(env, out, "version", version);
  napi_set_named_property(env, out, "blas", config);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dFilterGrad", NULL, conv2d_filter_grad, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dInputGrad", NULL, conv2d_input_grad, NULL, NULL, NULL, napi_default, NULL},
    {"maxPoolGrad", NULL, max_pool_grad, NULL, NULL, NULL, napi_default, NULL},
    {"matMul", NULL, mat_mul, NULL, NULL, NULL, napi_default, NULL},
    {"addRowVector", NULL, add_row_vector_call, NULL, NULL, NULL, napi_default, NULL},
    {"sgdMomentum", NULL, sgd_momentum_update, NULL, NULL, NULL, napi_default, NULL},
    {"adam", NULL, adam_update, NULL, NULL, NULL, napi_default, NULL},
    {"batchNormTrain", NULL, batch_norm_train, NULL, NULL, NULL, napi_default, NULL},
    {"batchNormTrainGrad", NULL, batch_norm_train_grad, NULL, NULL, NULL, napi_default, NULL},
    {"batchNormInfer", NULL, batch_norm_infer, NULL, NULL, NULL, napi_default, NULL},
    {"reduceMiddle", NULL, reduce_middle, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"describe", NULL, describe, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
