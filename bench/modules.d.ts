/** node-oidc-provider ships no type declarations; the benchmark uses a small part of it. */
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
}
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  const MemoryAdapter: any;
  export default MemoryAdapter;
  export function setStorage(store: Map<unknown, unknown>): void;
}
declare module 'autocannon' {
  const autocannon: (options: Record<string, unknown>) => { on(event: string, listener: (...args: any[]) => void): void };
  export default autocannon;
}
