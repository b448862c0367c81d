import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The api serves this build from dist/web (WEB_DIST_DIR); `npm run dev -w @portico/web` serves the
// sources with hot reload and forwards /v1 to an api on localhost:3000 (API_ORIGIN to change it).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    proxy: { '/v1': process.env.API_ORIGIN ?? 'http://localhost:3000' },
  },
});
