import { existsSync } from 'node:fs';

/** Debian's Chromium, or the one `CHROMIUM_PATH` names. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * How every browser test of the project starts Chromium: headless, and with nothing of its own
 * going to the network (this machine has none; Chromium's background requests would be refused).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether Chromium is there. Without it browser suites skip, unless `E2E_REQUIRED` is set (CI
 * sets it): then its absence is a failure, thrown here.
 *
 * @example
 * ```ts
 * import { chromium } from 'playwright-core';
 * describe.runIf(hasChromium())('in Chromium', () => {
 *   const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
 * });
 * ```
 */
export function hasChromium(): boolean {
  const found = existsSync(CHROMIUM_PATH);
  if (!found && process.env['E2E_REQUIRED']) throw new Error(`no Chromium at ${CHROMIUM_PATH}`);
  return found;
}
