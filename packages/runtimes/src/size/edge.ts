// A Vercel Edge function reading one key.
import { Redis } from '@restash/core';

export const config = { runtime: 'edge' };

export default async function handler(): Promise<Response> {
  return Response.json(await Redis.fromEnv().get('greeting'));
}
