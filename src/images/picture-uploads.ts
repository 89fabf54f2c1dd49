/**
 * Uploaded pictures turned into what Gatehouse stores: every avatar size of
 * docs/protocol.md §6, or an app's icon. The account page and the developer console both
 * come here, so every door applies the same three rules in the same order:
 *
 * 1. the uploads of one user are counted (`pictureUploadsPerUser`, in the
 *    database, so the limit holds across every process);
 * 2. the file's header must state a picture within the pixel cap, or it is
 *    refused before anything is decoded (pictures.ts);
 * 3. the decoding and resizing run in a worker thread (picture-pool.ts).
 */
import { InputError } from '../errors.js';
import type { Limit } from '../oauth/attempts.js';
import type { Storage } from '../storage/storage.js';
import type { Clock, UserId } from '../types.js';
import { PicturePool } from './picture-pool.js';
import { checkPictureHeader } from './picture-limits.js';

/** The user uploaded more pictures than `pictureUploadsPerUser` allows in its window. */
export class TooManyUploads extends InputError {
  constructor(readonly retryAfterSeconds: number) {
    super('too many pictures uploaded: try again later');
  }
}

export class PictureUploads {
  private readonly pool = new PicturePool();

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly limit: Limit,
  ) {}

  private async admit(userId: UserId, file: Buffer): Promise<void> {
    const count = await this.storage.countAttempt(`picture_upload:user:${userId}`, this.limit.windowMs, this.clock());
    if (count > this.limit.max) throw new TooManyUploads(Math.ceil(this.limit.windowMs / 1000));
    checkPictureHeader(file);
  }

  /** Every avatar size of the upload, as PNGs by size name. */
  async avatar(userId: UserId, file: Buffer): Promise<Map<string, Buffer>> {
    await this.admit(userId, file);
    return this.pool.run('avatar', file);
  }

  /** An app icon from the upload, by the user who sent it: one square PNG. */
  async icon(userId: UserId, file: Buffer): Promise<Buffer> {
    await this.admit(userId, file);
    return (await this.pool.run('icon', file)).get('icon')!;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
