// Loaded with `node --require` into a benchmarked child: prints its peak resident set size at
// exit, so that a script can compare the memory of runs it starts.
process.on('exit', () => process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`));
