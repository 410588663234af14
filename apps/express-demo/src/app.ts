import type { Redis } from '@restash/core';
import { RestashStore } from '@restash/express-session';
import { type Duration, Ratelimit } from '@restash/ratelimit';
import { rateLimit } from '@restash/ratelimit/express';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import session from 'express-session';
import { layout, type SessionRow, sessionsPage, signedIn, signedOut } from './pages.js';
import { Users, validName, validPassword } from './users.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    count?: number;
    signedInAt?: string;
    userAgent?: string;
  }
}

/** Options of {@link createApp}. */
export interface DemoOptions {
  /** The Redis (through the REST server) for sessions, accounts and rate limits. */
  redis: Redis;
  /** Signs the session cookie; keep it stable so sessions survive restarts. */
  secret: string;
  /** Key prefix of everything the demo stores. @default 'express-demo:' */
  prefix?: string;
  /** Sign-in attempts allowed per address and user name within `window`. @default 5 */
  signInAttempts?: number;
  /** @default '1 m' */
  signInWindow?: Duration;
}

/** The demo app and its session store. */
export function createApp(options: DemoOptions): { app: Express; store: RestashStore } {
  const prefix = options.prefix ?? 'express-demo:';
  const { redis } = options;
  const users = new Users(redis, `${prefix}users`);
  const store = new RestashStore({
    client: redis,
    prefix: `${prefix}sess:`,
    // Most requests only read the session: skip the expiry write unless it moves by a minute or more.
    touchAfter: 60,
  });
  const signInLimit = rateLimit<Request>({
    limiter: new Ratelimit({
      redis,
      prefix: `${prefix}ratelimit`,
      limiter: Ratelimit.slidingWindow(options.signInAttempts ?? 5, options.signInWindow ?? '1 m'),
    }),
    // Per address and account, so one attacker cannot lock everybody out.
    key: (req) => `signin:${req.ip}:${String(req.body?.name ?? '').toLowerCase()}`,
    onLimited: (_req, res, result) => {
      const seconds = Math.max(1, Math.ceil((result.reset - Date.now()) / 1000));
      (res as Response)
        .status(429)
        .type('html')
        .send(page('Sign in', signedOut(), `Too many sign-in attempts. Try again in ${seconds} s.`));
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  app.use(
    session({
      store,
      secret: options.secret,
      name: 'connect.sid',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 24 * 3600 * 1000 },
    }),
  );

  // While the store cannot reach the server, express-session gives requests no session.
  app.use((req, res, next) => {
    if (req.session) return next();
    res
      .status(503)
      .type('html')
      .send(
        layout('Unavailable', '<p><a href="/">Try again</a></p>', {
          text: 'Sessions are unavailable right now (the Redis server cannot be reached). Try again in a moment.',
          kind: 'error',
        }),
      );
  });

  app.get('/', (req, res) => {
    const { user } = req.session;
    res
      .type('html')
      .send(user ? page(user, signedIn(user, req.session.count ?? 0)) : page('Welcome', signedOut()));
  });

  app.post('/signup', async (req, res) => {
    const { name, password } = req.body ?? {};
    if (!validName(name) || !validPassword(password)) {
      return badForm(
        res,
        'Pick a user name of 3–32 letters, digits, _ - . and a password of at least 8 characters.',
      );
    }
    if (!(await users.create(name, password))) return badForm(res, `The name ${name} is taken.`, 409);
    await signIn(req, name);
    res.redirect(303, '/');
  });

  app.post('/signin', signInLimit, async (req, res) => {
    const { name, password } = req.body ?? {};
    if (!validName(name) || typeof password !== 'string' || !(await users.verify(name, password))) {
      return badForm(res, 'Wrong user name or password.', 401);
    }
    await signIn(req, name);
    res.redirect(303, '/');
  });

  app.post('/counter', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/');
    req.session.count = (req.session.count ?? 0) + 1;
    res.redirect(303, '/');
  });

  app.get('/sessions', async (req, res) => {
    const { user } = req.session;
    if (!user) return res.redirect(303, '/');
    // all() walks every session; an app with many users would keep a set of session ids per user instead.
    const rows: SessionRow[] = (await store.all())
      .filter((s) => s.user === user)
      .map((s) => ({
        id: s.id,
        current: s.id === req.sessionID,
        signedInAt: s.signedInAt ?? '',
        userAgent: s.userAgent ?? '',
        count: s.count ?? 0,
      }))
      .sort((a, b) => a.signedInAt.localeCompare(b.signedInAt));
    res.type('html').send(page('Your sessions', sessionsPage(rows)));
  });

  app.post('/sessions/:id/end', async (req, res) => {
    const { user } = req.session;
    if (!user) return res.redirect(303, '/');
    const id = String(req.params.id);
    const other = await store.get(id);
    // Only the signed-in user's own sessions, and not this one (that is what sign-out is for).
    if (other?.user === user && id !== req.sessionID) await store.destroy(id);
    res.redirect(303, '/sessions');
  });

  app.post('/signout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie('connect.sid');
      res.redirect(303, '/');
    });
  });

  // Last: an error (the session store failing mid-request, Redis refusing a command) gets a page, not a stack trace.
  app.use(((error, _req, res, _next) => {
    console.error(`express-demo: ${error instanceof Error ? error.message : String(error)}`);
    if (res.headersSent) return;
    res
      .status(500)
      .type('html')
      .send(
        layout('Error', '<p><a href="/">Back</a></p>', {
          text: 'Something went wrong. Try again.',
          kind: 'error',
        }),
      );
  }) satisfies ErrorRequestHandler);

  return { app, store };

  function signIn(req: Request, name: string): Promise<void> {
    // A new session id at sign-in, so an id planted before it is worth nothing after.
    return new Promise((resolve, reject) =>
      req.session.regenerate((error) => {
        if (error) return reject(error);
        req.session.user = name;
        req.session.count = 0;
        req.session.signedInAt = new Date().toISOString();
        req.session.userAgent = String(req.get('user-agent') ?? 'unknown').slice(0, 120);
        req.session.save((saveError) => (saveError ? reject(saveError) : resolve()));
      }),
    );
  }
}

function page(title: string, body: string, error?: string): string {
  return layout(title, body, error ? { text: error, kind: 'error' } : undefined);
}

function badForm(res: Response, message: string, status = 400): void {
  res
    .status(status)
    .type('html')
    .send(page('Welcome', signedOut(), message));
}
