// What a module of NOT_BUNDLED (scripts/bundles.js) resolves to in the function bundles. Those modules are required
// only on paths pocketrun never takes, so reaching this means that list is wrong: fail loudly, naming the list.
'use strict';
throw new Error('pocketrun: a module left out of this bundle was required (NOT_BUNDLED in scripts/bundles.js)');
