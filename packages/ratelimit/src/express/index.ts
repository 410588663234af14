import { RatelimitError } from '../errors.js';
import type { LimitOptions, LimitResult, Ratelimit } from '../ratelimit.js';
import { ipKey } from './ip.js';

export { ipKey } from './ip.js';

/** The parts of an Express (or Node) request the middleware reads. */
export interface RequestLike {
  /** The client address Express computed from its `trust proxy` setting. */
  ip?: string | undefined;
  socket?: { remoteAddress?: string | undefined } | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of an Express response the middleware writes. */
export interface ResponseLike {
  setHeader(name: string, value: string | number): unknown;
  status(code: number): ResponseLike;
  json(body: unknown): unknown;
  headersSent?: boolean;
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions<TRequest extends RequestLike = RequestLike> {
  /** The limiter, e.g. `new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(100, '1 m') })`. */
  limiter: Ratelimit;
  /**
   * The identifier to limit a request by.
   * @default the client IP (`req.ip`, which follows Express's `trust proxy`; IPv6 grouped by `ipv6Subnet`)
   */
  key?: (req: TRequest) => string | Promise<string>;
  /**
   * The IPv6 prefix length the default key groups addresses by, or `false` for whole addresses.
   * @default 56
   */
  ipv6Subnet?: number | false;
  /** Tokens a request takes. @default 1 */
  rate?: (req: TRequest) => number;
  /** Requests to let through without counting. */
  skip?: (req: TRequest) => boolean | Promise<boolean>;
  /**
   * Send the IETF `RateLimit` and `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers-08).
   * @default true
   */
  headers?: boolean;
  /** The policy name in those headers. @default 'default' */
  policy?: string;
  /** Pass the client IP, user agent and country (from `country`) to the deny list. @default true */
  denyListFields?: boolean;
  /** The client's country code, for the deny list (e.g. from a CDN header). */
  country?: (req: TRequest) => string | undefined;
  /** Status of a rejected request. @default 429 */
  statusCode?: number;
  /**
   * The JSON body of a rejected request.
   * @default { error: 'Too Many Requests', retryAfter: <seconds> } (and `reason` when denied or failed closed)
   */
  message?: unknown | ((req: TRequest, result: LimitResult) => unknown);
  /** Answers a rejected request yourself instead of the default 429. */
  onLimited?: (req: TRequest, res: ResponseLike, result: LimitResult) => unknown;
}

/**
 * Express middleware over a `Ratelimit`: one check per request, keyed by the
 * client IP unless `key` says otherwise, with the IETF `RateLimit` /
 * `RateLimit-Policy` headers and, when limited, `Retry-After` and a JSON 429.
 *
 * The client IP is Express's `req.ip`, which trusts `X-Forwarded-For` only as
 * far as the app's `trust proxy` setting says; the raw header is never read.
 *
 * @example
 * ```ts
 * import { rateLimit } from '@restash/ratelimit/express';
 * app.set('trust proxy', 1); // one proxy (a load balancer) in front
 * app.use('/api', rateLimit({ limiter: new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(100, '1 m') }) }));
 * ```
 */
export function rateLimit<TRequest extends RequestLike = RequestLike>(
  options: RateLimitOptions<TRequest>,
): (req: TRequest, res: ResponseLike, next: (error?: unknown) => void) => Promise<void> {
  const { limiter } = options ?? {};
  if (limiter === null || typeof limiter !== 'object' || typeof limiter.limit !== 'function') {
    throw new RatelimitError('config', 'rateLimit: pass limiter, a Ratelimit instance');
  }
  const subnet = options.ipv6Subnet ?? 56;
  const key = options.key ?? ((req: TRequest) => ipKey(clientIp(req), subnet));
  const headers = options.headers !== false;
  const policy = JSON.stringify(options.policy ?? 'default');
  const statusCode = options.statusCode ?? 429;
  const denyListFields = options.denyListFields !== false;
  const policyHeader = `${policy};q=${limiter.limiter.tokens};w=${Math.max(1, Math.ceil(limiter.limiter.windowMs / 1000))}`;

  return async (req, res, next) => {
    try {
      if (options.skip && (await options.skip(req))) return next();
      const id = await key(req);
      const call: LimitOptions = {};
      if (options.rate) call.rate = options.rate(req);
      if (denyListFields) {
        const ip = clientIp(req);
        if (ip) call.ip = ip;
        const agent = req.headers['user-agent'];
        if (typeof agent === 'string' && agent) call.userAgent = agent;
        const country = options.country?.(req);
        if (country) call.country = country;
      }
      const result = await limiter.limit(id, call);
      result.pending.catch(ignore);
      const now = Date.now();
      const seconds = result.reset > now ? Math.ceil((result.reset - now) / 1000) : 0;
      if (headers && result.reset > 0) {
        res.setHeader('RateLimit-Policy', policyHeader);
        res.setHeader('RateLimit', `${policy};r=${result.remaining};t=${seconds}`);
      }
      if (result.success) return next();
      res.setHeader('Retry-After', Math.max(1, seconds));
      if (options.onLimited) {
        await options.onLimited(req, res, result);
        return;
      }
      const body =
        typeof options.message === 'function'
          ? (options.message as (req: TRequest, result: LimitResult) => unknown)(req, result)
          : (options.message ?? defaultBody(result, Math.max(1, seconds)));
      res.status(statusCode).json(body);
    } catch (error) {
      next(error);
    }
  };
}

/** The client address as Express sees it (`req.ip`), else the socket's peer. */
export function clientIp(req: RequestLike): string {
  return req.ip ?? req.socket?.remoteAddress ?? '';
}

function defaultBody(result: LimitResult, retryAfter: number): Record<string, unknown> {
  const body: Record<string, unknown> = { error: 'Too Many Requests', retryAfter };
  if (result.reason !== undefined && result.reason !== 'cacheBlock') body.reason = result.reason;
  return body;
}

function ignore(): void {}
