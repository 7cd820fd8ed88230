import type { RUN_LIMITS, STACK_UNITS } from '../core/runLimits';

export declare const README: string;
export declare const START: string;
export declare const END: string;
/** The markdown table of run limits, one row per limit of RUN_LIMITS. */
export declare function renderLimitsTable(limits: { RUN_LIMITS: typeof RUN_LIMITS; STACK_UNITS: typeof STACK_UNITS }): string;
/** What stands between the markers (trimmed), or null when they are missing. */
export declare function currentSection(text: string): string | null;
/** `text` with `table` between its markers. */
export declare function withSection(text: string, table: string): string;
