import { cardMetadataRepository, type CardMetadata } from '../../store/card-metadata.repository';
import type { TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import { verificationRepository } from '../../store/verification.repository';
import type { TokenPorts } from './ports';
import { toTokenView, type Token, type VerificationMethod } from './token-view';

/**
 * Contract views of stored tokens, for a whole page at once: one query for the cards (none
 * when the caller's query returned them: `knownCards`), one for the ID&V offers of INACTIVE
 * tokens, issuer names from the in-memory registry.
 */
export async function tokenViews(executor: Executor, ports: TokenPorts, rows: readonly TokenRow[], knownCards?: Map<string, CardMetadata>): Promise<Token[]> {
  if (rows.length === 0) return [];
  const cards =
    knownCards ??
    (await cardMetadataRepository.byRefs(
      executor,
      rows.map((r) => r.card_ref),
    ));
  const inactive = rows.filter((r) => r.status === 'INACTIVE').map((r) => r.token_ref);
  const offers = await verificationRepository.idvMethodsOf(executor, inactive);
  return rows.map((row) =>
    toTokenView(row, cards.get(row.card_ref), ports.registry.getIssuer(row.issuer_id), offers.get(row.token_ref) as VerificationMethod[] | undefined),
  );
}

/** The contract view of one stored token. */
export async function tokenView(executor: Executor, ports: TokenPorts, row: TokenRow, knownCards?: Map<string, CardMetadata>): Promise<Token> {
  const [view] = await tokenViews(executor, ports, [row], knownCards);
  return view as Token;
}
