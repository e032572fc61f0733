/*
 * Batch norm and reductions for the tfjs wasm backend, in place on the wasm heap (see elsa_native.c).
 * Tensors are viewed as [rows, C] with the channel last (NHWC activations, or [batch, features]).
 * Per-channel sums run in float within blocks of 64 rows and in double across blocks: a channel of a
 * 64×28×28 batch sums 50,176 values, where plain float accumulation drifts by ~1e-4 relative and the tfjs
 * reference (JavaScript numbers) does not; all-double sums ran at half the vector width.
 *
 * Training batch norm, with x̂ = (x − μ)·r, r = 1/√(σ² + ε), μ and σ² the biased batch moments:
 *   forward   y = γ·x̂ + β
 *   backward  dβ = Σdy, dγ = Σdy·x̂,
 *             dx = γr·(dy − Σdy/N − x̂·Σdy·x̂/N) + dμ/N + dσ²·2(x − μ)/N
 * where dμ, dσ² are gradients arriving at the mean and variance outputs themselves (usually none).
 */
#include "elsa_native.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows are summed in float within blocks of BLOCK rows (8-wide vector adds), blocks in double. */
#define BLOCK 64

/* acc[ch] += Σ_r f(row r)[ch] over rows, where f is x itself or (x − mean)², via a float block sum in part. */
HOT static void column_sums_blocked(const float *x, int64_t rows, int64_t c, const float *mean, double *acc, float *part) {
  for (int64_t r0 = 0; r0 < rows; r0 += BLOCK) {
    const int64_t r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    memset(part, 0, (size_t)c * sizeof(float));
    for (int64_t r = r0; r < r1; r++) {
      const float *row = x + r * c;
      if (mean) {
        for (int64_t ch = 0; ch < c; ch++) {
          const float d = row[ch] - mean[ch];
          part[ch] += d * d;
        }
      } else {
        for (int64_t ch = 0; ch < c; ch++) part[ch] += row[ch];
      }
    }
    for (int64_t ch = 0; ch < c; ch++) acc[ch] += part[ch];
  }
}

/* μ and biased σ² per channel, two passes (one-pass Σx² cancels badly when |μ| ≫ σ). */
HOT static void channel_moments(const float *x, int64_t rows, int64_t c, double *acc, float *part, float *mean, float *var) {
  memset(acc, 0, (size_t)c * sizeof(double));
  column_sums_blocked(x, rows, c, NULL, acc, part);
  for (int64_t ch = 0; ch < c; ch++) mean[ch] = (float)(acc[ch] / (double)rows);
  memset(acc, 0, (size_t)c * sizeof(double));
  column_sums_blocked(x, rows, c, mean, acc, part);
  for (int64_t ch = 0; ch < c; ch++) var[ch] = (float)(acc[ch] / (double)rows);
}

/* out[r, ch] = (x[r, ch] − shift[ch])·k[ch] + add[ch] */
HOT static void channel_affine(const float *x, int64_t rows, int64_t c, const float *shift, const float *k, const float *add,
                               float *out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * c;
    float *o = out + r * c;
    for (int64_t ch = 0; ch < c; ch++) o[ch] = (row[ch] - shift[ch]) * k[ch] + add[ch];
  }
}

/* Per-channel factors: k = γ/√(σ² + ε) (γ = 1 when absent), add = β (0 when absent). */
static void affine_factors(const float *var, const float *scale, const float *offset, int64_t c, float eps, float *k,
                           float *add) {
  for (int64_t ch = 0; ch < c; ch++) {
    k[ch] = (scale ? scale[ch] : 1.0f) / sqrtf(var[ch] + eps);
    add[ch] = offset ? offset[ch] : 0.0f;
  }
}

static void *alloc_or_throw(napi_env env, size_t bytes) {
  void *p = malloc(bytes > 0 ? bytes : 1);
  if (!p) napi_throw_error(env, NULL, "elsa_native: out of memory");
  return p;
}

/* batchNormTrain: heap, x, scale, offset, y, mean, variance, rows, C, then ε. */
napi_value batch_norm_train(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[8];
  double eps;
  Heap heap;
  if (!read_args(env, info, 10, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 8, v) ||
      !read_doubles(env, argv + 9, 1, &eps)) return NULL;
  const int64_t rows = v[6], c = v[7];
  const float *x = view(env, &heap, v[0], rows * c);
  const float *scale = x ? view(env, &heap, v[1], c) : NULL;
  const float *offset = scale ? view(env, &heap, v[2], c) : NULL;
  float *y = offset ? view(env, &heap, v[3], rows * c) : NULL;
  float *mean = y ? view(env, &heap, v[4], c) : NULL;
  float *var = mean ? view(env, &heap, v[5], c) : NULL;
  if (!var) return NULL;
  double *acc = alloc_or_throw(env, (size_t)c * sizeof(double));
  float *k = acc ? alloc_or_throw(env, (size_t)c * 3 * sizeof(float)) : NULL;
  if (!k) { free(acc); return NULL; }
  channel_moments(x, rows, c, acc, k + 2 * c, mean, var);
  affine_factors(var, scale, offset, c, (float)eps, k, k + c);
  channel_affine(x, rows, c, mean, k, k + c, y);
  free(acc);
  free(k);
  return NULL;
}

/* Σdy and Σdy·(x − μ) per channel, in one pass (float within blocks, double across). */
HOT static void grad_sums(const float *dy, const float *x, const float *mean, int64_t rows, int64_t c, double *sdy,
                          double *sdyx, float *part) {
  memset(sdy, 0, (size_t)c * sizeof(double));
  memset(sdyx, 0, (size_t)c * sizeof(double));
  for (int64_t r0 = 0; r0 < rows; r0 += BLOCK) {
    const int64_t r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    memset(part, 0, (size_t)c * 2 * sizeof(float));
    for (int64_t r = r0; r < r1; r++) {
      const float *g = dy + r * c;
      const float *row = x + r * c;
      for (int64_t ch = 0; ch < c; ch++) {
        part[ch] += g[ch];
        part[c + ch] += g[ch] * (row[ch] - mean[ch]);
      }
    }
    for (int64_t ch = 0; ch < c; ch++) {
      sdy[ch] += part[ch];
      sdyx[ch] += part[c + ch];
    }
  }
}

/* dx[r, ch] = a[ch]·dy + b[ch]·(x − μ) + d[ch] */
HOT static void grad_dx(const float *dy, const float *x, const float *mean, const float *a, const float *b, const float *d,
                        int64_t rows, int64_t c, float *dx) {
  for (int64_t r = 0; r < rows; r++) {
    const float *g = dy + r * c;
    const float *row = x + r * c;
    float *o = dx + r * c;
    for (int64_t ch = 0; ch < c; ch++) o[ch] = a[ch] * g[ch] + b[ch] * (row[ch] - mean[ch]) + d[ch];
  }
}

/* batchNormTrainGrad: heap, dy, x, scale, mean, variance, dMean, dVariance, dx, dScale, dOffset, rows, C,
 * hasDMean, hasDVariance, then ε. Offsets of absent dMean/dVariance are ignored. */
napi_value batch_norm_train_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[14];
  double eps;
  Heap heap;
  if (!read_args(env, info, 16, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 14, v) ||
      !read_doubles(env, argv + 15, 1, &eps)) return NULL;
  const int64_t rows = v[10], c = v[11];
  const float *dy = view(env, &heap, v[0], rows * c);
  const float *x = dy ? view(env, &heap, v[1], rows * c) : NULL;
  const float *scale = x ? view(env, &heap, v[2], c) : NULL;
  const float *mean = scale ? view(env, &heap, v[3], c) : NULL;
  const float *var = mean ? view(env, &heap, v[4], c) : NULL;
  const float *dmean = var && v[12] ? view(env, &heap, v[5], c) : NULL;
  const float *dvar = var && (!v[12] || dmean) && v[13] ? view(env, &heap, v[6], c) : NULL;
  if (!var || (v[12] && !dmean) || (v[13] && !dvar)) return NULL;
  float *dx = view(env, &heap, v[7], rows * c);
  float *dscale = dx ? view(env, &heap, v[8], c) : NULL;
  float *doffset = dscale ? view(env, &heap, v[9], c) : NULL;
  if (!doffset) return NULL;
  double *sums = alloc_or_throw(env, (size_t)c * 2 * sizeof(double));
  float *coef = sums ? alloc_or_throw(env, (size_t)c * 3 * sizeof(float)) : NULL;
  if (!coef) { free(sums); return NULL; }
  grad_sums(dy, x, mean, rows, c, sums, sums + c, coef); /* coef is scratch until the coefficients are computed */
  const double n = (double)(rows > 0 ? rows : 1);
  for (int64_t ch = 0; ch < c; ch++) {
    const double r = 1.0 / sqrt((double)var[ch] + (double)(float)eps), g = scale[ch];
    doffset[ch] = (float)sums[ch];
    dscale[ch] = (float)(sums[c + ch] * r);
    coef[ch] = (float)(g * r);
    coef[c + ch] = (float)(-g * r * r * r * sums[c + ch] / n + (dvar ? 2.0 * dvar[ch] / n : 0.0));
    coef[2 * c + ch] = (float)(-g * r * sums[ch] / n + (dmean ? dmean[ch] / n : 0.0));
  }
  grad_dx(dy, x, mean, coef, coef + c, coef + 2 * c, rows, c, dx);
  free(sums);
  free(coef);
  return NULL;
}

/* batchNormInfer: heap, x, mean, variance, scale, offset, y, rows, C, hasScale, hasOffset, then ε —
 * y = (x − mean)·scale/√(variance + ε) + offset with given (moving) statistics, as FusedBatchNorm. */
napi_value batch_norm_infer(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[10];
  double eps;
  Heap heap;
  if (!read_args(env, info, 12, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 10, v) ||
      !read_doubles(env, argv + 11, 1, &eps)) return NULL;
  const int64_t rows = v[6], c = v[7];
  const float *x = view(env, &heap, v[0], rows * c);
  const float *mean = x ? view(env, &heap, v[1], c) : NULL;
  const float *var = mean ? view(env, &heap, v[2], c) : NULL;
  const float *scale = var && v[8] ? view(env, &heap, v[3], c) : NULL;
  const float *offset = var && (!v[8] || scale) && v[9] ? view(env, &heap, v[4], c) : NULL;
  if (!var || (v[8] && !scale) || (v[9] && !offset)) return NULL;
  float *y = view(env, &heap, v[5], rows * c);
  if (!y) return NULL;
  float *k = alloc_or_throw(env, (size_t)c * 2 * sizeof(float));
  if (!k) return NULL;
  affine_factors(var, scale, offset, c, (float)eps, k, k + c);
  channel_affine(x, rows, c, mean, k, k + c, y);
  free(k);
  return NULL;
}

/* out[o, c] = factor·Σ_r x[o, r, c] (float within blocks of rows, double across). */
HOT static void sum_middle(const float *x, int64_t outer, int64_t rows, int64_t cols, double factor, double *acc, float *part,
                           float *out) {
  for (int64_t o = 0; o < outer; o++) {
    memset(acc, 0, (size_t)cols * sizeof(double));
    column_sums_blocked(x + o * rows * cols, rows, cols, NULL, acc, part);
    for (int64_t c = 0; c < cols; c++) out[o * cols + c] = (float)(acc[c] * factor);
  }
}

/* reduceMiddle: heap, x, out, outer, rows, cols, then factor — Sum (factor 1) or Mean (1/rows) over a
 * contiguous block of axes of x viewed as [outer, rows, cols]. */
napi_value reduce_middle(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t v[5];
  double factor;
  Heap heap;
  if (!read_args(env, info, 7, argv) || !read_heap(env, argv[0], &heap) || !read_ints(env, argv + 1, 5, v) ||
      !read_doubles(env, argv + 6, 1, &factor)) return NULL;
  const int64_t outer = v[2], rows = v[3], cols = v[4];
  const float *x = view(env, &heap, v[0], outer * rows * cols);
  float *out = x ? view(env, &heap, v[1], outer * cols) : NULL;
  if (!out) return NULL;
  double *acc = alloc_or_throw(env, (size_t)cols * sizeof(double));
  float *part = acc ? alloc_or_throw(env, (size_t)cols * sizeof(float)) : NULL;
  if (!part) { free(acc); return NULL; }
  sum_middle(x, outer, rows, cols, factor, acc, part, out);
  free(acc);
  free(part);
  return NULL;
}
