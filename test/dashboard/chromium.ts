/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` package driven by
 * playwright-core. The package is installed here when missing (the machine runs as root; CI's
 * `.ci/run` installs it too), never as a dependency of kloop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing; throws with apt-get's output when that fails. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { encoding: 'utf8', env });
  let result = install();
  if (result.status !== 0) {
    // A fresh machine has no package lists yet.
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env });
    result = install();
  }
  if (result.status !== 0 || !existsSync(CHROMIUM)) {
    throw new Error(`cannot install chromium (apt-get install -y chromium): ${result.stderr || result.stdout}`);
  }
}

/** A fresh headless Chromium with its own profile folder; `close` ends it and removes the folder. */
export async function launchChromium(
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'kloop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
