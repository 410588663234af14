import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import {
  call,
  post,
  prefix,
  READ_ONLY_TOKEN,
  startRedis,
  startServer,
  type TestRedis,
  until,
} from './helpers.js';

let redis: TestRedis;
const servers: Awaited<ReturnType<typeof startServer>>[] = [];
const SECRET = 'shared-secret-of-the-deployment';

async function server(options: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer({ redisUrl: redis.url, secret: SECRET, aclRecheck: 0, ...options });
  servers.push(started);
  return started;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  await redis.stop();
});

async function user(name: string, password: string, ...rules: string[]) {
  await redis.cli('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, ...rules);
}

async function restToken(base: string, name: string, password: string): Promise<string> {
  const res = await post(base, '/', ['ACL', 'RESTTOKEN', name, password]);
  expect(res.status).toBe(200);
  return (res.body as { result: string }).result;
}

describe('ACL RESTTOKEN', () => {
  it('returns a token through POST /, /pipeline, /multi-exec and a path, and refuses a wrong pair', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw1', '~*', '+@all');
    const token = await restToken(baseUrl, name, 'pw1');
    expect(token).toMatch(/^rst1_[A-Za-z0-9_-]+$/);
    const pipe = await post(baseUrl, '/pipeline', [['ACL', 'RESTTOKEN', name, 'pw1'], ['PING']]);
    expect((pipe.body as { result: string }[])[0]!.result).toMatch(/^rst1_/);
    const tx = await post(baseUrl, '/multi-exec', [['ACL', 'RESTTOKEN', name, 'pw1']]);
    expect((tx.body as { result: string }[])[0]!.result).toMatch(/^rst1_/);
    expect((await call(baseUrl, `/acl/resttoken/${name}/pw1`)).body).toEqual({
      result: expect.stringMatching(/^rst1_/),
    });
    for (const [who, password] of [
      [name, 'wrong'],
      ['nobody-like-this', 'pw1'],
    ]) {
      const res = await post(baseUrl, '/', ['ACL', 'RESTTOKEN', who, password]);
      expect(res).toMatchObject({
        status: 400,
        body: { error: `ERR Wrong password or user "${who}" does not exist` },
      });
    }
    expect((await post(baseUrl, '/', ['ACL', 'RESTTOKEN', name])).status).toBe(400);
    const ro = await post(baseUrl, '/', ['ACL', 'RESTTOKEN', name, 'pw1'], { token: READ_ONLY_TOKEN });
    expect((ro.body as { error: string }).error).toMatch(/^NOPERM/);
  });

  it('runs requests as the user, so Redis enforces its rules and NOPERM passes through', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw', `~${name}:*`, '+get', '+set', '+ping', '+client|setname');
    const token = await restToken(baseUrl, name, 'pw');
    const own = { token };
    expect((await post(baseUrl, '/', ['SET', `${name}:a`, 'mine'], own)).body).toEqual({ result: 'OK' });
    expect((await call(baseUrl, `/get/${name}:a`, own)).body).toEqual({ result: 'mine' });
    const otherKey = await post(baseUrl, '/', ['SET', 'someone-else', 'x'], own);
    expect(otherKey.status).toBe(400);
    expect((otherKey.body as { error: string }).error).toMatch(/^NOPERM/);
    const pipe = await post(
      baseUrl,
      '/pipeline',
      [
        ['GET', `${name}:a`],
        ['DEL', `${name}:a`],
      ],
      own,
    );
    expect(pipe.body).toEqual([{ result: 'mine' }, { error: expect.stringMatching(/^NOPERM/) }]);
    const clients = await redis.cli('CLIENT', 'LIST');
    expect(clients).toContain(`user=${name}`);
  });

  it('revokes tokens when the password changes, the user is disabled or deleted', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    const ping = async (token: string) => (await post(baseUrl, '/', ['PING'], { token })).status;

    await user(name, 'pw', '~*', '+@all');
    let token = await restToken(baseUrl, name, 'pw');
    expect(await ping(token)).toBe(200);
    await redis.cli('ACL', 'SETUSER', name, 'resetpass', '>new-password');
    expect(await ping(token)).toBe(401);
    token = await restToken(baseUrl, name, 'new-password');
    expect(await ping(token)).toBe(200);

    await redis.cli('ACL', 'SETUSER', name, 'off');
    expect(await ping(token)).toBe(401);
    await redis.cli('ACL', 'SETUSER', name, 'on');
    expect(await ping(token)).toBe(200);

    await redis.cli('ACL', 'DELUSER', name);
    const res = await post(baseUrl, '/', ['PING'], { token });
    expect(res).toMatchObject({ status: 401, body: { error: 'WRONGPASS invalid or missing auth token' } });
  });

  it('is accepted by every instance sharing the secret, survives a restart, and not with another secret', async () => {
    const first = await server();
    const second = await server();
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw', '~*', '+@all');
    const token = await restToken(first.baseUrl, name, 'pw');
    expect((await post(second.baseUrl, '/', ['SET', `${name}:k`, 'v'], { token })).body).toEqual({
      result: 'OK',
    });
    await first.close();
    const restarted = await server();
    expect((await post(restarted.baseUrl, '/', ['GET', `${name}:k`], { token })).body).toEqual({
      result: 'v',
    });
    const stranger = await server({ secret: 'another-secret' });
    expect((await post(stranger.baseUrl, '/', ['PING'], { token })).status).toBe(401);
    // One character changed in the sealed part (the last ones may only carry padding bits, or already be "BA").
    const at = Math.floor(token.length / 2);
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(tampered).not.toBe(token);
    expect((await post(second.baseUrl, '/', ['PING'], { token: tampered })).status).toBe(401);
  });

  it('streams as the user, so channel permissions apply', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw', '~*', '+@all', 'resetchannels', '&news*');
    const token = await restToken(baseUrl, name, 'pw');
    const denied = await call(baseUrl, '/subscribe/secrets', { method: 'POST', token });
    expect(denied.status).toBe(400);
    expect((denied.body as { error: string }).error).toMatch(/^NOPERM/);
    const partly = await fetch(`${baseUrl}/subscribe/news/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    // Redis checks every channel of one SUBSCRIBE before running it: nothing is subscribed.
    expect(partly.status).toBe(400);
    expect(await partly.json()).toEqual({ error: expect.stringMatching(/^NOPERM/) });
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/subscribe/news`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('data: subscribe,news,1');
    controller.abort();
  });

  it("serves a user granted only what Upstash's docs grant (+get), without CLIENT SETNAME or an ACL LOG entry", async () => {
    const { baseUrl } = await server({ aclRecheck: 1000 });
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pass', '~*', '+get');
    await redis.cli('ACL', 'LOG', 'RESET');
    const token = await restToken(baseUrl, name, 'pass');
    await redis.cli('SET', `${name}:k`, 'v');
    expect(await post(baseUrl, '/', ['GET', `${name}:k`], { token })).toMatchObject({
      status: 200,
      body: { result: 'v' },
    });
    const write = await post(baseUrl, '/', ['SET', `${name}:k`, 'w'], { token });
    expect(write).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^NOPERM/) } });
    expect(await redis.cli('ACL', 'LOG')).not.toContain('setname');
  });

  it("answers a user's connection that Redis refuses with Redis's NOPERM as a 400, not as unreachable", async () => {
    const { baseUrl } = await server({ redisUrl: `${redis.url}/3` });
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pass', '~*', '+get', '-select');
    const token = await restToken(baseUrl, name, 'pass');
    const res = await post(baseUrl, '/', ['GET', 'k'], { token });
    expect(res).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^NOPERM .*select/) } });
  });

  it('lets a user who may not name connections open a stream', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pass', '&*', '+subscribe');
    const token = await restToken(baseUrl, name, 'pass');
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/subscribe/${name}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const { value } = await res.body!.getReader().read();
    expect(new TextDecoder().decode(value)).toContain(`data: subscribe,${name},1`);
    controller.abort();
  });

  it.each([
    ['resetpass', ['resetpass']],
    ['off', ['off']],
    ['a new password', ['resetpass', '>other']],
  ])('ends an open stream of a user within a second of %s', async (_, rules) => {
    const { baseUrl } = await server({ aclRecheck: 1000 });
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw', '~*', '&*', '+@all');
    const token = await restToken(baseUrl, name, 'pw');
    const res = await fetch(`${baseUrl}/subscribe/${name}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('data: subscribe');
    await redis.cli('ACL', 'SETUSER', name, ...rules);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    // Without the re-check the stream would never end (Redis keeps the connection): the test times out.
    expect(text).toContain('event: error\ndata: ERR the ACL user was revoked');
    expect(await redis.cli('PUBLISH', name, 'after')).toBe('0');
  });

  it('refuses /multi-exec for a user who may not run MULTI, and runs none of its commands', async () => {
    const { baseUrl } = await server();
    const name = `u${prefix().slice(1, -1)}`;
    // +@write does not include MULTI: Redis would refuse it and run the rest one by one, outside any transaction.
    await user(name, 'pw', '~*', '+@read', '+@write', '+client|setname');
    const token = await restToken(baseUrl, name, 'pw');
    const res = await post(
      baseUrl,
      '/multi-exec',
      [
        ['SET', `${name}:a`, '1'],
        ['INCR', `${name}:a`],
      ],
      { token },
    );
    expect(res).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^NOPERM .*'multi'/) } });
    expect(await redis.cli('EXISTS', `${name}:a`)).toBe('0');
    // Pipelines need no MULTI; a user who may run it gets its transactions.
    expect((await post(baseUrl, '/pipeline', [['SET', `${name}:a`, '1']], { token })).body).toEqual([
      { result: 'OK' },
    ]);
    await redis.cli('ACL', 'SETUSER', name, '+multi', '+exec');
    expect(
      (
        await post(
          baseUrl,
          '/multi-exec',
          [
            ['INCR', `${name}:a`],
            ['INCR', `${name}:a`],
          ],
          { token },
        )
      ).body,
    ).toEqual([{ result: 2 }, { result: 3 }]);
  });

  it('answers, and releases the stream of, a client that leaves while its token is being checked', async () => {
    const lines: string[] = [];
    const { baseUrl, http } = await server({ logger: createLogger('debug', (line) => lines.push(line)) });
    const name = `u${prefix().slice(1, -1)}`;
    const channel = `${name}-ch`;
    await user(name, 'pw', '~*', '&*', '+@all');
    const token = await restToken(baseUrl, name, 'pw');
    const responses: ServerResponse[] = [];
    http.on('request', (_req, res: ServerResponse) => responses.push(res));
    const answered = () => lines.filter((line) => line.includes('"msg":"request"')).length;
    const before = answered();
    // The ACL GETUSER check waits in Redis while the clients come and go.
    await redis.cli('CLIENT', 'PAUSE', '2500', 'ALL');
    const port = Number(new URL(baseUrl).port);
    const sockets = [
      `GET /subscribe/${channel} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100\r\n\r\n["PI`,
    ].map((request) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      socket.write(request);
      return socket;
    });
    await until(() => responses.length === 2);
    for (const socket of sockets) socket.destroy();
    await until(() => responses.every((res) => res.destroyed));
    // Once Redis answers the check, both requests are over: answered (to no one), nothing left open.
    await until(() => answered() === before + 2, 10_000);
    expect((await post(baseUrl, '/', ['PUBSUB', 'NUMSUB', channel])).body).toEqual({ result: [channel, 0] });
    await until(async () => !(await redis.cli('CLIENT', 'LIST')).includes('name=restash-stream'));
  });

  it('answers a refused subscription once', async () => {
    const lines: string[] = [];
    const { baseUrl } = await server({ logger: createLogger('debug', (line) => lines.push(line)) });
    const name = `u${prefix().slice(1, -1)}`;
    await user(name, 'pw', '~*', '+@all', 'resetchannels');
    const token = await restToken(baseUrl, name, 'pw');
    const denied = await call(baseUrl, '/subscribe/secrets', { method: 'POST', token });
    expect(denied.status).toBe(400);
    await until(async () => !(await redis.cli('CLIENT', 'LIST')).includes('name=restash-stream'));
    const logged = lines.filter((line) => line.includes('"command":"SUBSCRIBE"'));
    expect(logged.map((line) => JSON.parse(line).status)).toEqual([400]);
  });

  it('closes idle user connections and keeps them within the connection budget', async () => {
    const { baseUrl } = await server({ aclIdle: 200, maxConnections: 3 });
    const names = [1, 2, 3].map((i) => `u${i}${prefix().slice(1, -1)}`);
    const tokens: string[] = [];
    for (const name of names) {
      await user(name, 'pw', '~*', '+@all');
      tokens.push(await restToken(baseUrl, name, 'pw'));
    }
    const userClients = async () =>
      (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => line.includes('name=restash-user'))
        .length;
    expect((await post(baseUrl, '/', ['PING'], { token: tokens[0] })).status).toBe(200);
    expect((await post(baseUrl, '/', ['PING'], { token: tokens[1] })).status).toBe(200);
    await until(async () => (await userClients()) === 2);
    // The budget is 3 (the shared connection and two users): a third user evicts the idlest.
    expect((await post(baseUrl, '/', ['PING'], { token: tokens[2] })).status).toBe(200);
    await until(async () => (await userClients()) === 2);
    await until(async () => (await userClients()) === 0, 5000);
    expect((await post(baseUrl, '/', ['PING'], { token: tokens[0] })).status).toBe(200);
  });
});
