import { connection } from 'next/server';
import { Suspense } from 'react';
import { AddItemForm, MessageForm, OrderButton } from './forms';
import { getItems, getOrderCount } from './lib/data';
import { MESSAGES_PER_MINUTE } from './lib/restash';

async function Instance() {
  await connection();
  return <>port {process.env.PORT ?? '?'}</>;
}

async function ItemList() {
  await connection();
  const { items, cachedAt } = await getItems();
  return (
    <>
      <p className="muted">
        List cached at <time data-testid="cached-at">{cachedAt}</time>
      </p>
      {items.length === 0 ? (
        <p data-testid="items">No items yet.</p>
      ) : (
        <ul data-testid="items">
          {items.map((item, i) => (
            <li key={`${i}-${item}`}>{item}</li>
          ))}
        </ul>
      )}
    </>
  );
}

async function Orders() {
  await connection();
  return <span data-testid="order-count">{await getOrderCount()}</span>;
}

export default function Home() {
  return (
    <main>
      <h1>Restash × Next.js 16</h1>
      <p>
        Every instance of this app keeps its cache, its tags, its rate limits and its idempotency keys on one
        Restash server (the Upstash REST API in front of your own Redis). Start two instances against the same
        server and what you do in one shows up in the other. This page is served by the instance on{' '}
        <Suspense fallback="…">
          <Instance />
        </Suspense>
        .
      </p>

      <section>
        <h2>
          1. A shared <code>'use cache'</code> list
        </h2>
        <p>
          The list below comes from a <code>'use cache'</code> function tagged <code>items</code>, stored by{' '}
          <code>@restash/next/cache-handler</code>. Reload: the “cached at” time stays put. Add an item: the
          server action writes it and calls <code>updateTag('items')</code>, which every instance sees on its
          next request.
        </p>
        <Suspense fallback={<p>Loading…</p>}>
          <ItemList />
        </Suspense>
        <AddItemForm />
      </section>

      <section>
        <h2>2. A rate-limited server action</h2>
        <p>
          Sending is limited to {MESSAGES_PER_MINUTE} messages a minute per client address, counted on the
          server by <code>@restash/ratelimit</code>, so all instances share the budget (the address is the one{' '}
          <code>next start</code> sees; behind a proxy, set <code>trustedProxies</code>). Past it the action
          answers <code>{'{ ok: false, code: "RATE_LIMITED", retryAfterMs }'}</code> instead of throwing.
        </p>
        <MessageForm />
      </section>

      <section>
        <h2>3. An idempotent “place order”</h2>
        <p>
          The button sends the same idempotency key until you start a new order. Double-click it: the first
          call places the order, the duplicates get its stored result. Orders placed so far:{' '}
          <Suspense fallback="…">
            <Orders />
          </Suspense>
          .
        </p>
        <OrderButton />
      </section>
    </main>
  );
}
