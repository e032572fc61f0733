/*
 * Direct convolutions for short patches (KH·KW·Cin < 32: a first layer on grey images, 1×1 projections),
 * where im2col + sgemm is slow (sgemm with K = 9 runs at a few GFLOP/s and im2col copies 1-float rows) and so is
 * XNNPACK (measured on the residual CNN's stem: 3.1 ms forward for 7 M multiply-adds, docs/benchmarks.md).
 * Cout is a multiple of 8 up to 64: each output pixel keeps Cout/8 AVX accumulators, four pixels at a time
 * so the multiply-add chains overlap. NHWC activations, [KH, KW, Cin, Cout] filters, as elsa_native.c.
 * FMA contraction is allowed here only (the optimizer updates elsa_native.c must stay bit-exact).
 */
#include "elsa_native.h"
#include <stdlib.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
#define INLINE static inline __attribute__((always_inline))
#define FAST __attribute__((noinline, optimize("fp-contract=fast")))
/* calls F(..., nv) with nv = Cout/8 as a constant, so the accumulators live in registers */
#define BY_VECTORS(cout, F, ...)            \
  switch ((cout) / 8) {                     \
    case 1: F(__VA_ARGS__, 1); break;       \
    case 2: F(__VA_ARGS__, 2); break;       \
    case 3: F(__VA_ARGS__, 3); break;       \
    case 4: F(__VA_ARGS__, 4); break;       \
    case 5: F(__VA_ARGS__, 5); break;       \
    case 6: F(__VA_ARGS__, 6); break;       \
    case 7: F(__VA_ARGS__, 7); break;       \
    default: F(__VA_ARGS__, 8); break;      \
  }

int conv_direct_fits(const ConvShape *s) {
  return s->kh * s->kw * s->cin < 32 && s->cout % 8 == 0 && s->cout >= 8 && s->cout <= 64;
}

/* The input gradient gathers with one horizontal sum per input value: worth it for one or two input channels
 * only (a 1×1 16→16 projection measured 3.2 ms direct vs 0.6 ms with sgemm + col2im). */
int conv_direct_input_fits(const ConvShape *s) { return conv_direct_fits(s) && s->cin <= 2; }

INLINE v8f load8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}

INLINE void store8(float *p, v8f v) { memcpy(p, &v, sizeof v); }

/* P consecutive output pixels of one output row (n, oh), starting at column ow0; NV vectors of Cout. */
INLINE void fwd_pixels(const float *x, const float *w, float *y, const ConvShape *s, int64_t n, int64_t oh, int64_t ow0,
                       const int p, const int nv) {
  v8f acc[4][8];
  for (int q = 0; q < p; q++)
    for (int v = 0; v < nv; v++) acc[q][v] = (v8f){0};
  for (int64_t i = 0; i < s->kh; i++) {
    const int64_t ih = oh * s->sh - s->pt + i * s->dh;
    if (ih < 0 || ih >= s->h) continue;
    const float *xrow = x + (n * s->h + ih) * s->w * s->cin;
    for (int64_t j = 0; j < s->kw; j++) {
      const float *wt = w + (i * s->kw + j) * s->cin * s->cout;
      for (int q = 0; q < p; q++) {
        const int64_t iw = (ow0 + q) * s->sw - s->pl + j * s->dw;
        if (iw < 0 || iw >= s->w) continue;
        const float *xp = xrow + iw * s->cin;
        for (int64_t c = 0; c < s->cin; c++) {
          const float xv = xp[c];
          for (int v = 0; v < nv; v++) acc[q][v] += xv * load8(wt + c * s->cout + 8 * v);
        }
      }
    }
  }
  for (int q = 0; q < p; q++) {
    float *out = y + ((n * s->oh + oh) * s->ow + ow0 + q) * s->cout;
    for (int v = 0; v < nv; v++) store8(out + 8 * v, acc[q][v]);
  }
}

INLINE void fwd_all(const float *x, const float *w, float *y, const ConvShape *s, const int nv) {
  for (int64_t n = 0; n < s->n; n++) {
    for (int64_t oh = 0; oh < s->oh; oh++) {
      int64_t ow = 0;
      for (; ow + 4 <= s->ow; ow += 4) fwd_pixels(x, w, y, s, n, oh, ow, 4, nv);
      for (; ow < s->ow; ow++) fwd_pixels(x, w, y, s, n, oh, ow, 1, nv);
    }
  }
}

FAST void conv2d_direct(const float *x, const float *w, float *y, const ConvShape *s) {
  BY_VECTORS(s->cout, fwd_all, x, w, y, s)
}

/* One output row's contribution to dW, in float (a row is at most a few hundred pixels), into part[K, Cout]. */
INLINE void filter_grad_row(const float *x, const float *dy, float *part, const ConvShape *s, int64_t n, int64_t oh,
                            const int nv) {
  for (int64_t ow = 0; ow < s->ow; ow++) {
    const float *g = dy + ((n * s->oh + oh) * s->ow + ow) * s->cout;
    v8f gv[8];
    for (int v = 0; v < nv; v++) gv[v] = load8(g + 8 * v);
    for (int64_t i = 0; i < s->kh; i++) {
      const int64_t ih = oh * s->sh - s->pt + i * s->dh;
      if (ih < 0 || ih >= s->h) continue;
      for (int64_t j = 0; j < s->kw; j++) {
        const int64_t iw = ow * s->sw - s->pl + j * s->dw;
        if (iw < 0 || iw >= s->w) continue;
        const float *xp = x + ((n * s->h + ih) * s->w + iw) * s->cin;
        float *pt = part + (i * s->kw + j) * s->cin * s->cout;
        for (int64_t c = 0; c < s->cin; c++) {
          for (int v = 0; v < nv; v++) store8(pt + c * s->cout + 8 * v, load8(pt + c * s->cout + 8 * v) + xp[c] * gv[v]);
        }
      }
    }
  }
}

INLINE void filter_grad_all(const float *x, const float *dy, float *part, double *acc, const ConvShape *s, const int nv) {
  const int64_t size = s->kh * s->kw * s->cin * s->cout;
  for (int64_t n = 0; n < s->n; n++) {
    for (int64_t oh = 0; oh < s->oh; oh++) {
      memset(part, 0, (size_t)size * sizeof(float));
      filter_grad_row(x, dy, part, s, n, oh, nv);
      /* rows add up in double: a 64×28×28 batch sums 50,176 products per weight */
      for (int64_t k = 0; k < size; k++) acc[k] += part[k];
    }
  }
}

/* dW[K, Cout] = Σ over output pixels of patch ⊗ dy; returns 0 when out of memory. */
FAST int conv2d_filter_grad_direct(const float *x, const float *dy, float *dw, const ConvShape *s) {
  const int64_t size = s->kh * s->kw * s->cin * s->cout;
  double *acc = calloc((size_t)size, sizeof(double));
  float *part = malloc((size_t)size * sizeof(float));
  if (!acc || !part) {
    free(acc);
    free(part);
    return 0;
  }
  BY_VECTORS(s->cout, filter_grad_all, x, dy, part, acc, s)
  for (int64_t k = 0; k < size; k++) dw[k] = (float)acc[k];
  free(acc);
  free(part);
  return 1;
}

INLINE float hsum8(v8f v) {
  float t = 0.0f;
  for (int l = 0; l < 8; l++) t += v[l];
  return t;
}

/* dx[n, ih, iw, c] = Σ over the output pixels whose window holds (ih, iw) of dy · W[tap, c, :] (a gather, no scatter). */
INLINE void input_grad_all(const float *dy, const float *w, float *dx, const ConvShape *s, const int nv) {
  for (int64_t n = 0; n < s->n; n++) {
    for (int64_t ih = 0; ih < s->h; ih++) {
      for (int64_t iw = 0; iw < s->w; iw++) {
        float *out = dx + ((n * s->h + ih) * s->w + iw) * s->cin;
        for (int64_t c = 0; c < s->cin; c++) {
          v8f acc[8];
          for (int v = 0; v < nv; v++) acc[v] = (v8f){0};
          for (int64_t i = 0; i < s->kh; i++) {
            const int64_t th = ih + s->pt - i * s->dh;
            if (th < 0 || th % s->sh != 0 || th / s->sh >= s->oh) continue;
            for (int64_t j = 0; j < s->kw; j++) {
              const int64_t tw = iw + s->pl - j * s->dw;
              if (tw < 0 || tw % s->sw != 0 || tw / s->sw >= s->ow) continue;
              const float *g = dy + ((n * s->oh + th / s->sh) * s->ow + tw / s->sw) * s->cout;
              const float *wt = w + ((i * s->kw + j) * s->cin + c) * s->cout;
              for (int v = 0; v < nv; v++) acc[v] += load8(g + 8 * v) * load8(wt + 8 * v);
            }
          }
          v8f sum = acc[0];
          for (int v = 1; v < nv; v++) sum += acc[v];
          out[c] = hsum8(sum);
        }
      }
    }
  }
}

FAST void conv2d_input_grad_direct(const float *dy, const float *w, float *dx, const ConvShape *s) {
  BY_VECTORS(s->cout, input_grad_all, dy, w, dx, s)
}
