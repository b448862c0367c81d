// Docker HEALTHCHECK for the single Portico image. It finds which app the container runs
// (`node dist/apps/<app>/main.js` in /proc) and GETs that app's /health on its port.
// Usage: node docker/healthcheck.js [api|gateway|worker|standalone]   (exit 0 = healthy)
'use strict';
const fs = require('node:fs');
const http = require('node:http');

/** Port variable and default of each long-running app. */
const PORTS = {
  api: ['API_PORT', 3000],
  standalone: ['API_PORT', 3000],
  gateway: ['GATEWAY_PORT', 8080],
  worker: ['WORKER_PORT', 3001],
};

function runningApp() {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    const match = /dist\/apps\/([a-z-]+)\/main\.js/.exec(cmdline);
    if (match) return match[1];
  }
  return undefined;
}

const app = process.argv[2] || runningApp();
if (app === 'cli') process.exit(0);
if (!app || !(app in PORTS)) {
  console.error(`healthcheck: no Portico app found running (${app ?? 'none'})`);
  process.exit(1);
}
const [variable, fallback] = PORTS[app];
const port = Number(process.env[variable] || fallback);
const request = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => {
  console.error(`healthcheck: ${app} on :${port}: ${error.message}`);
  process.exit(1);
});
