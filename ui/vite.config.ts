import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// A plain SPA bundled into the app (no CDN, no remote code): the CSP in tauri.conf.json allows
// only 'self' and Tauri's IPC.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  // Nothing outside ui/ is served.
  server: { port: 5173, strictPort: true, host: '127.0.0.1', fs: { allow: ['.'] } },
  build: { outDir: 'dist', target: 'safari15', emptyOutDir: true },
  // Vitest runs with mode "test": resolve Svelte's browser build for jsdom component tests.
  resolve: mode === 'test' ? { conditions: ['browser'] } : {},
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
}));
