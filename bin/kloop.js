#!/usr/bin/env node
// The `kloop` command: the compiled CLI in dist/ (`npm run build`; shipped in the package).
// Plain JavaScript at run time: no TypeScript loader is needed to run kloop itself.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
