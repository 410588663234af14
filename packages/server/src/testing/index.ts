export { freePort } from '../embedded/free-port.js';
export { startRedis, type TestRedis, tempDir, until } from './redis.js';
export { prefix, startTestServer } from './server.js';
export {
  type ClusterOptions,
  SENTINEL_MASTER_NAME,
  type SentinelGroupOptions,
  startCluster,
  startSentinelGroup,
  type TestCluster,
  type TestNode,
  type TestSentinelGroup,
} from './topology.js';
