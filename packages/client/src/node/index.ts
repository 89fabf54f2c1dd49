/** Node-only parts of @gatehouse/client: a 0600 file token store and the loopback sign-in for desktop and console programs. */
export { FileTokenStore } from './file-store.js';
export { loopbackLogin, openInBrowser, openPrivately, type LoopbackLoginOptions } from './loopback.js';
