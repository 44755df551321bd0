// Types for scripts/vite-plugin-offline.mjs (imported by vite.config.ts).
import type { Plugin } from 'vite';

export function contentSecurityPolicy(opts?: { meta?: boolean; dev?: boolean }): string;
export const CONTENT_SECURITY_POLICY: string;
export function offline(opts?: { swSource?: string; exclude?: RegExp[] }): Plugin;
