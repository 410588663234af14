import { startDemo } from './bootstrap.js';
import { readConfig } from './config.js';

let config: ReturnType<typeof readConfig>;
try {
  config = readConfig(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(
    '[nest-demo] usage: PORT=3002 HOST=127.0.0.1 RESTASH_URL=http://127.0.0.1:8079 RESTASH_TOKEN=… pnpm start',
  );
  process.exit(1);
}

const { url } = await startDemo({
  port: config.port,
  host: config.host,
  restashUrl: config.restashUrl,
  restashToken: config.restashToken,
});
console.log(`nest-demo listening on ${url}`);
