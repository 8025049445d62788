import type { Command } from 'commander';

/** `opentsp keys …`: key-encryption key rotation and status (the vault area). */
export function registerKeysCommands(_program: Command): void {}
