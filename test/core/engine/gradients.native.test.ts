/**
 * Protects the optional native (OpenBLAS) kernels: the same checks against the cpu backend as the wasm
 * composites. Skipped, with the reason, where the addon was not built (no gcc or libopenblas-dev).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { findNativeAddon } from '../../../src/core/engine/nativeKernels';
import { gradientSuite } from './gradientSuite';

delete process.env.ELSA_NATIVE;

if (findNativeAddon()) {
  gradientSuite('native OpenBLAS gradient kernels match the cpu backend', (info) => {
    assert.match(info.detail, /native OpenBLAS kernels/);
  });
} else {
  it('native kernels', { skip: 'dist/elsa_native.node not built (node src/core/engine/native/build.mjs)' }, () => {});
}
