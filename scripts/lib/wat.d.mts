// Types of wat.mjs for the TypeScript tests that import it.
export declare const SCAN_WAT: string;
export declare function expandMadd(text: string, relaxed: boolean): string;
export declare function compileScan(relaxed: boolean, text?: string): Promise<Uint8Array>;
export declare function scanModuleSource(): Promise<string>;
