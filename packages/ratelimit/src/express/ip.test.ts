import { describe, expect, it } from 'vitest';
import { ipKey } from './ip.js';

describe('ipKey', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(ipKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('reduces IPv6 addresses to their /56 network by default', () => {
    expect(ipKey('2001:db8:abcd:12ff:1:2:3:4')).toBe('2001:db8:abcd:1200::/56');
    expect(ipKey('2001:db8:abcd:12ff::1')).toBe(ipKey('2001:db8:abcd:1200:ffff:ffff:ffff:ffff'));
  });

  it('takes another subnet, or the whole address with false', () => {
    expect(ipKey('2001:db8:abcd:12ff:1:2:3:4', 64)).toBe('2001:db8:abcd:12ff::/64');
    expect(ipKey('2001:db8:0:0:1:0:0:1', false)).toBe('2001:db8::1:0:0:1');
    expect(ipKey('2001:DB8::1', 48)).toBe('2001:db8::/48');
  });

  it('turns IPv4-mapped IPv6 addresses into IPv4', () => {
    expect(ipKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('handles loopback, zones and embedded IPv4 in other positions', () => {
    expect(ipKey('::1')).toBe('::/56');
    expect(ipKey('::1', false)).toBe('::1');
    expect(ipKey('fe80::1%eth0', false)).toBe('fe80::1');
    expect(ipKey('64:ff9b::192.0.2.33', false)).toBe('64:ff9b::c000:221');
  });

  it('leaves text that is not an address untouched', () => {
    expect(ipKey('1:2:3')).toBe('1:2:3');
    expect(ipKey('gggg::1')).toBe('gggg::1');
    expect(ipKey('1::2::3')).toBe('1::2::3');
  });
});
