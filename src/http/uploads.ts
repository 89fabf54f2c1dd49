/**
 * Picture uploads (avatars, app icons): `multipart/form-data` is accepted only
 * inside the plugins that register this, with one file of at most
 * MAX_UPLOAD_BYTES and a few short fields (the CSRF token comes first in each
 * form). Everything else keeps the server's small urlencoded bodies.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_UPLOAD_BYTES } from '../images/pictures.js';
import type { RawParams } from './params.js';

export async function acceptUploads(app: FastifyInstance): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, fieldSize: 1000, parts: 12, headerPairs: 100 },
  });
}

export interface Upload {
  fields: RawParams;
  /** The file's bytes, or null when none was sent (or it was empty). */
  file: Buffer | null;
  /** The file was larger than MAX_UPLOAD_BYTES (it was not read to the end). */
  tooLarge: boolean;
}

export async function readUpload(request: FastifyRequest): Promise<Upload> {
  const fields: RawParams = Object.create(null);
  let file: Buffer | null = null;
  let tooLarge = false;
  if (!request.isMultipart()) return { fields, file, tooLarge };
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      try {
        const bytes = await part.toBuffer();
        if (bytes.length > 0) file = bytes;
      } catch (err) {
        if ((err as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw err;
        tooLarge = true;
      }
    } else if (typeof part.value === 'string') {
      const seen = fields[part.fieldname];
      fields[part.fieldname] = seen === undefined ? part.value : Array.isArray(seen) ? [...seen, part.value] : [seen, part.value];
    }
  }
  return { fields, file, tooLarge };
}
