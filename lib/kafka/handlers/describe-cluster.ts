/** DescribeCluster: this gateway as the one broker and the controller, as Metadata names it. */
import { apiHandler } from '../handler.ts';
import { DescribeCluster } from '../protocol/index.ts';

export const describeClusterHandler = apiHandler({
  api: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle: async (request, _version, { settings }) => ({
    errorCode: 0,
    errorMessage: null,
    // Asked for controllers (v1, endpoint type 2), the answer is the same: this gateway is both.
    endpointType: request.endpointType,
    clusterId: settings.clusterId,
    controllerId: settings.nodeId,
    brokers: [{ brokerId: settings.nodeId, host: settings.advertisedHost, port: settings.advertisedPort, rack: null }],
  }),
});
