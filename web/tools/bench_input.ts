// The benchmarks' input: the same deterministic values in Node and in the browser, for every engine.
export function benchInput(shape: readonly number[]): Float32Array {
  const count = shape.reduce((n, d) => n * d, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; ++i) data[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return data;
}

export function median(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
