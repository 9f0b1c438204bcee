/**
 * FindCoordinator: every gateway is the coordinator of every group (their state is in
 * storage), so each answers with itself. Transactions are not served: a transactional id
 * gets COORDINATOR_NOT_AVAILABLE.
 */
import { apiHandler } from '../handler.ts';
import { FindCoordinator, KafkaErrors } from '../protocol/index.ts';

const GROUP = 0;

export const findCoordinatorHandler = apiHandler({
  api: FindCoordinator,
  minVersion: 0,
  // v5 and v6 add transaction and share-group semantics this gateway does not have.
  maxVersion: 4,
  handle: async (request, version, { settings }) => {
    const me = { nodeId: settings.nodeId, host: settings.advertisedHost, port: settings.advertisedPort };
    const answer = (key: string) =>
      request.keyType === GROUP && key !== ''
        ? { key, ...me, errorCode: 0, errorMessage: null }
        : { key, nodeId: -1, host: '', port: -1, errorCode: KafkaErrors.COORDINATOR_NOT_AVAILABLE.code, errorMessage: request.keyType === GROUP ? 'an empty group id has no coordinator' : 'transactions are not served' };
    if (version >= 4) return { coordinators: request.coordinatorKeys.map(answer) };
    const { key: _key, ...flat } = answer(request.key);
    return flat;
  },
});
