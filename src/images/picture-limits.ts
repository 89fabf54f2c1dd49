/**
 * What an uploaded picture may be (kinds, sizes, pixels) and the checks made
 * on its header before anything decodes it. The server's own thread needs only
 * these; the decoders (pictures.ts) run in the picture worker.
 */
import { InputError } from '../errors.js';

/** Avatar sizes of the login info API (docs/protocol.md §6), as Yandex ID names them. */
export const AVATAR_SIZES: Readonly<Record<string, number>> = {
  'islands-small': 28,
  'islands-34': 34,
  'islands-middle': 42,
  'islands-50': 50,
  'islands-retina-small': 56,
  'islands-68': 68,
  'islands-75': 75,
  'islands-retina-middle': 84,
  'islands-retina-50': 100,
  'islands-200': 200,
};

/** App icons are kept at one size, drawn at 64 px or less on the pages (twice that for dense screens). */
export const ICON_SIZE = 128;

/** Uploads larger than this are refused before decoding. */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/**
 * Pictures larger than this are refused from their header, before decoding:
 * a file of a few dozen kilobytes can hold tens of millions of pixels, and
 * decoding costs time and memory (4 bytes a pixel) by the pixel, not by the
 * byte. 16 megapixels takes any phone's ordinary photo (12 MP) and about a
 * second of one core to decode; an avatar needs 200 pixels.
 */
export const MAX_MEGAPIXELS = 16;
const MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000;
export const MAX_SIDE = 8000;

/** The picture has more pixels than MAX_MEGAPIXELS or MAX_SIDE allow. */
export class PictureTooLarge extends InputError {
  constructor() {
    super(`the picture is too large: at most ${MAX_MEGAPIXELS} megapixels and ${MAX_SIDE} pixels a side`);
  }
}

export interface Pixels {
  width: number;
  height: number;
  /** RGBA, 8 bits a channel, rows top to bottom. */
  data: Uint8Array;
}

export const isPng = (b: Uint8Array) => b.length > 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
export const isJpeg = (b: Uint8Array) => b.length > 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Width and height as the file's header states them, without decoding: the
 * PNG IHDR chunk, or the JPEG frame header (SOF0–SOF15 but DHT, JPG and DAC).
 * Null when the file is neither, or the header cannot be found.
 */
export function pictureDimensions(file: Buffer): { width: number; height: number } | null {
  if (isPng(file)) {
    // The signature (8 bytes), then IHDR first: length, type, width, height (PNG §11.2.2).
    if (file.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: file.readUInt32BE(16), height: file.readUInt32BE(20) };
  }
  if (isJpeg(file)) {
    let at = 2;
    while (at + 9 < file.length) {
      if (file[at] !== 0xff) return null;
      const marker = file[at + 1]!;
      // Fill bytes, and markers without a length (RSTn, TEM).
      if (marker === 0xff) { at++; continue; }
      if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: file.readUInt16BE(at + 5), width: file.readUInt16BE(at + 7) };
      }
      if (marker === 0xda || marker === 0xd9) return null; // scan data or the end before any frame header
      at += 2 + file.readUInt16BE(at + 2);
    }
  }
  return null;
}

export function checkSize(width: number, height: number): void {
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) throw new PictureTooLarge();
  if (width < 1 || height < 1) throw new InputError('the picture could not be read: upload a PNG or JPEG file');
}

/**
 * Refuses, from the header alone, a file too large to decode: more than
 * MAX_UPLOAD_BYTES, or a picture over MAX_MEGAPIXELS. Cheap enough for the
 * event loop; decoding itself runs in a worker (picture-pool.ts).
 */
export function checkPictureHeader(file: Buffer): void {
  if (file.length > MAX_UPLOAD_BYTES) throw new InputError('the picture is too large: at most 5 MB');
  const size = pictureDimensions(file);
  if (size) checkSize(size.width, size.height);
}
