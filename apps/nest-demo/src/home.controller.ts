import { Controller, Get, Header } from '@nestjs/common';

/** The page a newcomer clicks through. */
@Controller()
export class HomeController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  home(): string {
    return PAGE;
  }
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Restash · Nest caching demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { margin-bottom: 0; } .sub { color: #5b6475; margin-top: .25rem; }
  section { border: 1px solid #dde2ea; border-radius: 8px; padding: 1rem 1.25rem; margin: 1.25rem 0; }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
  button { font: inherit; padding: .35rem .8rem; margin: .2rem .4rem .2rem 0; border: 1px solid #8a94a6; border-radius: 6px; background: #f5f7fa; cursor: pointer; }
  input, select { font: inherit; padding: .25rem .4rem; }
  pre { background: #0f1420; color: #d7e0f0; padding: .75rem; border-radius: 6px; overflow-x: auto; min-height: 1.5rem; font-size: 13px; }
  code { background: #eef1f6; padding: 0 .25rem; border-radius: 4px; }
  .fast { color: #0a7d32; font-weight: 600; } .slow { color: #b3261e; font-weight: 600; }
</style>
</head>
<body>
<h1>Nest caching over HTTP</h1>
<p class="sub">A small catalogue API cached in Redis through <code>@restash/nestjs</code> and the Restash REST server — no TCP connection to Redis.</p>

<section>
<h2>1 · A slow service method, cached by a decorator</h2>
<p>Every read of the fake database takes about 300 ms. <code>CatalogService.get()</code> carries <code>@Cacheable({ key: id =&gt; 'product:' + id, tags: id =&gt; ['product:' + id, 'products'] })</code>: the first call reads the database (slow), the next ones come from Redis (fast) and the database read counter stays put.</p>
<button onclick="call('GET', '/api/products/1')">Get product 1</button>
<button onclick="call('GET', '/api/products/2')">Get product 2</button>
<button onclick="call('GET', '/api/products')">List products</button>
<button onclick="call('GET', '/api/stats')">Database reads so far</button>
</section>

<section>
<h2>2 · Updates and tag invalidation</h2>
<p><code>update()</code> carries <code>@CachePut</code> (the new product is stored at once, so the next read is fast <em>and</em> fresh) and <code>@CacheEvict({ keys: ['products:all'] })</code> (the list is recomputed). <b>Invalidate tag</b> runs <code>@CacheEvict({ tags: ['products'] })</code>: every cached product and the list become stale in one request to Redis, however many there are, on every instance of the app.</p>
<input id="name" value="Espresso cup, blue" size="24"> <button onclick="rename()">Rename product 1</button>
<button onclick="call('POST', '/api/cache/invalidate')">Invalidate tag “products”</button>
</section>

<section>
<h2>3 · A rate-limited route</h2>
<p><code>PUT /api/products/:id</code> is guarded by <code>@nestjs/throttler</code> with <code>RestashThrottlerStorage</code>, which runs on <code>@restash/ratelimit</code>: 5 updates per 10 seconds per client, counted in Redis so that every instance shares the limit. The sixth answers <b>429 Too Many Requests</b>.</p>
<button onclick="burst()">Send 6 updates now</button>
</section>

<section>
<h2>4 · The interceptor, per user</h2>
<p><code>GET /api/greeting</code> uses <code>RestashCacheInterceptor</code> (Nest's <code>CacheInterceptor</code> with per-request keys): the <code>X-Cache</code> header says <b>MISS</b> then <b>HIT</b>, and <code>@CacheVaryBy</code> keeps one entry per <code>X-User</code>.</p>
<select id="user"><option>ada</option><option>grace</option><option>linus</option></select>
<button onclick="greet()">Get my greeting</button>
</section>

<pre id="out">Click a button.</pre>

<script>
const out = document.getElementById('out');
async function call(method, path, body, headers = {}) {
  const started = performance.now();
  const response = await fetch(path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  const ms = Math.round(performance.now() - started);
  const text = await response.text();
  let shown; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { shown = text; }
  const cache = response.headers.get('x-cache');
  const speed = ms < 100 ? '<span class="fast">fast</span>' : '<span class="slow">slow</span>';
  out.innerHTML = method + ' ' + path + ' → ' + response.status + ' in ' + ms + ' ms (' + speed + ')' + (cache ? ' · X-Cache: ' + cache : '') + '\\n\\n' + escape(shown);
  return response.status;
}
function escape(text) { return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]); }
function rename() { return call('PUT', '/api/products/1', { name: document.getElementById('name').value }); }
async function burst() {
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push(await fetch('/api/products/4', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ price: 20 + i }) }).then((r) => r.status));
  out.textContent = 'PUT /api/products/4 six times → ' + statuses.join(', ');
}
function greet() { return call('GET', '/api/greeting', undefined, { 'x-user': document.getElementById('user').value }); }
</script>
</body>
</html>
`;
