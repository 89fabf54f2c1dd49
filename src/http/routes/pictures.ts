/**
 * Pictures Gatehouse serves: avatars at `/avatars/{default_avatar_id}/{size}`
 * in the sizes of docs/protocol.md §6 (the id `0/0-0` of an account without one draws a
 * placeholder, as Yandex ID does), and app icons at `/icons/{id}`. A picture
 * never changes under its id (a new upload gets a new id), so it is cached.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Context } from '../../context.js';
import { AVATAR_SIZES } from '../../images/picture-limits.js';

const EMPTY_AVATAR = '0/0-0';
const ID = /^[0-9a-f]{32}$/;

export const pictureRoutes = (ctx: Context): FastifyPluginAsync => async (app) => {
  const placeholders = new Map<string, Buffer>();
  const missing = (reply: FastifyReply) => reply.code(404).send({ error: 'not_found', error_description: 'there is no such picture' });
  const send = (reply: FastifyReply, data: Buffer) =>
    reply.header('Cache-Control', 'public, max-age=31536000, immutable').header('Content-Security-Policy', "default-src 'none'; sandbox")
      .type('image/png').send(data);

  app.get('/avatars/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    const slash = rest.lastIndexOf('/');
    const id = rest.slice(0, slash);
    const size = rest.slice(slash + 1);
    if (slash < 0 || AVATAR_SIZES[size] === undefined) return missing(reply);
    if (id === EMPTY_AVATAR) {
      if (!placeholders.has(size)) {
        // The encoder is loaded with the first placeholder drawn, not at every start.
        const { placeholderAvatar } = await import('../../images/pictures.js');
        placeholders.set(size, placeholderAvatar(AVATAR_SIZES[size]!));
      }
      return send(reply, placeholders.get(size)!);
    }
    if (!ID.test(id)) return missing(reply);
    const image = await ctx.storage.findImage(id, size);
    return image ? send(reply, image.data) : missing(reply);
  });

  app.get<{ Params: { id: string } }>('/icons/:id', async (request, reply) => {
    if (!ID.test(request.params.id)) return missing(reply);
    const image = await ctx.storage.findImage(request.params.id, 'icon');
    return image ? send(reply, image.data) : missing(reply);
  });
};
