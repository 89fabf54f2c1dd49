/**
 * Pictures (src/images/pictures.ts): uploads decoded and redrawn as square
 * PNGs in pure JavaScript, the EXIF orientation of phone photos honoured,
 * anything but PNG and JPEG refused, huge pictures refused before decoding;
 * and the profile rules the account page applies (docs/protocol.md §1: birthday with
 * zeros, E.164 phone numbers).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { parseBirthday, parsePhone, validateProfile } from '../../src/accounts/profile.js';
import { InputError } from '../../src/errors.js';
import { AVATAR_SIZES, avatarVariants, decodePicture, exifOrientation, iconPng, pictureDimensions, squareThumbnail } from '../../src/images/pictures.js';

function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) image.data.set(pixel(x, y), (y * width + x) * 4);
  return PNG.sync.write(image);
}

/** A JPEG with an EXIF APP1 segment holding only the orientation tag. */
function jpegWithOrientation(width: number, height: number, orientation: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...pixel(x, y), 255], (y * width + x) * 4);
  const plain = jpeg.encode({ width, height, data }, 95).data;
  const tiff = Buffer.from([0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0, 0, 0]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([plain.subarray(0, 2), app1, plain.subarray(2)]);
}

const pixelAt = (p: { width: number; data: Uint8Array }, x: number, y: number) => Array.from(p.data.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 4));

describe('pictures', () => {
  test('an avatar upload becomes every size of docs/protocol.md §6, square, from the middle of the picture', () => {
    // 300×100: red left third, green middle, blue right third. The square kept is the green middle.
    const file = png(300, 100, (x) => (x < 100 ? [255, 0, 0, 255] : x < 200 ? [0, 255, 0, 255] : [0, 0, 255, 255]));
    const variants = avatarVariants(file);
    expect([...variants.keys()].sort()).toEqual(Object.keys(AVATAR_SIZES).sort());
    for (const [name, bytes] of variants) {
      const out = PNG.sync.read(bytes);
      expect([out.width, out.height], name).toEqual([AVATAR_SIZES[name], AVATAR_SIZES[name]]);
      expect(pixelAt(out, 0, 0), name).toEqual([0, 255, 0, 255]);
      expect(pixelAt(out, out.width - 1, out.height - 1), name).toEqual([0, 255, 0, 255]);
    }
  });

  test('averages the area each pixel covers: a fine checkerboard becomes even grey', () => {
    const board = decodePicture(png(200, 200, (x, y) => ((x + y) % 2 === 0 ? [0, 0, 0, 255] : [255, 255, 255, 255])));
    const small = squareThumbnail(board, 50);
    for (const [x, y] of [[0, 0], [25, 25], [49, 10]] as const) {
      const [r, g, b, a] = pixelAt(small, x, y);
      expect(Math.abs(r! - 128)).toBeLessThanOrEqual(1);
      expect([g, b, a]).toEqual([r, r, 255]);
    }
  });

  test('transparent edges do not darken colours (premultiplied alpha)', () => {
    const file = png(100, 100, (x) => (x < 50 ? [255, 0, 0, 255] : [0, 0, 0, 0]));
    // At 15 px, pixel 7 covers source columns 46.7–53.3: half red, half transparent.
    const small = squareThumbnail(decodePicture(file), 15);
    const [r, g, b, a] = pixelAt(small, 7, 7);
    expect([r, g, b]).toEqual([255, 0, 0]);
    expect(Math.abs(a! - 128)).toBeLessThanOrEqual(2);
  });

  test('turns a sideways phone photo upright by its EXIF orientation', () => {
    // Stored 40×20, left half red; orientation 6 means "rotate 90° clockwise to view", so the top becomes red.
    const file = jpegWithOrientation(40, 20, 6, (x) => (x < 20 ? [250, 0, 0] : [0, 0, 250]));
    expect(exifOrientation(file)).toBe(6);
    const upright = decodePicture(file);
    expect([upright.width, upright.height]).toEqual([20, 40]);
    const [r1, , b1] = pixelAt(upright, 10, 5);
    const [r2, , b2] = pixelAt(upright, 10, 35);
    expect(r1!).toBeGreaterThan(200);
    expect(b1!).toBeLessThan(50);
    expect(b2!).toBeGreaterThan(200);
    expect(r2!).toBeLessThan(50);
  });

  test('refuses anything but PNG and JPEG, broken files, and pictures too large to decode safely', () => {
    expect(() => decodePicture(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toThrow(InputError);
    expect(() => decodePicture(Buffer.from('GIF89a……………………'))).toThrow(InputError);
    const broken = png(10, 10, () => [1, 2, 3, 255]).subarray(0, 40);
    expect(() => decodePicture(broken)).toThrow(InputError);
    // A valid header claiming 100000×100000 is refused before inflating anything.
    const huge = png(1, 1, () => [0, 0, 0, 255]);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(() => decodePicture(huge)).toThrow(/too large/);
    expect(() => decodePicture(Buffer.alloc(6 * 1024 * 1024, 0x89))).toThrow(/too large/);
  });

  test('reads the size from the PNG IHDR and the JPEG frame header, past EXIF, without decoding', () => {
    expect(pictureDimensions(png(30, 7, () => [0, 0, 0, 255]))).toEqual({ width: 30, height: 7 });
    expect(pictureDimensions(jpegWithOrientation(40, 20, 6, () => [1, 2, 3]))).toEqual({ width: 40, height: 20 });
    expect(pictureDimensions(Buffer.from('GIF89a……………………'))).toBeNull();
    // 9000 × 1000 is under the pixel count but over a side: refused like any picture too large.
    const long = png(1, 1, () => [0, 0, 0, 255]);
    long.writeUInt32BE(9000, 16);
    long.writeUInt32BE(1000, 20);
    expect(() => decodePicture(long)).toThrow(/too large/);
  });

  test('an icon is one 128 px square PNG', () => {
    const out = PNG.sync.read(iconPng(png(64, 32, () => [10, 20, 30, 255])));
    expect([out.width, out.height]).toEqual([128, 128]);
  });
});

describe('profile rules', () => {
  test('a birthday is YYYY-MM-DD with zeros for unknown parts, and a real date when complete', () => {
    expect(parseBirthday('1990-12-31')).toBe('1990-12-31');
    expect(parseBirthday('0000-05-04')).toBe('0000-05-04');
    expect(parseBirthday('1990-00-00')).toBe('1990-00-00');
    expect(parseBirthday('')).toBeNull();
    expect(parseBirthday('0000-00-00')).toBeNull();
    for (const bad of ['1990-02-30', '1990-13-01', '31.12.1990', '1800-01-01', `${new Date().getUTCFullYear() + 1}-01-01`]) {
      expect(() => parseBirthday(bad), bad).toThrow(InputError);
    }
  });

  test('a phone number is E.164; the spaces and dashes people type are dropped', () => {
    expect(parsePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(parsePhone('+7 (495) 123-45-67')).toBe('+74951234567');
    expect(parsePhone(' ')).toBeNull();
    for (const bad of ['84951234567', '+0123456789', '+1', '+1234567890123456']) expect(() => parsePhone(bad), bad).toThrow(InputError);
  });

  test('emails are checked, deduplicated and the main one kept among them; the display name falls back to the names', () => {
    const patch = validateProfile({
      firstName: ' Ada ', lastName: 'Lovelace', displayName: '', emails: 'ada@example.org\nADA@example.org, ada@work.example',
      defaultEmail: 'ada@work.example', birthday: '', sex: 'female', phone: '',
    }, { login: 'ada' });
    expect(patch).toMatchObject({
      firstName: 'Ada', displayName: 'Ada Lovelace', emails: ['ada@example.org', 'ada@work.example'], defaultEmail: 'ada@work.example', sex: 'female',
      birthday: null, defaultPhone: null,
    });
    const bare = validateProfile({ firstName: '', lastName: '', displayName: '', emails: '', defaultEmail: 'x@example.org', birthday: '', sex: '', phone: '' }, { login: 'ada' });
    expect(bare).toMatchObject({ displayName: 'ada', emails: [], defaultEmail: null, sex: null });
    expect(() => validateProfile({ ...{ firstName: '', lastName: '', displayName: '', birthday: '', sex: '', phone: '' }, emails: 'not-an-email', defaultEmail: '' }, { login: 'ada' })).toThrow(/not an email/);
    expect(() => validateProfile({ firstName: '', lastName: '', displayName: '', emails: '', defaultEmail: '', birthday: '', sex: 'other', phone: '' }, { login: 'ada' })).toThrow(InputError);
  });
});
