// One open series: its instances in anatomical order, their geometry and pixel format, and a cache of frames in HU
// filled around the current slice (a few requests at a time, nearest first).
import { type DicomJson, Tag, str } from './dicom_json.js';
import type { DicomWebClient } from './dicomweb.js';
import { geometryOf, sortInstances, type SliceGeometry } from './geometry.js';
import { frameToHu, pixelFormatOf, type PixelFormat } from './pixels.js';

export interface Slice {
  instance: DicomJson;
  uid: string;
  geometry: SliceGeometry | null;
  format: PixelFormat;
}

const PREFETCH_RADIUS = 12;
const PARALLEL = 4;
const MAX_CACHED = 400; // 512x512 float32: 1 MiB each

export class SeriesFrames {
  readonly slices: Slice[];
  private cache = new Map<number, Promise<Float32Array>>();
  private done = new Map<number, Float32Array>();
  private inFlight = 0;
  private wanted: number[] = [];

  constructor(
    private readonly client: DicomWebClient,
    readonly studyUid: string,
    readonly seriesUid: string,
    metadata: DicomJson[],
  ) {
    this.slices = sortInstances(metadata).map((instance) => ({
      instance,
      uid: str(instance, Tag.SOPInstanceUID),
      geometry: geometryOf(instance),
      format: pixelFormatOf(instance),
    }));
  }

  // The frame if cached (for drawing without waiting).
  cached(index: number): Float32Array | undefined {
    return this.done.get(index);
  }

  frame(index: number): Promise<Float32Array> {
    let p = this.cache.get(index);
    if (p === undefined) {
      const slice = this.slices[index];
      p = this.client.fetchFrame(this.studyUid, this.seriesUid, slice.uid).then((bytes) => {
        const hu = frameToHu(bytes, slice.format);
        this.done.set(index, hu);
        return hu;
      });
      p.catch(() => this.cache.delete(index));
      this.cache.set(index, p);
      this.evict(index);
    }
    return p;
  }

  // Fetches the slices around `center`, nearest first, a few at a time.
  prefetch(center: number): void {
    this.wanted = [];
    for (let d = 1; d <= PREFETCH_RADIUS; ++d) {
      for (const i of [center + d, center - d]) if (i >= 0 && i < this.slices.length && !this.cache.has(i)) this.wanted.push(i);
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < PARALLEL && this.wanted.length > 0) {
      const i = this.wanted.shift()!;
      if (this.cache.has(i)) continue;
      this.inFlight++;
      this.frame(i)
        .catch(() => {})
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private evict(center: number): void {
    if (this.cache.size <= MAX_CACHED) return;
    const far = [...this.cache.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const i of far.slice(0, this.cache.size - MAX_CACHED)) {
      this.cache.delete(i);
      this.done.delete(i);
    }
  }
}
