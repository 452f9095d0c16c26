/**
 * PNG output for frames and pictures: encode uint8 RGB images (pngjs) and tile many frames into
 * one grid image with a thin separator, as the variant sheets, traversals and reconstructions use.
 */
import { PNG } from 'pngjs';
import { writeFileAtomic } from './files.ts';

/** An 8-bit RGB image, row-major, H×W×3. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Encodes an RGB image as PNG bytes. */
export function encodePng(img: RgbImage): Buffer {
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`encodePng: expected ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  }
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Decodes PNG bytes to RGB (alpha dropped). */
export function decodePng(bytes: Uint8Array): RgbImage {
  const png = PNG.sync.read(Buffer.from(bytes));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; i < png.width * png.height; i++, j += 4) {
    rgb[i * 3] = png.data[j];
    rgb[i * 3 + 1] = png.data[j + 1];
    rgb[i * 3 + 2] = png.data[j + 2];
  }
  return { width: png.width, height: png.height, data: rgb };
}

export function writePng(file: string, img: RgbImage): void {
  writeFileAtomic(file, encodePng(img));
}

export interface TileOptions {
  /** Scale each frame up by this integer factor (nearest neighbour), default 1. */
  scale?: number;
  /** Pixels of separator between tiles, default 2. */
  gap?: number;
  /** Separator colour, default mid grey. */
  gapColor?: [number, number, number];
}

/**
 * Tiles `rows × cols` frames (each h×w×3, concatenated row-major in `frames`) into one image.
 * Missing tiles (when frames run out) are left in the gap colour.
 */
export function tileFrames(frames: Uint8Array, count: number, h: number, w: number, cols: number, opts: TileOptions = {}): RgbImage {
  const scale = opts.scale ?? 1;
  const gap = opts.gap ?? 2;
  const [gr, gg, gb] = opts.gapColor ?? [128, 128, 128];
  const rows = Math.ceil(count / cols);
  const th = h * scale;
  const tw = w * scale;
  const width = cols * tw + (cols + 1) * gap;
  const height = rows * th + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = gr;
    data[i * 3 + 1] = gg;
    data[i * 3 + 2] = gb;
  }
  const frameSize = h * w * 3;
  for (let k = 0; k < count; k++) {
    const oy = gap + Math.floor(k / cols) * (th + gap);
    const ox = gap + (k % cols) * (tw + gap);
    const base = k * frameSize;
    for (let y = 0; y < th; y++) {
      const sy = Math.floor(y / scale);
      let dst = ((oy + y) * width + ox) * 3;
      for (let x = 0; x < tw; x++) {
        const src = base + (sy * w + Math.floor(x / scale)) * 3;
        data[dst++] = frames[src];
        data[dst++] = frames[src + 1];
        data[dst++] = frames[src + 2];
      }
    }
  }
  return { width, height, data };
}
