/** Types that carry meaning across the code base. */

/** A nominal type: `Brand<string, 'ClientId'>` is a string that only the right constructor produces. */
export type Brand<T, Name extends string> = T & { readonly __brand: Name };

/** 32 lowercase hex characters (docs/protocol.md §1). */
export type ClientId = Brand<string, 'ClientId'>;
/** A user's stable id, a decimal string as Yandex ID's `id`. */
export type UserId = Brand<string, 'UserId'>;

/** Milliseconds since the epoch. */
export type Millis = number;

/** Injectable time source, so expiry rules are tested without sleeping. */
export type Clock = () => Millis;
export const systemClock: Clock = () => Date.now();
