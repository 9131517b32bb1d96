import { serviceMain } from '@fareledger/runtime';
import { startCity } from './city.js';
import { cityHelp, loadCityConfig } from './config.js';

// `npm start`: the whole system in one process on the embedded tap log. Config from the
// environment (`--help` lists it; `--no-sim` switches the built-in simulator off), then run
// until SIGINT/SIGTERM; a restart on the same data directory continues the same chains.
await serviceMain({
  name: 'city',
  help: cityHelp,
  shutdownMsMaxEnv: 'CITY_SHUTDOWN_MS_MAX',
  shutdownMsMaxDefault: 20_000,
  flags: { '--no-sim': { CITY_SIMULATE: 'false' } },
  start: async (logger, signal) => {
    const city = await startCity(loadCityConfig(), { logger, signal });
    process.stdout.write(banner(city.url, city.credentialsPath));
    return city;
  },
});

function banner(url: string, credentialsPath: string): string {
  return [
    '',
    `  Fareledger is running on ${url}`,
    `    home page        ${url}/`,
    `    API docs         ${url}/docs`,
    `    verify invoices  ${url}/verify`,
    `    demo credentials ${credentialsPath} (devices, wallets, an auditor, the admin token)`,
    '  Ctrl-C stops it; npm start again continues the same ledger.',
    '',
    '',
  ].join('\n');
}
