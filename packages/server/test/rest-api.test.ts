import { startRedis, startServer } from './helpers.js';
import { restApiSuite } from './rest-api.suite.js';

restApiSuite(async () => {
  const redis = await startRedis();
  const server = await startServer({ redisUrl: redis.url, maxRequestSize: 64 * 1024 });
  return {
    server,
    cli: (...args) => redis.cli(...args),
    close: async () => {
      await server.close();
      await redis.stop();
    },
  };
});
