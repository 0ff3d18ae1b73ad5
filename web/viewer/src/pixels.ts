// Stored pixel values to Hounsfield units, and HU to grey levels (window/level). What the viewer can show is
// checked first: single-sample MONOCHROME frames of 8 or 16 bits.
import { type DicomJson, Tag, num, str } from './dicom_json.js';

export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean; // PixelRepresentation 1
  slope: number;
  intercept: number;
  monochrome1: boolean; // MONOCHROME1: high values are dark
}

export class UnsupportedSeriesError extends Error {}

export function pixelFormatOf(instance: DicomJson): PixelFormat {
  const samples = num(instance, Tag.SamplesPerPixel) ?? 1;
  const photometric = str(instance, Tag.PhotometricInterpretation) || 'MONOCHROME2';
  if (samples !== 1 || !photometric.startsWith('MONOCHROME')) {
    throw new UnsupportedSeriesError(`This is a colour series (${photometric}, ${samples} samples per pixel): Cairn shows greyscale CT only.`);
  }
  const bitsAllocated = num(instance, Tag.BitsAllocated) ?? 16;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new UnsupportedSeriesError(`Frames of ${bitsAllocated} bits per pixel are not supported (8 or 16 are).`);
  }
  const rows = num(instance, Tag.Rows) ?? 0;
  const columns = num(instance, Tag.Columns) ?? 0;
  if (rows <= 0 || columns <= 0) throw new UnsupportedSeriesError('The series metadata gives no image size (Rows, Columns).');
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored: num(instance, Tag.BitsStored) ?? bitsAllocated,
    signed: (num(instance, Tag.PixelRepresentation) ?? 0) === 1,
    slope: num(instance, Tag.RescaleSlope) ?? 1,
    intercept: num(instance, Tag.RescaleIntercept) ?? 0,
    monochrome1: photometric === 'MONOCHROME1',
  };
}

// Checks that a series is CT the viewer can show; throws UnsupportedSeriesError with the reason otherwise.
export function checkCtSeries(modality: string, firstInstance: DicomJson): PixelFormat {
  if (modality !== 'CT') {
    throw new UnsupportedSeriesError(`This is a ${modality || 'non-image'} series, not CT: Cairn's viewer and models work on CT series only.`);
  }
  return pixelFormatOf(firstInstance);
}

// The frame's pixels in HU (float32), from its little-endian bytes. BitsStored < BitsAllocated: the value is in the
// low bits, sign-extended from bit BitsStored - 1 when signed.
export function frameToHu(bytes: Uint8Array, f: PixelFormat): Float32Array {
  const count = f.rows * f.columns;
  const need = count * (f.bitsAllocated / 8);
  if (bytes.length < need) throw new Error(`the frame has ${bytes.length} bytes, ${need} expected for ${f.columns}x${f.rows}`);
  const out = new Float32Array(count);
  const { slope, intercept } = f;
  if (f.bitsAllocated === 8) {
    for (let i = 0; i < count; ++i) out[i] = (f.signed ? (bytes[i] << 24) >> 24 : bytes[i]) * slope + intercept;
    return out;
  }
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const shift = 32 - f.bitsStored;
  if (f.signed) {
    const raw = new Int16Array(aligned.buffer, aligned.byteOffset, count);
    if (f.bitsStored >= 16) for (let i = 0; i < count; ++i) out[i] = raw[i] * slope + intercept;
    else for (let i = 0; i < count; ++i) out[i] = ((raw[i] << shift) >> shift) * slope + intercept;
  } else {
    const raw = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
    const mask = f.bitsStored >= 16 ? 0xffff : (1 << f.bitsStored) - 1;
    for (let i = 0; i < count; ++i) out[i] = (raw[i] & mask) * slope + intercept;
  }
  return out;
}

export interface Window {
  center: number;
  width: number;
}

export const WINDOW_PRESETS: Record<string, Window> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 40, width: 400 },
  bone: { center: 400, width: 1800 },
};

// The grey level (0-255) of a HU value: linear over [center - width/2, center + width/2], clamped.
export function windowLevel(hu: number, w: Window): number {
  const width = Math.max(1, w.width);
  const v = ((hu - (w.center - width / 2)) / width) * 255;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

// Fills RGBA pixels (opaque grey) from HU values through a 1-HU lookup table: one table lookup per pixel.
export function renderWindowed(hu: Float32Array, w: Window, rgba: Uint8ClampedArray, invert = false): void {
  const lo = -32768;
  const table = lookupTable(w, invert);
  const px = new Uint32Array(rgba.buffer, rgba.byteOffset, hu.length);
  const top = table.length - 1;
  for (let i = 0; i < hu.length; ++i) {
    let k = Math.round(hu[i]) - lo;
    k = k < 0 ? 0 : k > top ? top : k;
    px[i] = table[k];
  }
}

let cachedTable: { key: string; table: Uint32Array } | null = null;

function lookupTable(w: Window, invert: boolean): Uint32Array {
  const key = `${w.center}/${w.width}/${invert}`;
  if (cachedTable?.key === key) return cachedTable.table;
  const table = new Uint32Array(65536);
  for (let k = 0; k < table.length; ++k) {
    let g = windowLevel(k - 32768, w);
    if (invert) g = 255 - g;
    table[k] = (0xff << 24) | (g << 16) | (g << 8) | g; // little endian: R, G, B, A in memory
  }
  cachedTable = { key, table };
  return table;
}
