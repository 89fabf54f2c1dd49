/**
 * What per-address limits count (issue 15): an IPv4 address or an IPv6 /64,
 * and for the wider 7-digit code limit an IPv4 /24 or an IPv6 /48.
 */
import { expect, test } from 'vitest';
import { sourceAddress, sourceNetwork } from '../../src/oauth/attempts.js';

test('an IPv4 address counts alone, in its /24; an IPv4-mapped IPv6 address is the same IPv4 address', () => {
  expect(sourceAddress('198.51.100.7')).toBe('198.51.100.7');
  expect(sourceNetwork('198.51.100.7')).toBe('198.51.100.0/24');
  expect(sourceAddress('::ffff:198.51.100.7')).toBe('198.51.100.7');
  expect(sourceNetwork('::FFFF:198.51.100.7')).toBe('198.51.100.0/24');
});

test('every address of one IPv6 /64 counts as one source, whatever its spelling, in its /48', () => {
  const a = sourceAddress('2001:db8:1:2:3:4:5:6');
  expect(a).toBe('2001:db8:1:2::/64');
  expect(sourceAddress('2001:0db8:0001:0002::ffff')).toBe(a);
  expect(sourceAddress('2001:db8:1:3::1')).not.toBe(a);
  expect(sourceNetwork('2001:db8:1:ffff::9')).toBe('2001:db8:1::/48');
  expect(sourceAddress('::1')).toBe('0:0:0:0::/64');
  expect(sourceAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(sourceAddress('::ffff:c000:201')).toBe('192.0.2.1');
});

test('anything else is kept as it is', () => {
  expect(sourceAddress('unknown')).toBe('unknown');
  expect(sourceNetwork('unknown')).toBe('unknown');
});
