/**
 * Protects the batch-norm and reduction kernels written as tfjs compositions on wasm (the path every
 * machine has): the native addon is switched off so these run even where it is built.
 */
import assert from 'node:assert/strict';
import { normSuite } from './normSuite';

process.env.ELSA_NATIVE = '0';

normSuite('wasm batch norm and reductions match the cpu backend', (info) => {
  assert.match(info.detail, /no native kernels: disabled by ELSA_NATIVE=0/);
});
