/**
 * InitProducerId: a Sluice producer id and epoch (POST /v1/producers), so a Kafka client's
 * idempotent batches are checked by the same sequence heads as the SDK's. A transactional
 * id gets the same producer id at the next epoch, fencing the older instance; transactions
 * themselves are not served.
 */
import { apiHandler } from '../handler.ts';
import { InitProducerId } from '../protocol/index.ts';

export const initProducerIdHandler = apiHandler({
  api: InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  handle: async (request, _version, { storage }) => {
    const { producerId, producerEpoch } = await storage.producers.init(request.transactionalId ?? undefined);
    return { errorCode: 0, producerId: BigInt(producerId), producerEpoch };
  },
});
