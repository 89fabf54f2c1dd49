/**
 * Picture uploads (avatars, app icons): `multipart/form-data` is accepted only
 * inside the plugins that register this, with one file of at most
 * MAX_UPLOAD_BYTES and a few short fields (the CSRF token comes first in each
 * form). Everything else keeps the server's small urlencoded bodies.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InputError } from '../errors.js';
import { PicturesBusy } from '../images/picture-pool.js';
import { TooManyUploads } from '../images/picture-uploads.js';
import { MAX_MEGAPIXELS, MAX_SIDE, MAX_UPLOAD_BYTES, PictureTooLarge } from '../images/picture-limits.js';
import { InvalidRequest } from '../oauth/errors.js';
import { format, type Messages } from '../pages/messages/en.js';
import type { RawParams } from './params.js';

export async function acceptUploads(app: FastifyInstance): Promise<void> {
  await app.register(multipart, {
    // A file over the limit is cut short and reported as such (readUpload), not thrown from the middle of the body.
    throwFileSizeLimit: false,
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, fieldSize: 1000, parts: 12, headerPairs: 100 },
  });
}

const LIMIT_ERRORS = new Set(['FST_FILES_LIMIT', 'FST_PARTS_LIMIT', 'FST_FIELDS_LIMIT', 'FST_REQ_FILE_TOO_LARGE']);

export interface Upload {
  fields: RawParams;
  /** The file's bytes, or null when none was sent (or it was empty). */
  file: Buffer | null;
  /** The file was larger than MAX_UPLOAD_BYTES, or the form had more parts than a picture form has. */
  tooLarge: boolean;
}

export async function readUpload(request: FastifyRequest): Promise<Upload> {
  const fields: RawParams = Object.create(null);
  let file: Buffer | null = null;
  let tooLarge = false;
  if (!request.isMultipart()) return { fields, file, tooLarge };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.file.truncated) tooLarge = true;
        else if (bytes.length > 0) file = bytes;
      } else if (typeof part.value === 'string') {
        const seen = fields[part.fieldname];
        fields[part.fieldname] = seen === undefined ? part.value : Array.isArray(seen) ? [...seen, part.value] : [seen, part.value];
      }
    }
  } catch (err) {
    // More files, fields or parts than a picture form has: refused like a file too large.
    if (LIMIT_ERRORS.has((err as { code?: string }).code ?? '')) tooLarge = true;
    // Anything else the parser threw is about the body the client sent (no boundary, cut short…).
    else throw new InvalidRequest('the form is not valid multipart/form-data');
  }
  return { fields, file, tooLarge };
}

/**
 * How a refused picture is answered on the page that took it: 413 over the
 * pixel cap, 429 past the user's upload limit, 503 while too many pictures
 * wait for the worker, else 400 with the form's own message (`unreadable`).
 */
export function pictureRefusal(err: InputError, msgs: Messages, unreadable: string): { status: number; text: string; retryAfterSeconds: number | null } {
  if (err instanceof PictureTooLarge) {
    return { status: 413, text: format(msgs.pictureTooLarge, { megapixels: String(MAX_MEGAPIXELS), side: String(MAX_SIDE) }), retryAfterSeconds: null };
  }
  if (err instanceof TooManyUploads) {
    return { status: 429, text: format(msgs.tooManyPictures, { minutes: String(Math.ceil(err.retryAfterSeconds / 60)) }), retryAfterSeconds: err.retryAfterSeconds };
  }
  if (err instanceof PicturesBusy) return { status: 503, text: msgs.picturesBusy, retryAfterSeconds: 60 };
  return { status: 400, text: unreadable, retryAfterSeconds: null };
}
