// The app uses the browser's Web Crypto global (`crypto.getRandomValues`). Node has it as a global only
// from Node 19 on; Debian 12's Node 18 has the same object as `webcrypto` in node:crypto. A plain .mjs
// file so that the type check (tsconfig: src, tests/*.ts) does not need Node's type definitions.
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto) {
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}
