'use client';

import { useActionState, useRef, useState, useTransition } from 'react';
import {
  type AddItemState,
  addItem,
  type MessageState,
  type OrderResult,
  placeOrder,
  sendMessage,
} from './actions';

export function AddItemForm() {
  const [state, action, pending] = useActionState<AddItemState, FormData>(addItem, null);
  return (
    <form action={action} className="row">
      <input name="item" placeholder="e.g. apples" aria-label="New item" maxLength={80} />
      <button type="submit" disabled={pending}>
        Add item
      </button>
      {state?.ok === true && <span role="status">Added “{state.text}”</span>}
      {state?.ok === false && <span role="alert">{state.error}</span>}
    </form>
  );
}

export function MessageForm() {
  const [state, action, pending] = useActionState<MessageState, FormData>(sendMessage, null);
  return (
    <form action={action} className="row">
      <input name="message" placeholder="Say hello" aria-label="Message" defaultValue="hello" />
      <button type="submit" disabled={pending}>
        Send
      </button>
      <span role="status" data-testid="message-status">
        {state === null && 'Not sent yet.'}
        {state?.ok === true && `Sent “${state.text}”.`}
        {state?.ok === false &&
          state.code === 'RATE_LIMITED' &&
          `Rate limited: try again in ${Math.ceil(state.retryAfterMs / 1000)} s.`}
        {state?.ok === false && state.code === 'EMPTY' && 'Type a message first.'}
      </span>
    </form>
  );
}

export function OrderButton() {
  const key = useRef<string | null>(null);
  const [result, setResult] = useState<OrderResult | null>(null);
  const [clicks, setClicks] = useState(0);
  const [, startTransition] = useTransition();

  const order = () => {
    // One key per order: every click until "New order" sends the same one.
    key.current ??= crypto.randomUUID();
    const sent = key.current;
    setClicks((n) => n + 1);
    startTransition(async () => {
      const answer = await placeOrder(sent);
      // An answer for an order the user has since replaced is not shown as this one's.
      if (key.current === sent) setResult(answer);
    });
  };

  return (
    <div className="row">
      <button type="button" onClick={order}>
        Place order
      </button>
      <button
        type="button"
        onClick={() => {
          key.current = null;
          setResult(null);
          setClicks(0);
        }}
      >
        New order
      </button>
      <span role="status" data-testid="order-status">
        {clicks > 0 && `${clicks} click${clicks === 1 ? '' : 's'} sent. `}
        {result?.ok === true && `Order #${result.orderId} placed.`}
        {result?.ok === false && result.error}
      </span>
    </div>
  );
}
