import type { Browser, Page } from '@playwright/test';
export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: string[];
export declare function launchChromium(extraArgs?: string[]): Promise<Browser>;
export declare function pipeConsole(page: Page, prefix?: string): void;
export declare function openHarness(browser: Browser, baseUrl: string, prefix?: string): Promise<Page>;
