import { sveltekit } from '@sveltejs/kit/vite';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Cross-origin isolation (COOP/COEP) for `npm run dev` and `npm run preview`, so SharedArrayBuffer and WASM
 * threads work. Static hosts set the same two headers (see README); hosts that cannot, get coi-serviceworker,
 * which this plugin serves at /coi-serviceworker.js and emits into the build.
 */
function crossOriginIsolation(): Plugin {
  const require = createRequire(import.meta.url);
  const swSource = () => readFileSync(require.resolve('coi-serviceworker/coi-serviceworker.js'), 'utf8');
  const headers = (res: { setHeader(name: string, value: string): void }) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };
  const middleware = (req: { url?: string }, res: { setHeader(n: string, v: string): void; end(s: string): void }, next: () => void) => {
    headers(res);
    if (req.url === '/coi-serviceworker.js') {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(swSource());
      return;
    }
    next();
  };
  return {
    name: 'cross-origin-isolation',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
    generateBundle(options) {
      if (this.environment?.name === 'client' || (this.environment === undefined && options.format === 'es')) {
        this.emitFile({ type: 'asset', fileName: 'coi-serviceworker.js', source: swSource() });
      }
    }
  };
}

export default defineConfig({
  plugins: [crossOriginIsolation(), sveltekit()],
  worker: {
    format: 'es',
    // TF.js WASM threads: Emscripten starts each pthread by evaluating `factory.toString()`, which breaks if the
    // minifier renames or folds away the factory's free variables (`typeof _scriptDir` checks). No mangling or
    // compression in the worker bundle; whitespace still goes.
    rolldownOptions: { output: { minify: { mangle: false, compress: false, codegen: { removeWhitespace: true } } } }
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173 },
  test: {
    include: ['src/**/*.test.ts', 'tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    // Set-up hooks build models, spawn the CLI (eight tsx processes at once in cli.test.ts) or start python: on 2
    // busy cores the default 10 s was exceeded (a CI run failed so).
    hookTimeout: 120_000,
    pool: 'forks'
  }
});
