export declare const ROOT: string;
export declare const ENTRIES: Record<string, { entry: string; function: boolean; optional?: boolean; page?: boolean; bwrap?: boolean; nativeDeps?: string[]; external?: string[] }>;
/** Absolute path of the static bwrap scripts/build-bwrap.sh builds (may not exist). */
export declare const BWRAP_BINARY: string;
/** Where a bundle with `bwrap` carries it, relative to the bundle folder. */
export declare const BUNDLED_BWRAP: string;
export declare function buildBundles(options?: { outDir?: string; names?: string[]; quiet?: boolean }): Record<string, string>;
