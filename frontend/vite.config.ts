import { defineConfig } from 'vitest/config';

// The dev server proxies /api to the gateway like nginx does in production.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:5005', changeOrigin: false } },
  },
  build: { target: 'es2022', sourcemap: true },
  test: { environment: 'node', include: ['tests/**/*.test.ts'], setupFiles: ['tests/setup-webcrypto.mjs'] },
});
