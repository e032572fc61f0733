/** A fuzz worker: runs the operations on each file it is sent and posts the results back. */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { checkpointOperations, modelJsonOperations } from './operations';

const ready = tf.setBackend('cpu');
parentPort!.on('message', async (msg: { id: number; kind: 'safetensors' | 'tfjs'; file: string }) => {
  await ready;
  const results = msg.kind === 'tfjs' ? await modelJsonOperations(msg.file) : await checkpointOperations(msg.file);
  parentPort!.postMessage({ id: msg.id, results });
});
parentPort!.postMessage({ ready: true });
