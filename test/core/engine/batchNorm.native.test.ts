/**
 * Protects the native batch-norm, reduction and fused-conv kernels: the same checks against the cpu
 * backend as the wasm compositions. Skipped, with the reason, where the addon was not built.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { findNativeAddon } from '../../../src/core/engine/nativeKernels';
import { normSuite } from './normSuite';

delete process.env.ELSA_NATIVE;

if (findNativeAddon()) {
  normSuite('native batch norm and reductions match the cpu backend', (info) => {
    assert.match(info.detail, /native OpenBLAS kernels/);
  });
} else {
  it('native batch norm kernels', { skip: 'dist/elsa_native.node not built (node src/core/engine/native/build.mjs)' }, () => {});
}
