// Cucumber settings of the `features` project (run from this folder by tools/run-features.mjs).
// TypeScript steps load through `node --import tsx` with `import:` globs (`loader:` fails on Node 20).
export default {
  // Feature files: tools/run-features.mjs passes `*.feature` unless given some (CLI paths would be merged with a `paths:` here).
  import: ['support/**/*.ts', 'steps/**/*.ts'],
  format: ['progress', 'html:../reports/features/index.html', 'json:../reports/features/cucumber.json', 'junit:../reports/features/junit.xml'],
  formatOptions: { snippetInterface: 'async-await' },
  // One scenario at a time: the scenarios start real peers and count RTP on a 2-core machine.
  parallel: 0,
  retry: 0,
  strict: true,
};
