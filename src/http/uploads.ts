/**
 * Picture uploads (avatars, app icons): `multipart/form-data` is accepted only
 * inside the plugins that register this, with one file of at most
 * MAX_UPLOAD_BYTES and a few short fields (the CSRF token comes first in each
 * form). Everything else keeps the server's small urlencoded bodies.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_UPLOAD_BYTES } from '../images/pictures.js';
import { InvalidRequest } from '../oauth/errors.js';
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
