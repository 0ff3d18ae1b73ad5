// What a segmentation model expects and how its output becomes a mask, from a catalog entry's `preprocessing`
// object (the model's ONNX metadata will state the same keys; the engine's C++ side of this is still to come):
//   1. HU are resampled to input_size by area averaging (the mean over each output pixel's footprint);
//   2. x = (clip(HU, hu_clip[0], hu_clip[1]) - hu_center) / hu_half_range;
//   3. the model's probabilities are resampled back to the slice bilinearly (half-pixel centres) and thresholded.
// Defaults are the lung U-Net's (training/dataset.py): hu_clip [-1024, 600], x = (HU + 212) / 812, 256x256, 0.5.
export interface Preprocessing {
  huClip: [number, number];
  huCenter: number;
  huHalfRange: number;
  inputSize: [number, number]; // [height, width]
  threshold: number;
}

export const DEFAULT_PREPROCESSING: Preprocessing = {
  huClip: [-1024, 600],
  huCenter: -212,
  huHalfRange: 812,
  inputSize: [256, 256],
  threshold: 0.5,
};

// Reads the keys hu_clip, hu_center, hu_half_range, input_size (a number or [h, w]), threshold; others are ignored,
// missing or malformed ones take the defaults (and are reported in `problems`).
export function readPreprocessing(raw: unknown): { preprocessing: Preprocessing; problems: string[] } {
  const p: Preprocessing = { ...DEFAULT_PREPROCESSING, huClip: [...DEFAULT_PREPROCESSING.huClip], inputSize: [...DEFAULT_PREPROCESSING.inputSize] };
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { preprocessing: p, problems };
  if (typeof raw !== 'object') return { preprocessing: p, problems: ['preprocessing is not an object'] };
  const o = raw as Record<string, unknown>;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (o.hu_clip !== undefined) {
    if (Array.isArray(o.hu_clip) && o.hu_clip.length === 2 && o.hu_clip.every(finite) && o.hu_clip[0] < o.hu_clip[1]) {
      p.huClip = [o.hu_clip[0], o.hu_clip[1]];
    } else problems.push('hu_clip must be [low, high] with low < high');
  }
  if (o.hu_center !== undefined) {
    if (finite(o.hu_center)) p.huCenter = o.hu_center;
    else problems.push('hu_center must be a number');
  }
  if (o.hu_half_range !== undefined) {
    if (finite(o.hu_half_range) && o.hu_half_range > 0) p.huHalfRange = o.hu_half_range;
    else problems.push('hu_half_range must be a positive number');
  }
  if (o.input_size !== undefined) {
    const size = finite(o.input_size) ? [o.input_size, o.input_size] : o.input_size;
    if (Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0 && v <= 4096)) {
      p.inputSize = [size[0], size[1]];
    } else problems.push('input_size must be a positive integer or [height, width]');
  }
  if (o.threshold !== undefined) {
    if (finite(o.threshold)) p.threshold = o.threshold;
    else problems.push('threshold must be a number');
  }
  return { preprocessing: p, problems };
}

// Area averaging as PyTorch's interpolate(mode="area") (adaptive average pooling): output pixel i covers input
// [floor(i * in / out), ceil((i + 1) * in / out)).
export function resampleArea(src: Float32Array, rows: number, cols: number, outRows: number, outCols: number): Float32Array {
  const out = new Float32Array(outRows * outCols);
  const colStart = new Int32Array(outCols);
  const colEnd = new Int32Array(outCols);
  for (let j = 0; j < outCols; ++j) {
    colStart[j] = Math.floor((j * cols) / outCols);
    colEnd[j] = Math.ceil(((j + 1) * cols) / outCols);
  }
  for (let i = 0; i < outRows; ++i) {
    const r0 = Math.floor((i * rows) / outRows);
    const r1 = Math.ceil(((i + 1) * rows) / outRows);
    for (let j = 0; j < outCols; ++j) {
      let sum = 0;
      for (let r = r0; r < r1; ++r) for (let c = colStart[j]; c < colEnd[j]; ++c) sum += src[r * cols + c];
      out[i * outCols + j] = sum / ((r1 - r0) * (colEnd[j] - colStart[j]));
    }
  }
  return out;
}

// The model's input tensor (1x1xHxW) from a slice in HU.
export function modelInput(hu: Float32Array, rows: number, cols: number, p: Preprocessing): { shape: number[]; data: Float32Array } {
  const [h, w] = p.inputSize;
  const data = resampleArea(hu, rows, cols, h, w);
  const [lo, hi] = p.huClip;
  for (let i = 0; i < data.length; ++i) {
    const v = data[i] < lo ? lo : data[i] > hi ? hi : data[i];
    data[i] = (v - p.huCenter) / p.huHalfRange;
  }
  return { shape: [1, 1, h, w], data };
}

// Bilinear resampling with half-pixel centres (align_corners=False), edges clamped.
export function resampleBilinear(src: Float32Array, rows: number, cols: number, outRows: number, outCols: number): Float32Array {
  const out = new Float32Array(outRows * outCols);
  const sy = rows / outRows;
  const sx = cols / outCols;
  const x0s = new Int32Array(outCols);
  const x1s = new Int32Array(outCols);
  const fxs = new Float32Array(outCols);
  for (let j = 0; j < outCols; ++j) {
    const x = Math.max(0, (j + 0.5) * sx - 0.5);
    x0s[j] = Math.min(cols - 1, Math.floor(x));
    x1s[j] = Math.min(cols - 1, x0s[j] + 1);
    fxs[j] = x - x0s[j];
  }
  for (let i = 0; i < outRows; ++i) {
    const y = Math.max(0, (i + 0.5) * sy - 0.5);
    const y0 = Math.min(rows - 1, Math.floor(y));
    const y1 = Math.min(rows - 1, y0 + 1);
    const fy = y - y0;
    for (let j = 0; j < outCols; ++j) {
      const a = src[y0 * cols + x0s[j]] * (1 - fxs[j]) + src[y0 * cols + x1s[j]] * fxs[j];
      const b = src[y1 * cols + x0s[j]] * (1 - fxs[j]) + src[y1 * cols + x1s[j]] * fxs[j];
      out[i * outCols + j] = a * (1 - fy) + b * fy;
    }
  }
  return out;
}

// The mask (1 inside) at the slice's size from the model's probabilities (its first output, 1x1xHxW).
export function maskFromOutput(probabilities: Float32Array, p: Preprocessing, rows: number, cols: number): Uint8Array {
  const [h, w] = p.inputSize;
  if (probabilities.length !== h * w) throw new Error(`the model's output has ${probabilities.length} values, ${h}x${w} expected`);
  const up = resampleBilinear(probabilities, h, w, rows, cols);
  const mask = new Uint8Array(rows * cols);
  for (let i = 0; i < mask.length; ++i) mask[i] = up[i] > p.threshold ? 1 : 0;
  return mask;
}

export function maskArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; ++i) n += mask[i];
  return n;
}
