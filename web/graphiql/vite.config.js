// Builds the GraphiQL page cdp360 embeds (src/http/graphiql.rs): `npm run build` writes dist/,
// which is committed so that `cargo build` needs no Node.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The licenses of every bundled package, served at /graphiql/licenses.
    license: { fileName: 'THIRD_PARTY_LICENSES.md' },
    sourcemap: false,
    // Monaco and GraphiQL are large; one big hashed chunk is what we want to cache.
    chunkSizeWarningLimit: 8000,
    // No polyfill: every browser GraphiQL 5 supports has module preload.
    modulePreload: { polyfill: false },
    // Fonts and icons stay files (or the data: URIs their packages ship), never inlined scripts.
    assetsInlineLimit: 0,
    rolldownOptions: {
      // One script instead of a dozen lazy chunks: fewer files to embed and serve.
      output: { codeSplitting: false },
      onwarn(warning, warn) {
        // React libraries' "use client" markers mean nothing outside a server-components bundler.
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  // Monaco's workers (graphiql/setup-workers/vite) as module workers, each its own hashed file.
  worker: { format: 'es', rolldownOptions: { output: { codeSplitting: false } } },
});
