// Vite: the browser UI (src/ui) built to dist/ui, served by the host.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./src/ui'),
  base: './',
  plugins: [react()],
  build: { outDir: here('./dist/ui'), emptyOutDir: true, reportCompressedSize: false },
  logLevel: 'warn',
});
