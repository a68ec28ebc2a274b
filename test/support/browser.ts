// Headless Chromium for the console tests: Debian's `chromium`, driven by playwright-core (no
// browser download). Missing on a developer's machine: the tests skip and say why; on CI
// (.ci/run installs the package) they run.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env.ENIPLANE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);

export const chromiumPath = CANDIDATES.find((p) => existsSync(p));

/** `skip` option for node:test: why the browser tests cannot run here, or false. */
export function skipWithoutChromium(): string | false {
  if (chromiumPath) return false;
  if (process.env.CI) throw new Error('CI: Chromium is missing (apt-get install chromium); .ci/run installs it');
  return 'Chromium is not installed (apt-get install chromium): the console browser tests are skipped';
}

export function launchChromium(): Promise<Browser> {
  // Root (as on CI) cannot use Chromium's sandbox.
  return chromium.launch({ executablePath: chromiumPath!, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Where the test run keeps its screenshots (not committed). */
export function screenshotDir(): string {
  const dir = join(process.cwd(), 'test', 'output', 'console');
  mkdirSync(dir, { recursive: true });
  return dir;
}
