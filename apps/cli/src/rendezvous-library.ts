import type { AddressInfo } from 'node:net';

/** The part of `@fmi/self-hosted`'s rendezvous library the CLI uses. */
export interface RendezvousLibrary {
  startRendezvousServer(options: { host?: string; port?: number; serverKey: string }): Promise<{ readonly address: AddressInfo; close(): Promise<void> }>;
  deriveJobSecret(serverKey: string, job: string): string;
  generateServerKey(): string;
}

/**
 * Loads the rendezvous server library of the installed `@fmi/self-hosted`. Its entry does not export
 * it yet (asked of the lead), so the modules next to the entry are loaded: they belong to the same
 * installed version, and `fmi rendezvous` runs exactly the server the ranks' direct channel speaks to.
 */
export async function loadRendezvousLibrary(): Promise<RendezvousLibrary> {
  const entry = import.meta.resolve('@fmi/self-hosted');
  const [server, secret] = await Promise.all([
    import(new URL('./rendezvous/server.js', entry).href),
    import(new URL('./rendezvous/job-secret.js', entry).href),
  ]);
  return {
    startRendezvousServer: server.startRendezvousServer,
    deriveJobSecret: secret.deriveJobSecret,
    generateServerKey: secret.generateServerKey,
  };
}
