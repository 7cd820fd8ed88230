// Lets ts-jest-compiled modules import the page as text, as esbuild's `text` loader does in the bundles.
module.exports = { process: (src) => ({ code: `module.exports = { __esModule: true, default: ${JSON.stringify(src)} };` }) };
