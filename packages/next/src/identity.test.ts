import { describe, expect, it } from 'vitest';
import { clientIp } from './identity.js';

const h = (entries: Record<string, string>) => new Headers(entries);

describe('clientIp', () => {
  it('takes the address appended by the proxy in front of Next', () => {
    expect(clientIp(h({ 'x-forwarded-for': '203.0.113.9' }))).toBe('203.0.113.9');
  });

  it('ignores addresses a client prepends to X-Forwarded-For', () => {
    expect(clientIp(h({ 'x-forwarded-for': '1.1.1.1, 6.6.6.6, 203.0.113.9' }))).toBe('203.0.113.9');
  });

  it('counts trusted proxies from the right', () => {
    const headers = h({ 'x-forwarded-for': 'spoofed, 198.51.100.4, 10.0.0.2' });
    expect(clientIp(headers, { trustedProxies: 2 })).toBe('198.51.100.4');
  });

  it('uses the leftmost entry when the chain is shorter than the trusted proxies', () => {
    expect(clientIp(h({ 'x-forwarded-for': '198.51.100.4' }), { trustedProxies: 3 })).toBe('198.51.100.4');
  });

  it('prefers the configured edge header when it is present', () => {
    const headers = h({ 'cf-connecting-ip': '192.0.2.1', 'x-forwarded-for': '10.0.0.1' });
    expect(clientIp(headers, { ipHeader: 'cf-connecting-ip' })).toBe('192.0.2.1');
    expect(clientIp(h({ 'x-forwarded-for': '10.0.0.1' }), { ipHeader: 'cf-connecting-ip' })).toBe('10.0.0.1');
  });

  it("says 'unknown' without any address, and for a blank or malformed header", () => {
    expect(clientIp(h({}))).toBe('unknown');
    expect(clientIp(h({ 'x-forwarded-for': ' , ,' }))).toBe('unknown');
    expect(clientIp(h({ 'x-forwarded-for': '::1' }), { trustedProxies: 0 })).toBe('::1');
  });
});
