// The Express app under test: one session store, chosen by STORE.
//   STORE=connect-redis  REDIS_URL=redis://…                 connect-redis 9 over node-redis 5 (TCP)
//   STORE=restash        RESTASH_URL=http://… RESTASH_TOKEN=… @restash/express-session over @restash/core (HTTP)
//   TOUCH_AFTER=<s>                                            touchAfter of the Restash store
//   CLIENT_OPTIONS='{"responseEncoding":false}'               options of its @restash/core client (JSON)
// Routes: /login makes a session; /write reads and changes it; /read reads it (a touch).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const here = new URL('.', import.meta.url);
const fromPackage = createRequire(new URL('../../packages/express-session/package.json', here));
const load = (name) => import(pathToFileURL(fromPackage.resolve(name)).href);
const { default: express } = await load('express');
const { default: session } = await load('express-session');

let store;
let restRequests = () => 0;
if (process.env.STORE === 'connect-redis') {
  const { createClient } = await load('redis');
  const { RedisStore } = await load('connect-redis');
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  store = new RedisStore({ client });
} else {
  const core = process.env.CORE_DIST
    ? pathToFileURL(`${process.env.CORE_DIST}/index.js`)
    : new URL('../../packages/core/dist/index.js', here);
  const { Redis } = await import(core.href);
  const { RestashStore } = await import(new URL('../../packages/express-session/dist/index.js', here).href);
  const client = new Redis({
    url: process.env.RESTASH_URL,
    token: process.env.RESTASH_TOKEN,
    ...JSON.parse(process.env.CLIENT_OPTIONS ?? '{}'),
  });
  store = new RestashStore({
    client,
    touchAfter: Number(process.env.TOUCH_AFTER ?? 0),
  });
  restRequests = () => client.pipelineCounter;
  store.on('disconnect', (error) => console.error(`store disconnected: ${error?.message}`));
}

const app = express();
// How many HTTP requests the store's client has sent (read by run.mjs around each measured run).
app.get('/-/rest-requests', (_req, res) => res.json({ count: restRequests() }));
app.use(
  session({ store, secret: 'bench', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }),
);
let users = 0;
app.get('/login', (req, res) => {
  req.session.user = `user-${users++}`;
  req.session.count = 0;
  req.session.cart = [
    { sku: 'A-1', qty: 2 },
    { sku: 'B-7', qty: 1 },
  ];
  res.json({ ok: true });
});
app.use((req, res, next) => (req.session ? next() : res.status(503).json({ error: 'no session store' })));
app.get('/write', (req, res) => {
  req.session.count = (req.session.count ?? 0) + 1;
  res.json({ count: req.session.count });
});
app.get('/read', (req, res) => {
  res.json({ user: req.session.user ?? null, count: req.session.count ?? 0 });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
