import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Headless Chromium for the browser tests: Debian's `chromium` package driven by
// playwright-core, never a browser download. On a machine without it, and running as
// root with apt (CI, the dev VM), it is installed from Debian's packages once; anywhere
// else the error says what to install.

export const chromiumPath = '/usr/bin/chromium';
const installTimeoutMs = 10 * 60_000;

/** Installs Debian's chromium when it is missing (as root with apt-get); throws with what to do otherwise. */
export function ensureChromium(log: (line: string) => void = (line) => console.log(line)): string {
  if (existsSync(chromiumPath)) return chromiumPath;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(`browser tests need Debian's chromium at ${chromiumPath}: install it with \`sudo apt-get install -y chromium\``);
  }
  log('browser: installing Debian chromium (apt-get install chromium) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: installTimeoutMs });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env, timeout: installTimeoutMs });
  if (!existsSync(chromiumPath)) throw new Error(`apt-get installed chromium but ${chromiumPath} is missing`);
  return chromiumPath;
}

/**
 * Headless Chromium with the flags this closed network needs: no background networking,
 * no component updates, no sync (each would try hosts it cannot reach), no sandbox (root).
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
