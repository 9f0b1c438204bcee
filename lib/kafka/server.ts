/**
 * The Kafka protocol's transport: a TCP server of size-prefixed frames. Each connection's
 * requests are handled one at a time in arrival order, as a Kafka broker does (a client
 * may pipeline them; answers go back in request order, and an idempotent producer's
 * batches reach a partition in the order sent). What a frame means is the handler's.
 *
 * A declared size below 0 or above maxFrameBytes closes that connection before anything
 * is buffered for it; so does a handler that throws (it answers what the protocol lets
 * it answer and throws only where Kafka closes). Nothing a client sends stops the server.
 */
import net from 'node:net';

export interface Connection {
  /** The client's address, for logs and DescribeGroups' client host. */
  readonly remoteAddress: string;
  /** Set when the connection is gone: a long poll for it may stop waiting. */
  readonly signal: AbortSignal;
}

/** Answers one request frame (without its size prefix); undefined sends nothing (acks=0). */
export type FrameHandler = (frame: Buffer, connection: Connection) => Promise<Buffer | undefined>;

export interface KafkaServerOptions {
  readonly host: string;
  /** 0: a free port. */
  readonly port: number;
  /** The largest request frame accepted; a larger declared size closes the connection. */
  readonly maxFrameBytes: number;
  /** Told of a connection closed for a protocol fault (never thrown). */
  readonly onConnectionError?: (error: unknown, connection: Connection) => void;
}

export interface RunningKafkaServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, closes every connection, resolves once closed. */
  close(): Promise<void>;
}

/** Frames waiting per connection before reading pauses: pipelining is bounded. */
const maxQueuedFrames = 64;

export async function serveKafka(handle: FrameHandler, options: KafkaServerOptions): Promise<RunningKafkaServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, handle, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: options.host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function serveConnection(socket: net.Socket, handle: FrameHandler, options: KafkaServerOptions): void {
  const closed = new AbortController();
  const connection: Connection = { remoteAddress: socket.remoteAddress ?? 'unknown', signal: closed.signal };
  socket.setNoDelay(true);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const frames: Buffer[] = [];
  let working = false;

  const fail = (error: unknown) => {
    if (closed.signal.aborted) return;
    options.onConnectionError?.(error, connection);
    socket.destroy();
  };
  socket.on('error', () => socket.destroy());
  socket.once('close', () => closed.abort());

  const work = async () => {
    if (working) return;
    working = true;
    try {
      while (frames.length > 0 && !closed.signal.aborted) {
        const frame = frames.shift()!;
        if (frames.length < maxQueuedFrames && socket.isPaused()) socket.resume();
        const answer = await handle(frame, connection);
        if (answer && !closed.signal.aborted) {
          const size = Buffer.allocUnsafe(4);
          size.writeInt32BE(answer.length);
          socket.write(Buffer.concat([size, answer]));
        }
      }
    } catch (error) {
      fail(error);
    } finally {
      working = false;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    let buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readInt32BE(at);
      if (size < 0 || size > options.maxFrameBytes) {
        fail(new FrameError(`a frame of ${size} bytes (the limit is ${options.maxFrameBytes})`));
        return;
      }
      if (buf.length - at - 4 < size) break;
      // A copy: the frame outlives this chunk (a produced batch is kept as sent).
      frames.push(Buffer.from(buf.subarray(at + 4, at + 4 + size)));
      at += 4 + size;
    }
    buf = buf.subarray(at);
    pending = buf.length > 0 ? [buf] : [];
    pendingBytes = buf.length;
    if (frames.length >= maxQueuedFrames) socket.pause();
    void work();
  });
}

/** A frame the transport refuses: the connection is closed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}
