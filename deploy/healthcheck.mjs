// The image's HEALTHCHECK: healthy while GET /-/ready answers 200 (the server is
// up and its Redis answers PING). Exit 0 healthy, 1 not.
import http from 'node:http';
import https from 'node:https';

const port = Number(process.env.RESTASH_PORT ?? 8079);
// With --tls-cert the listener speaks HTTPS; the certificate names the public host,
// not 127.0.0.1, and this probe only asks whether the local process answers.
const secure = Boolean(process.env.RESTASH_TLS_CERT);
const request = (secure ? https : http).get(
  { host: '127.0.0.1', port, path: '/-/ready', timeout: 2500, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', (error) => {
  process.stderr.write(`restash healthcheck: ${error.message}\n`);
  process.exit(1);
});
