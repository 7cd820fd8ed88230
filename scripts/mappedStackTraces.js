'use strict';
// Runs first in each function bundle (scripts/bundles.js puts it there): stack frames of the minified bundle name
// their TypeScript source, through the map beside it (index.js.map). Node's --enable-source-maps reads and parses the
// whole map at every start, about 10 ms of a 70 ms start; this reads it the first time a stack is formatted, which a
// healthy instance may never do. The "use strict" above is the bundle's: its own directive no longer comes first.
(() => {
  const bundle = __filename;
  const folder = require('path').dirname(bundle);
  let map;
  const sourceMap = () => {
    if (map === undefined) {
      try {
        map = new (require('module').SourceMap)(JSON.parse(require('fs').readFileSync(`${bundle}.map`, 'utf8')));
      } catch {
        map = null;
      }
    }
    return map;
  };
  const entryAt = (line, column) => (line > 0 && column > 0 ? sourceMap()?.findEntry(line - 1, column - 1) : undefined);
  // As Node's own mapping does: the name the map gives the enclosing function, else the name at the call in the frame
  // below (both original names), else what V8 calls it (minified).
  const nameOf = (sites, i) => {
    const site = sites[i];
    const caller = sites[i + 1];
    const original =
      entryAt(site.getEnclosingLineNumber?.(), site.getEnclosingColumnNumber?.())?.name ??
      (caller?.getFileName() === bundle ? entryAt(caller.getLineNumber(), caller.getColumnNumber())?.name : undefined);
    if (original) return original;
    const type = site.getTypeName();
    return `${type && type !== 'global' ? `${type}.` : ''}${site.getFunctionName() ?? site.getMethodName() ?? '<anonymous>'}`;
  };
  const frame = (sites, i) => {
    const site = sites[i];
    const at = site.getFileName() === bundle ? entryAt(site.getLineNumber(), site.getColumnNumber()) : undefined;
    if (!at?.originalSource) return String(site);
    const where = `${require('path').resolve(folder, at.originalSource)}:${at.originalLine + 1}:${at.originalColumn + 1}`;
    return `${site.isAsync() ? 'async ' : ''}${site.isConstructor() ? 'new ' : ''}${nameOf(sites, i)} (${where})`;
  };
  Error.prepareStackTrace = (error, sites) => {
    let header;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    return header + sites.map((_, i) => `\n    at ${frame(sites, i)}`).join('');
  };
})();
