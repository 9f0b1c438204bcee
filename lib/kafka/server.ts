/**
 * The Kafka protocol's transport: a TCP server of size-prefixed frames. Each connection's
 * requests are handled one at a time in arrival order, as a Kafka broker does (a client
 * may pipeline them; answers go back in request order, and an idempotent producer's
 * batches reach a partition in the order sent). What a frame means is the handler's.
 *
 * A declared size below 0 or above maxFrameBytes closes that connection before anything
 * is buffered for it; so does a handler that throws (it answers what the protocol lets
 * it answer and throws only where Kafka closes). Nothing a client sends stops the server,
 * nor makes it hold more than a bounded amount for a connection: reading pauses while
 * too many frames or bytes wait to be handled, and the next frame waits while the client
 * is slow to read the last answer.
 */
import net from 'node:net';
import { ProtocolError } from './protocol/errors.ts';

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
  /** Told of an error of the listening socket, e.g. EMFILE on accept; the server keeps listening. @default ignored */
  readonly onServerError?: (error: unknown) => void;
}

export interface RunningKafkaServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, closes every connection, resolves once closed. */
  close(): Promise<void>;
}

/** Frames waiting per connection before reading pauses: pipelining is bounded. */
const maxQueuedFrames = 64;
/**
 * Bytes of whole frames waiting per connection before reading pauses, so pipelining is
 * bounded in memory too (a Kafka broker reads no request while one is in hand). A larger
 * frame still waits, alone.
 */
const maxQueuedBytes = 1024 * 1024;

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
  // Without a listener an accept error (EMFILE under load) would be thrown and end the process.
  server.on('error', (error) => options.onServerError?.(error));
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
  // Bytes read but not yet cut into frames; they are joined once, when a whole frame is in.
  const chunks: Buffer[] = [];
  let chunkBytes = 0;
  /** The declared size of the frame being read, once its prefix is in. */
  let frameSize: number | undefined;
  const frames: Buffer[] = [];
  let queuedBytes = 0;
  let working = false;

  const fail = (error: unknown) => {
    if (closed.signal.aborted) return;
    options.onConnectionError?.(error, connection);
    socket.destroy();
  };
  socket.on('error', () => socket.destroy());
  socket.once('close', () => closed.abort());

  /**
   * Removes the first n bytes read (n <= chunkBytes) as a new buffer, copying each byte once:
   * a frame outlives its chunks (a produced batch is kept as sent).
   */
  const take = (n: number): Buffer => {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let used = 0;
    while (at < n) {
      const chunk = chunks[used]!;
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) used++;
      else chunks[used] = chunk.subarray(part);
    }
    chunks.splice(0, used);
    chunkBytes -= n;
    return out;
  };

  /** Resolves once the socket has sent what it holds, or is gone. */
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        closed.signal.removeEventListener('abort', done);
        resolve();
      };
      socket.on('drain', done);
      closed.signal.addEventListener('abort', done);
    });

  const work = async () => {
    if (working) return;
    working = true;
    try {
      while (frames.length > 0 && !closed.signal.aborted) {
        const frame = frames.shift()!;
        queuedBytes -= frame.length;
        if (socket.isPaused() && frames.length < maxQueuedFrames && queuedBytes < maxQueuedBytes) socket.resume();
        const answer = await handle(frame, connection);
        if (answer && !closed.signal.aborted) {
          const size = Buffer.allocUnsafe(4);
          size.writeInt32BE(answer.length);
          // A client that does not read must not make answers pile up here.
          if (!socket.write(Buffer.concat([size, answer]))) await drained();
        }
      }
    } catch (error) {
      fail(error);
    } finally {
      working = false;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    chunkBytes += chunk.length;
    for (;;) {
      if (frameSize === undefined) {
        if (chunkBytes < 4) break;
        const size = take(4).readInt32BE(0);
        if (size < 0 || size > options.maxFrameBytes) {
          fail(new ProtocolError(`a frame of ${size} bytes (the limit is ${options.maxFrameBytes})`));
          return;
        }
        frameSize = size;
      }
      if (chunkBytes < frameSize) break;
      const frame = take(frameSize);
      frameSize = undefined;
      frames.push(frame);
      queuedBytes += frame.length;
    }
    if (frames.length >= maxQueuedFrames || queuedBytes >= maxQueuedBytes) socket.pause();
    void work();
  });
}
