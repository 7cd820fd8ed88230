// Builds the bundles once per `jest` run: the end-to-end tests start the very servers `npm start` and FC run.
const { buildBundles } = require('../../scripts/bundles.js');
module.exports = async () => {
  buildBundles({ quiet: true });
};
