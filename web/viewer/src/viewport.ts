// The slice view: one canvas showing a frame in HU through a window, zoomed and panned, with a label mask as a
// semi-transparent overlay in the labels' colours. Drawing is on the main thread from cached frames: a lookup table into ImageData, then
// drawImage of two offscreen canvases. Mouse: left drag = window/level, right or shift drag = pan, ctrl+wheel = zoom.
import { renderWindowed, type Window } from './pixels.js';

export interface ViewState {
  window: Window;
  zoom: number; // screen pixels per image pixel, relative to "fit"
  panX: number; // screen pixels
  panY: number;
}

export class Viewport {
  readonly state: ViewState = { window: { center: -600, width: 1500 }, zoom: 1, panX: 0, panY: 0 };
  overlayOpacity = 0.4;
  overlayVisible = true;
  onWindowChange: (w: Window) => void = () => {};
  onHover: (row: number, column: number) => void = () => {};
  onLeave: () => void = () => {};

  private readonly context: CanvasRenderingContext2D;
  private image: HTMLCanvasElement = document.createElement('canvas');
  private overlay: HTMLCanvasElement = document.createElement('canvas');
  private hu: Float32Array | null = null;
  private rows = 0;
  private columns = 0;
  private hasOverlay = false;
  private overlayColors: [number, number, number][] = [];
  private imageData: ImageData | null = null;
  private frameRequest = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.context = canvas.getContext('2d')!;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  setFrame(hu: Float32Array, rows: number, columns: number): void {
    this.hu = hu;
    if (rows !== this.rows || columns !== this.columns) {
      this.rows = rows;
      this.columns = columns;
      this.image.width = this.overlay.width = columns;
      this.image.height = this.overlay.height = rows;
      this.imageData = new ImageData(columns, rows);
    }
    this.renderImage();
  }

  // A label mask at the frame's size (0: nothing drawn) with the colour of each label value (sRGB; values without
  // one are red), or null to clear.
  setMask(mask: Uint8Array | null, colors: ReadonlyMap<number, readonly [number, number, number]> = new Map()): void {
    this.hasOverlay = mask !== null;
    if (mask !== null) {
      this.overlayColors = Array.from({ length: 256 }, (_, v) => [...(colors.get(v) ?? [255, 0, 0])] as [number, number, number]);
      const packed = new Uint32Array(256);
      for (let v = 1; v < 256; ++v) {
        const [r, g, b] = this.overlayColors[v];
        packed[v] = (0xff << 24) | (b << 16) | (g << 8) | r; // opaque; alpha set when drawn
      }
      const data = new ImageData(this.columns, this.rows);
      const px = new Uint32Array(data.data.buffer);
      for (let i = 0; i < mask.length; ++i) px[i] = packed[mask[i]];
      this.overlay.getContext('2d')!.putImageData(data, 0, 0);
    }
    this.draw();
  }

  // The overlay's own pixels read back from its canvas (for tests): the label value whose colour each pixel has,
  // the smallest when colours repeat, 0 where nothing is drawn.
  overlayMask(): Uint8Array | null {
    if (!this.hasOverlay) return null;
    const data = this.overlay.getContext('2d')!.getImageData(0, 0, this.columns, this.rows).data;
    const byColor = new Map<number, number>();
    for (let v = 255; v >= 1; --v) {
      const [r, g, b] = this.overlayColors[v];
      byColor.set((r << 16) | (g << 8) | b, v);
    }
    const mask = new Uint8Array(this.rows * this.columns);
    for (let i = 0; i < mask.length; ++i) {
      if (data[4 * i + 3] !== 255) continue;
      mask[i] = byColor.get((data[4 * i] << 16) | (data[4 * i + 1] << 8) | data[4 * i + 2]) ?? 0;
    }
    return mask;
  }

  setWindow(w: Window): void {
    this.state.window = { ...w };
    this.renderImage();
    this.onWindowChange(this.state.window);
  }

  resetView(): void {
    Object.assign(this.state, { zoom: 1, panX: 0, panY: 0 });
    this.draw();
  }

  zoomBy(factor: number): void {
    this.state.zoom = Math.min(20, Math.max(0.2, this.state.zoom * factor));
    this.draw();
  }

  draw(): void {
    if (this.frameRequest !== 0) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      this.drawNow();
    });
  }

  private renderImage(): void {
    if (this.hu === null || this.imageData === null) return;
    renderWindowed(this.hu, this.state.window, this.imageData.data);
    this.image.getContext('2d')!.putImageData(this.imageData, 0, 0);
    this.draw();
  }

  private transform(): { scale: number; x: number; y: number } {
    const fit = Math.min(this.canvas.width / (this.columns || 1), this.canvas.height / (this.rows || 1));
    const scale = fit * this.state.zoom;
    return {
      scale,
      x: (this.canvas.width - this.columns * scale) / 2 + this.state.panX,
      y: (this.canvas.height - this.rows * scale) / 2 + this.state.panY,
    };
  }

  private drawNow(): void {
    const c = this.context;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = '#000';
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.hu === null) return;
    const t = this.transform();
    c.imageSmoothingEnabled = t.scale < 1;
    c.setTransform(t.scale, 0, 0, t.scale, t.x, t.y);
    c.drawImage(this.image, 0, 0);
    if (this.hasOverlay && this.overlayVisible) {
      c.globalAlpha = this.overlayOpacity;
      c.drawImage(this.overlay, 0, 0);
      c.globalAlpha = 1;
    }
  }

  private resize(): void {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.drawNow();
    }
  }

  // Image (row, column) under a mouse event, or null outside the image.
  imagePoint(event: MouseEvent): { row: number; column: number } | null {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = this.canvas.width / (rect.width || 1);
    const t = this.transform();
    const column = Math.floor(((event.clientX - rect.left) * ratio - t.x) / t.scale);
    const row = Math.floor(((event.clientY - rect.top) * ratio - t.y) / t.scale);
    return row >= 0 && row < this.rows && column >= 0 && column < this.columns ? { row, column } : null;
  }

  private listen(): void {
    const canvas = this.canvas;
    let drag: { x: number; y: number; mode: 'window' | 'pan'; window: Window; panX: number; panY: number } | null = null;
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    canvas.addEventListener('mousedown', (e) => {
      const mode = e.button === 2 || e.button === 1 || e.shiftKey ? 'pan' : 'window';
      drag = { x: e.clientX, y: e.clientY, mode, window: { ...this.state.window }, panX: this.state.panX, panY: this.state.panY };
      e.preventDefault();
    });
    window.addEventListener('mouseup', () => (drag = null));
    window.addEventListener('mousemove', (e) => {
      if (drag === null) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (drag.mode === 'pan') {
        const ratio = this.canvas.width / (this.canvas.getBoundingClientRect().width || 1);
        this.state.panX = drag.panX + dx * ratio;
        this.state.panY = drag.panY + dy * ratio;
        this.draw();
      } else {
        // Right: wider window; down: higher level. 4 HU per pixel.
        this.setWindow({ center: Math.round(drag.window.center + dy * 4), width: Math.max(1, Math.round(drag.window.width + dx * 4)) });
      }
    });
    canvas.addEventListener('mousemove', (e) => {
      const p = this.imagePoint(e);
      if (p === null) this.onLeave();
      else this.onHover(p.row, p.column);
    });
    canvas.addEventListener('mouseleave', () => this.onLeave());
  }
}
