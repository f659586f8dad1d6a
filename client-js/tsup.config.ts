import { defineConfig } from 'tsup';

// ESM and CommonJS for bundlers and Node, with their .d.ts; and one IIFE file (global `Herald`) for a plain
// <script> tag. None has a runtime dependency: Node users pass `ws`'s WebSocket themselves.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2020',
    platform: 'neutral',
  },
  {
    entry: { 'herald-client': 'src/index.ts' },
    format: ['iife'],
    globalName: 'Herald',
    sourcemap: true,
    minify: true,
    target: 'es2020',
    platform: 'browser',
  },
]);
