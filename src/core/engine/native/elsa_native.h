/*
 * What the kernel files of the native addon share: the wasm-heap view and N-API argument readers
 * (defined in elsa_native.c), and the entry points each file exports to the module table.
 */
#ifndef ELSA_NATIVE_H
#define ELSA_NATIVE_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ARGS 24
#define HOT __attribute__((noinline))

typedef struct {
  float *base;
  size_t bytes;
} Heap;

int read_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
int read_heap(napi_env env, napi_value v, Heap *heap);
int read_ints(napi_env env, napi_value *argv, size_t n, int64_t *out);
int read_doubles(napi_env env, napi_value *argv, size_t n, double *out);
/* A float32 view of `count` elements at byte `offset`, or NULL (and a JS error) when out of bounds. */
float *view(napi_env env, const Heap *heap, int64_t offset, int64_t count);

typedef struct {
  int64_t n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, dh, dw, pt, pl;
} ConvShape;

/* elsa_direct_conv.c: convolutions with short patches (KH·KW·Cin < 32), where im2col + sgemm is slow */
int conv_direct_fits(const ConvShape *s);
int conv_direct_input_fits(const ConvShape *s);
void conv2d_direct(const float *x, const float *w, float *y, const ConvShape *s);
int conv2d_filter_grad_direct(const float *x, const float *dy, float *dw, const ConvShape *s);
void conv2d_input_grad_direct(const float *dy, const float *w, float *dx, const ConvShape *s);

/* elsa_norm.c: batch norm (training and inference) and contiguous-axis reductions */
napi_value batch_norm_train(napi_env env, napi_callback_info info);
napi_value batch_norm_train_grad(napi_env env, napi_callback_info info);
napi_value batch_norm_infer(napi_env env, napi_callback_info info);
napi_value reduce_middle(napi_env env, napi_callback_info info);
#endif
