/*
 * The two ways OpenTSP shows a card number without revealing it (PCI DSS 4.0 3.4.1: at most
 * the BIN and the last four digits are displayed).
 */

/**
 * The first six and last four digits, the rest as `*`: how problems, reports and the leak
 * scan name a card number (`621234******1232`). A number shorter than 12 digits (the shortest
 * PAN the vault takes) keeps only its last four, so the visible parts never add up to most of it.
 */
export function maskPan(digits: string): string {
  if (digits.length < 12) return `${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
  return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
}

/** `•••• 1232`: the last four only, as the console shows card and token numbers (spaces and dashes ignored). */
export function maskPanLastFour(digits: string): string {
  return `•••• ${digits.replace(/\D/g, '').slice(-4)}`;
}
