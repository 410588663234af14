/** Text made safe for HTML. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A whole page around `body`, with an optional notice on top. */
export function layout(
  title: string,
  body: string,
  notice?: { text: string; kind: 'error' | 'info' },
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Restash express-session demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  form { margin: .5rem 0; } input { font: inherit; padding: .3rem .5rem; margin: .2rem 0; }
  button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
  .notice { padding: .6rem 1rem; border-radius: .4rem; } .error { background: #fde8e8; } .info { background: #e8f0fd; }
  .count { font-size: 2.5rem; font-weight: 600; margin: 0 1rem 0 0; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
  code { background: #f3f3f3; padding: 0 .2rem; } .muted { color: #666; font-size: .9rem; }
</style>
</head>
<body>
<h1><a href="/">Restash express-session demo</a></h1>
${notice ? `<p class="notice ${notice.kind}" role="alert">${escapeHtml(notice.text)}</p>` : ''}
${body}
</body>
</html>`;
}

/** What this demo shows, for a newcomer. */
export const ABOUT = `<p>This is an <a href="https://expressjs.com">Express 5</a> app whose sessions live in Redis,
reached over HTTP through the Restash REST server by <code>@restash/express-session</code> — the same store would work
from a serverless function, where a TCP connection to Redis is not possible.</p>
<ul>
  <li><b>Sign up / sign in</b> creates a session (its id is in the <code>connect.sid</code> cookie, its data in Redis under <code>express-demo:sess:&lt;id&gt;</code>). Sign-in regenerates the session id.</li>
  <li><b>The counter</b> is stored in your session: reload, restart the app, it is still there.</li>
  <li><b>Your sessions</b> lists every browser signed in as you (the store's <code>all()</code>) and ends the others (<code>destroy()</code>).</li>
  <li><b>Sign-in is rate limited</b> per address and user name with <code>@restash/ratelimit</code>: too many attempts and you get a 429.</li>
  <li><b>Sign out</b> destroys the session; a request still running at that moment cannot bring it back.</li>
</ul>`;

/** The signed-out home page. */
export function signedOut(): string {
  return `${ABOUT}
<h2>Sign in</h2>
<form method="post" action="/signin">
  <label>User name <input name="name" autocomplete="username" required></label><br>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label><br>
  <button type="submit">Sign in</button>
</form>
<h2>Sign up</h2>
<form method="post" action="/signup">
  <label>User name <input name="name" autocomplete="username" required pattern="[\\w.\\-]{3,32}"></label>
  <span class="muted">3–32 letters, digits, <code>_ - .</code></span><br>
  <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8"></label>
  <span class="muted">at least 8 characters</span><br>
  <button type="submit">Create account</button>
</form>`;
}

/** The signed-in home page. */
export function signedIn(user: string, count: number): string {
  return `<p>Signed in as <b id="user">${escapeHtml(user)}</b>.</p>
<form method="post" action="/counter" style="display:flex;align-items:center">
  <span class="count" id="count">${count}</span><button type="submit">+1</button>
</form>
<p class="muted">This counter lives in your session. Reload the page or restart the app: it stays.</p>
<p><a href="/sessions">Your sessions</a></p>
<form method="post" action="/signout"><button type="submit">Sign out</button></form>
<h2>What is this?</h2>
${ABOUT}`;
}

/** One row of the sessions page. */
export interface SessionRow {
  id: string;
  current: boolean;
  signedInAt: string;
  userAgent: string;
  count: number;
}

/** The sessions page. */
export function sessionsPage(rows: SessionRow[]): string {
  const cells = rows
    .map(
      (row) => `<tr>
  <td>${escapeHtml(row.signedInAt)}</td><td>${escapeHtml(row.userAgent)}</td><td>${row.count}</td>
  <td>${
    row.current
      ? '<b>this browser</b>'
      : `<form method="post" action="/sessions/${encodeURIComponent(row.id)}/end"><button type="submit">End</button></form>`
  }</td>
</tr>`,
    )
    .join('\n');
  return `<h2>Your sessions</h2>
<p>Every browser signed in as you. Ending a session signs that browser out at its next request.</p>
<table>
<thead><tr><th>Signed in</th><th>Browser</th><th>Counter</th><th></th></tr></thead>
<tbody>
${cells}
</tbody>
</table>
<p><a href="/">Back</a></p>`;
}
