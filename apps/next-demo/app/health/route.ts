import { connection } from 'next/server';

/** Readiness check for the start script: answers once the server handles requests. */
export async function GET() {
  await connection();
  return Response.json({ ok: true });
}
