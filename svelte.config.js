import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // Static, client-rendered: every route falls back to index.html.
    adapter: adapter({ fallback: 'index.html' }),
    // Type-check the Playwright config too (tests/ is already included) (`npm run check`, the first step of `npm test`).
    typescript: {
      config(tsconfig) {
        tsconfig.include.push('../playwright.config.ts');
      }
    }
  }
};

export default config;
