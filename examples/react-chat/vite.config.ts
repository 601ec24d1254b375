import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The page and the API share one origin (this server proxies /api, /socket.io and /uploads to Raven), so the
// httpOnly accessToken cookie that sign-in sets also authenticates the WebSocket handshake, and no CORS is needed.
// changeOrigin stays false: Raven accepts a cookie on a WebSocket only from its own origin (Host = Origin) or CORS_ORIGIN.
// (Typed here so the example needs no @types/node.)
declare const process: { env: Record<string, string | undefined> };
const raven = process.env.RAVEN_SERVER_URL ?? 'http://localhost:8080';
const proxy = {
  '/api': { target: raven },
  '/uploads': { target: raven },
  '/socket.io': { target: raven, ws: true },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
