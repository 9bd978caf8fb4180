#!/usr/bin/env node
// The `kloop` command. Runs the compiled CLI (built by `npm ci` through `prepare`).
import('../dist/cli/main.js').catch((err) => {
  console.error(`kloop: cannot load the CLI (${err.message}); run \`npm run build\` first`);
  process.exit(1);
});
