// Client-rendered static app: nothing runs on a server.
export const ssr = false;
export const prerender = true;
