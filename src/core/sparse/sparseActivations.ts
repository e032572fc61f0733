/**
 * Activation functions of the sparse inference path (TF.js names and definitions), applied in place. Softmax
 * runs over the last axis, numerically stable (max subtracted first).
 */

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): JavaScript has no Math.erf. */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));

const ELEMENTWISE: Record<string, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  sigmoid,
  tanh: Math.tanh,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  hard_sigmoid: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  hardSigmoid: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  swish: (x) => x * sigmoid(x),
  mish: (x) => x * Math.tanh(softplus(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
};

/** Softmax (or log-softmax) over the last axis, in place. */
function softmaxLast(d: Float32Array, last: number, log: boolean): void {
  for (let o = 0; o < d.length; o += last) {
    let max = -Infinity;
    for (let i = 0; i < last; i++) max = Math.max(max, d[o + i]);
    let sum = 0;
    for (let i = 0; i < last; i++) sum += Math.exp(d[o + i] - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < last; i++) d[o + i] = log ? d[o + i] - lse : Math.exp(d[o + i] - lse);
  }
}

/** The function applying activation `activation` in place; throws (via `fail`) for one it does not know. */
export function activationFn(c: { fail(problem: string): Error }, activation: unknown, shape: number[]): (d: Float32Array) => void {
  const act = activation === undefined || activation === null ? 'linear' : activation;
  if (act === 'linear') return () => {};
  if (act === 'softmax' || act === 'logSoftmax' || act === 'log_softmax') {
    const last = shape[shape.length - 1];
    return (d) => softmaxLast(d, last, act !== 'softmax');
  }
  const f = typeof act === 'string' ? ELEMENTWISE[act] : undefined;
  if (!f) throw c.fail(`activation ${JSON.stringify(activation)} is not supported by the sparse path`);
  return (d) => {
    for (let i = 0; i < d.length; i++) d[i] = f(d[i]);
  };
}
