import type { IncomingMessage } from 'node:http';

/**
 * Node only: reads a request's body as the exact bytes received, for `verifyWebhook` when no
 * framework body parser ran (plain `node:http`). With Express use `express.raw()` instead.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   const event = await wallet.verifyWebhook(await readRawBody(req), req.headers);
 *   res.writeHead(204).end();
 * });
 * ```
 * @throws RangeError when the body exceeds `limitBytes` (default 1 MiB).
 */
export async function readRawBody(req: IncomingMessage, limitBytes = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limitBytes) throw new RangeError(`webhook body larger than ${limitBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
