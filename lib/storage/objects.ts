/**
 * Reads of the data bucket's objects (staged batches, segments). In a replica region the
 * bucket is a cross-region replica, which lags its source by seconds to minutes: a key
 * the replica does not have yet is read from the home region's bucket instead.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * An object named by an item we just read is gone: the sealer moved a staged batch into a
 * segment, or retention or compaction replaced a segment, between our two reads.
 */
export class ObjectGoneError extends Error {}

interface Bucket {
  readonly s3: S3Client;
  readonly name: string;
}

export class ObjectReader {
  constructor(
    private readonly local: Bucket,
    /** The home region's bucket, when `local` is a replica of it. */
    private readonly source?: Bucket,
  ) {}

  /** The object's bytes, or bytes [start, end) of it; ObjectGoneError if neither bucket has it. */
  async read(key: string, range?: { readonly start: number; readonly end: number }): Promise<Buffer> {
    try {
      return await get(this.local, key, range);
    } catch (err) {
      if (!this.source || !isNoSuchKey(err)) throw gone(key, err);
      return get(this.source, key, range).catch((fallbackErr: unknown) => {
        throw gone(key, fallbackErr);
      });
    }
  }
}

async function get(bucket: Bucket, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const object = await bucket.s3.send(
    new GetObjectCommand({ Bucket: bucket.name, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}) }),
  );
  return Buffer.from(await object.Body!.transformToByteArray());
}

function isNoSuchKey(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'NoSuchKey';
}

/** S3's NoSuchKey as ObjectGoneError; anything else as it is. */
function gone(key: string, err: unknown): unknown {
  return isNoSuchKey(err) ? new ObjectGoneError(key, { cause: err }) : err;
}
