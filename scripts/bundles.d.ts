export declare const ROOT: string;
export declare const ENTRIES: Record<string, { entry: string; function: boolean; optional?: boolean; nativeDeps?: string[] }>;
export declare function buildBundles(options?: { outDir?: string; names?: string[]; quiet?: boolean }): Record<string, string>;
