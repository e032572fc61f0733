/**
 * Protects the wasm gradient kernels written as tfjs compositions (the path every machine has): the
 * native addon is switched off so these run even where it is built.
 */
import assert from 'node:assert/strict';
import { gradientSuite } from './gradientSuite';

process.env.ELSA_NATIVE = '0';

gradientSuite('wasm composite gradient kernels match the cpu backend', (info) => {
  assert.match(info.detail, /no native kernels: disabled by ELSA_NATIVE=0/);
});
