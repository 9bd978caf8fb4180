#!/usr/bin/env node
// The `kloop` command. It runs the TypeScript sources through tsx (a runtime dependency), so
// `kloop demo` can load the runnable examples shipped beside them.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
