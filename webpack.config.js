// Nest CLI webpack hook (nest-cli.json "webpackConfigPath"): each app's bundle gets a second entry,
// the OpenAPI import's child process (libs/catalog/src/versions/openapi-import.process.ts), written
// as openapi-import.process.js next to the app's main.js, where ImportProcesses looks for it. Every app
// gets it, so an app that comes to import documents cannot miss it (it costs the others one small file).
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'openapi-import.process': path.join(__dirname, 'libs/catalog/src/versions/openapi-import.process.ts'),
  },
  // the default names the output `<app root>/main.js` (relative to dist/): same folder, one file per entry
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
