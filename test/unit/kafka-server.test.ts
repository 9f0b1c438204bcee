/**
 * The Kafka transport (lib/kafka/server.ts) with real sockets on a free port: frames cut
 * from a byte stream however it is split, answers in request order, and the faults and
 * slow clients that must cost one connection at most.
 */
import { once } from 'node:events';
import net from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../lib/kafka/protocol/errors.ts';
import { serveKafka, type FrameHandler, type KafkaServerOptions, type RunningKafkaServer } from '../../lib/kafka/server.ts';

const servers: RunningKafkaServer[] = [];
const clients: net.Socket[] = [];
afterEach(async () => {
  for (const socket of clients.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(handle: FrameHandler, options: Partial<KafkaServerOptions> = {}): Promise<RunningKafkaServer> {
  const server = await serveKafka(handle, { host: '127.0.0.1', port: 0, maxFrameBytes: 4 * 1024 * 1024, ...options });
  servers.push(server);
  return server;
}

const echo: FrameHandler = async (frame) => frame;

function sized(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

function indexFrame(index: number): Buffer {
  const frame = Buffer.alloc(4);
  frame.writeUInt32BE(index);
  return frame;
}

interface Client {
  readonly socket: net.Socket;
  /** Resolves with the next answer (without its size); rejects if the connection closes first. */
  next(): Promise<Buffer>;
  /** Resolves once the server has closed the connection. */
  readonly closed: Promise<void>;
}

async function connect(server: RunningKafkaServer): Promise<Client> {
  const socket = net.connect(server.port, server.host);
  clients.push(socket);
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const answers: Buffer[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let chunks: Buffer[] = [];
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.length;
    while (bytes >= 4) {
      const size = Buffer.concat(chunks, 4).readInt32BE(0);
      if (bytes < 4 + size) break;
      const all = Buffer.concat(chunks, bytes);
      answers.push(all.subarray(4, 4 + size));
      chunks = [all.subarray(4 + size)];
      bytes -= 4 + size;
    }
    wake?.();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      ended = true;
      wake?.();
      resolve();
    }),
  );
  const next = async (): Promise<Buffer> => {
    while (answers.length === 0) {
      if (ended) throw new Error('the server closed the connection');
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return answers.shift()!;
  };
  return { socket, next, closed };
}

describe('serveKafka', () => {
  it('answers pipelined requests one at a time, in request order', async () => {
    let active = 0;
    let mostActive = 0;
    const server = await start(async (frame) => {
      active++;
      mostActive = Math.max(mostActive, active);
      // Earlier requests take longer: handled concurrently, they would be answered out of order.
      await new Promise((resolve) => setTimeout(resolve, frame.readUInt32BE(0) % 2 === 0 ? 5 : 0));
      active--;
      return frame;
    });
    const client = await connect(server);
    const frames = Array.from({ length: 50 }, (_, i) => Buffer.concat([indexFrame(i), Buffer.alloc(i * 7, i)]));
    // Half in one write, half a write per turn: frames arrive while earlier ones are in hand.
    client.socket.write(Buffer.concat(frames.slice(0, 25).map(sized)));
    for (const frame of frames.slice(25)) {
      client.socket.write(sized(frame));
      await nextTurn();
    }
    for (const frame of frames) expect(await client.next()).toEqual(frame);
    expect(mostActive).toBe(1);
  });

  it('assembles a frame that arrives one byte at a time', async () => {
    const server = await start(echo);
    const client = await connect(server);
    const frames = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.from('second')];
    for (const byte of Buffer.concat(frames.map(sized))) {
      client.socket.write(Buffer.of(byte));
      await nextTurn(); // lets the server read each byte on its own
    }
    for (const frame of frames) expect(await client.next()).toEqual(frame);
  });

  it('receives a 1 MiB frame sent in many small writes intact', async () => {
    const server = await start(echo);
    const client = await connect(server);
    const frame = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < frame.length; i += 4) frame.writeUInt32BE(i, i);
    const bytes = sized(frame);
    for (let at = 0; at < bytes.length; at += 1000) {
      if (!client.socket.write(bytes.subarray(at, at + 1000))) await once(client.socket, 'drain');
    }
    expect((await client.next()).equals(frame)).toBe(true);
  });

  it.each([
    ['over the limit', 1025],
    ['negative', -1],
  ])('closes a connection declaring a size %s before its frame arrives; others are still served', async (_, size) => {
    const faults: unknown[] = [];
    const server = await start(echo, { maxFrameBytes: 1024, onConnectionError: (error) => faults.push(error) });
    const bad = await connect(server);
    const good = await connect(server);
    good.socket.write(sized(Buffer.from('before')));
    expect(await good.next()).toEqual(Buffer.from('before'));

    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    bad.socket.write(prefix); // only the prefix: the server must not wait for the body
    await bad.closed;
    expect(faults).toHaveLength(1);
    expect(faults[0]).toBeInstanceOf(ProtocolError);

    good.socket.write(sized(Buffer.alloc(1024, 1)));
    expect(await good.next()).toEqual(Buffer.alloc(1024, 1));
  });

  it('closes only the connection whose request makes the handler throw', async () => {
    const faults: unknown[] = [];
    const boom = new Error('boom');
    const server = await start(
      async (frame) => {
        if (frame.toString() === 'boom') throw boom;
        return frame;
      },
      { onConnectionError: (error) => faults.push(error) },
    );
    const bad = await connect(server);
    const good = await connect(server);
    bad.socket.write(Buffer.concat([sized(Buffer.from('ok')), sized(Buffer.from('boom')), sized(Buffer.from('never'))]));
    expect(await bad.next()).toEqual(Buffer.from('ok'));
    await bad.closed;
    await expect(bad.next()).rejects.toThrow('closed');
    expect(faults).toEqual([boom]);

    good.socket.write(sized(Buffer.from('still here')));
    expect(await good.next()).toEqual(Buffer.from('still here'));
  });

  it('handles no further requests while a client does not read its answers', async () => {
    const answerBytes = 4 * 1024 * 1024;
    const count = 16;
    let calls = 0;
    let called: (() => void) | undefined;
    const server = await start(async (frame) => {
      calls++;
      called?.();
      const answer = Buffer.alloc(answerBytes);
      frame.copy(answer);
      return answer;
    });
    const client = await connect(server);
    client.socket.pause();
    const firstCall = new Promise<void>((resolve) => (called = resolve));
    client.socket.write(Buffer.concat(Array.from({ length: count }, (_, i) => sized(indexFrame(i)))));
    await firstCall;
    // A server that ignores backpressure handles every request in this turn, its answers
    // piling up in memory; one that waits stops once the kernel's buffers are full, a few
    // answers in (4 MiB each).
    await nextTurn();
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(6);

    client.socket.resume();
    for (let i = 0; i < count; i++) {
      const answer = await client.next();
      expect(answer.length).toBe(answerBytes);
      expect(answer.readUInt32BE(0)).toBe(i);
    }
    expect(calls).toBe(count);
  });

  it('stops reading a pipelining client once a few MiB of requests wait', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = await start(async (frame) => {
      await held;
      return frame.subarray(0, 4);
    });
    const client = await connect(server);
    // 40 frames of 1 MiB: fewer than the frame-count bound, far more than the byte bound
    // and the kernel's buffers hold.
    const count = 40;
    const body = Buffer.alloc(1024 * 1024);
    let flushed = true;
    for (let i = 0; i < count; i++) {
      indexFrame(i).copy(body);
      flushed = client.socket.write(sized(body));
    }
    expect(flushed).toBe(false);
    // The server gives no sign of having stopped reading, so this one waits: a server that
    // queued every frame would have taken all 40 MiB (and drained the client) by then.
    const drained = await Promise.race([
      once(client.socket, 'drain').then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    expect(drained).toBe(false);

    release();
    for (let i = 0; i < count; i++) expect((await client.next()).readUInt32BE(0)).toBe(i);
  });

  it('close() ends open connections', async () => {
    const server = await start(echo);
    const client = await connect(server);
    client.socket.write(sized(Buffer.from('hello')));
    expect(await client.next()).toEqual(Buffer.from('hello'));
    servers.splice(servers.indexOf(server), 1);
    await server.close();
    await client.closed;
  });
});
