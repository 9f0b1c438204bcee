/** POST /v1/producers: a producer id and epoch for an idempotent producer. */
import type { InitProducerRequest } from '../core/http-contract.ts';
import { jsonResponse } from './respond.ts';
import type { AnswerOf, RouteContext } from './types.ts';
import { fields, invalid, jsonBody } from './validate.ts';

const initFields = fields<InitProducerRequest>({ transactionalId: true });

/** Kafka puts no limit on transactional.id; this keeps its item small. */
const maxTransactionalIdBytes = 256;

/**
 * Without a transactionalId, a new producer id at epoch 0. With one, the producer id
 * that id always maps to, at the next epoch: every older instance is fenced.
 */
export async function initProducer({ storage, request, config }: RouteContext): Promise<AnswerOf<'initProducer'>> {
  const body = request.body?.length ? jsonBody(request, initFields, config.maxRequestBytes) : {};
  const { transactionalId } = body;
  if (
    transactionalId !== undefined &&
    (typeof transactionalId !== 'string' ||
      transactionalId.length === 0 ||
      // Characters first: a long string is refused without counting its bytes.
      transactionalId.length > maxTransactionalIdBytes ||
      Buffer.byteLength(transactionalId) > maxTransactionalIdBytes)
  ) {
    throw invalid('transactionalId', `must be a string of 1 to ${maxTransactionalIdBytes} bytes`);
  }
  return jsonResponse(200, await storage.producers.init(transactionalId));
}
