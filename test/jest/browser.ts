import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH for another build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless chromium for specs that drive a real browser; fails, never skips, when there is none. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No chromium at ${CHROMIUM}: this spec drives a real browser. Install Debian's (apt-get install -y chromium; ` +
        '.ci/run does) or set CHROMIUM_PATH.',
    );
  }
  // Without its sandbox: chromium refuses to start its sandbox as root, which CI is.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
