import type { Command } from 'commander';

/** `opentsp clients …` and `opentsp issuers …`: the client registry (the identity area). */
export function registerRegistryCommands(_program: Command): void {}
