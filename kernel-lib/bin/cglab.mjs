#!/usr/bin/env node
// Thin launcher kept outside dist/ so npm can link it before the first build.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`cglab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
