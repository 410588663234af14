'use server';

import { refresh } from 'next/cache';
import { restash } from './lib/restash';

export type AddItemState = { ok: true; text: string } | { ok: false; error: string } | null;
export type MessageState =
  | { ok: true; text: string; sent: number }
  | { ok: false; code: 'RATE_LIMITED'; retryAfterMs: number }
  | { ok: false; code: 'EMPTY' }
  | null;
export type OrderResult = { ok: true; orderId: number } | { ok: false; error: string };

/** Adds an item to the shared list, then updates the 'items' tag on every instance. */
export async function addItem(_previous: AddItemState, form: FormData): Promise<AddItemState> {
  const text = String(form.get('item') ?? '')
    .trim()
    .slice(0, 80);
  if (!text) return { ok: false, error: 'Type something to add.' };
  const { redis, keys, kit } = restash();
  await redis.lpush(keys.items, text);
  await kit.invalidate(['items']);
  return { ok: true, text };
}

let sendLimited: ((previous: MessageState, form: FormData) => Promise<MessageState>) | undefined;

/** Sends a message, at most MESSAGES_PER_MINUTE per client address per minute across all instances. */
export async function sendMessage(previous: MessageState, form: FormData): Promise<MessageState> {
  if (!sendLimited) {
    const { kit, limiter } = restash();
    let sent = 0;
    sendLimited = kit.rateLimit(
      async (_previous: MessageState, data: FormData): Promise<MessageState> => {
        const text = String(data.get('message') ?? '').trim();
        if (!text) return { ok: false, code: 'EMPTY' };
        sent++;
        return { ok: true, text, sent };
      },
      { limiter },
    );
  }
  return sendLimited(previous, form);
}

let order: ((key: string) => Promise<OrderResult>) | undefined;

/** Places one order per idempotency key, however many times the button is pressed. */
export async function placeOrder(key: string): Promise<OrderResult> {
  if (typeof key !== 'string' || !/^[\w-]{8,64}$/.test(key)) return { ok: false, error: 'Bad order key.' };
  if (!order) {
    const { redis, keys, kit } = restash();
    order = kit.idempotent(
      async (orderKey: string): Promise<OrderResult> => {
        const orderId = await redis.incr(keys.orderCount);
        await redis.rpush(keys.orders, JSON.stringify({ orderId, key: orderKey, at: Date.now() }));
        return { ok: true, orderId };
      },
      { key: (orderKey) => `order:${orderKey}`, ttl: 3600 },
    );
  }
  const result = await order(key);
  // Re-render the page for this client, so "Orders placed so far" counts the new order.
  refresh();
  return result;
}
