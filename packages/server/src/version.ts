declare const __RESTASH_VERSION__: string;

/** The version of `@restash/server` (defined at build time from its package.json). */
export const VERSION: string = __RESTASH_VERSION__;
