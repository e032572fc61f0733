/** Child process of topologyCheck.test.ts: rebuilds the topology in argv[2] (a JSON file) and prints one line. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { modelFromTopology, type LayersTopology } from '../../../src/core/models/weights';

void tf.setBackend('cpu')
  .then(() => modelFromTopology(JSON.parse(readFileSync(process.argv[2], 'utf8')) as LayersTopology, undefined, 'ck.elsa.safetensors'))
  .then(() => console.log('BUILT'), (e: { toLine?: () => string }) => console.log(e.toLine ? e.toLine() : `UNTYPED ${String(e)}`));
