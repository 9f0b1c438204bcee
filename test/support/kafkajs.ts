/**
 * kafkajs's own protocol code, loaded from its sources: the independent implementation the
 * codec and segment tests check ours against.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** kafkajs's CRC-32C. */
export const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buf: Buffer) => number;
