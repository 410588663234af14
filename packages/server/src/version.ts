declare const __RESTASH_VERSION__: string | undefined;

/**
 * The version of `@restash/server`, defined at build time from its package.json
 * (and by the workspace's vitest config for tests). Code that loads the sources
 * some other way, such as a vitest globalSetup, sees `0.0.0-source`.
 */
export const VERSION: string = typeof __RESTASH_VERSION__ === 'string' ? __RESTASH_VERSION__ : '0.0.0-source';
