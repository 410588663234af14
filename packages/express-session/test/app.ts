import express, { type Express } from 'express';
import session, { type SessionOptions, type Store } from 'express-session';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    count?: number;
    slow?: boolean;
  }
}

/** Holds a request inside its handler until the test lets it go. */
export interface Gate {
  /** Resolves once a request is waiting at the gate. */
  entered: Promise<void>;
  open(): void;
  /** Called by the handler: marks it entered and waits for `open`. */
  wait(): Promise<void>;
}

export function gate(): Gate {
  let enter!: () => void;
  let open!: () => void;
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    entered,
    open,
    wait: () => {
      enter();
      return opened;
    },
  };
}

/**
 * A small app using the store as a real one would: sign in (regenerating the
 * session), a counter, a read-only page (touch), a slow request, sign out.
 */
export function appWith(store: Store, options: Partial<SessionOptions> = {}, slow?: () => Gate): Express {
  const app = express();
  app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false, ...options }));
  app.post('/login/:user', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = req.params.user;
      res.json({ sid: req.sessionID });
    });
  });
  app.post('/count', (req, res) => {
    if (!req.session) {
      res.status(503).json({ error: 'sessions unavailable' });
      return;
    }
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count, sid: req.sessionID });
  });
  app.get('/me', (req, res) => {
    if (!req.session) {
      res.status(503).json({ error: 'sessions unavailable' });
      return;
    }
    res.json({ user: req.session.user ?? null, count: req.session.count ?? 0, sid: req.sessionID });
  });
  app.post('/slow', async (req, res) => {
    await slow?.().wait();
    req.session.slow = true;
    res.json({ ok: true });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  return app;
}
