/**
 * Protects backend selection: ELSA_BACKEND is honoured and validated, a failed start can be retried,
 * the first successful start wins for the whole process, and the wasm binaries are found from source.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isElsaError } from '../../../src/core/errors';
import { engineInfo, findWasmDir, initEngine } from '../../../src/core/engine/backend';

it('finds the tfjs-backend-wasm binaries when running from source', () => {
  const dir = findWasmDir();
  assert.ok(dir, 'wasm directory found');
  assert.ok(existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')));
});

it('rejects an unknown ELSA_BACKEND with a ConfigError, then honours a valid one once and for all', async () => {
  await assert.rejects(initEngine('gpu' as 'auto'), (e) => isElsaError(e) && e.kind === 'ConfigError' && /backend: unknown backend "gpu"/.test(e.message));
  process.env.ELSA_BACKEND = 'gpu';
  await assert.rejects(initEngine(), (e) => isElsaError(e) && e.kind === 'ConfigError' && /ELSA_BACKEND/.test(e.message));
  assert.equal(engineInfo(), undefined);

  process.env.ELSA_BACKEND = 'cpu';
  const info = await initEngine();
  assert.equal(info.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(engineInfo(), info);

  process.env.ELSA_BACKEND = 'wasm';
  assert.equal(await initEngine('wasm'), info, 'a second call returns the first engine');
  assert.equal(tf.getBackend(), 'cpu');
  delete process.env.ELSA_BACKEND;
});
