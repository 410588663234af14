import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Next loads cache handlers itself at run time, from the built package.
const useCacheHandler = require.resolve('@restash/next/cache-handler');

/** @type {import('next').NextConfig} */
export default {
  cacheComponents: true,
  partialPrefetching: true,
  // 'use cache' entries and their tags live on the Restash server, shared by every instance.
  cacheHandlers: { default: useCacheHandler, remote: useCacheHandler },
  // Pages, route handlers and fetch() results too; no per-instance memory layer in front.
  cacheHandler: require.resolve('@restash/next/incremental-cache'),
  cacheMaxMemorySize: 0,
  // The workspace typechecks the app (pnpm typecheck); the build only compiles, to stay fast.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
};
