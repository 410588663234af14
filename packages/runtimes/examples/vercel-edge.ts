// app/api/visits/route.ts — RESTASH_URL and RESTASH_TOKEN set in the project's environment variables.
import { Redis } from '@restash/core';

export const runtime = 'edge';

const redis = Redis.fromEnv(); // Vercel Edge reads them from process.env

export async function GET(): Promise<Response> {
  const visits = await redis.incr('visits');
  return Response.json({ visits });
}
