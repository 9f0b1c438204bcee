/**
 * CloudWatch metric names: the handlers emit them (through Powertools Metrics) and the
 * CDK stack's dashboard and alarms read them, so both use this one list.
 */
export const metricsNamespace = 'Sluice';

export const metricNames = {
  /** Records appended, and their key and value bytes (produce function). */
  recordsIn: 'RecordsIn',
  bytesIn: 'BytesIn',
  /** Records answered to fetches, and their key and value bytes (fetch function). */
  recordsOut: 'RecordsOut',
  bytesOut: 'BytesOut',
  /** Conditional appends that met another writer's item: contention on a partition. */
  appendConflicts: 'AppendConflicts',
  /** Age in seconds of the oldest tail batch the sealer should have sealed but has not (jobs function). */
  sealLagSeconds: 'SealLagSeconds',
  /** Records whose tail items expired before they were sealed (jobs function): data lost. */
  recordsLost: 'RecordsLost',
  /** A group's total lag in records, with dimension `group` (jobs function). */
  consumerLag: 'ConsumerLag',
} as const;

/** What a SluiceTrigger's dispatcher emits, with dimension `trigger`; its own alarms read them. */
export const triggerMetricNames = {
  /** Age in ms of the oldest record of each invocation: how far behind the function is (Lambda's IteratorAge takes the newest). */
  iteratorAge: 'TriggerIteratorAge',
  /** Invocations that failed (they are retried). */
  failedInvocations: 'TriggerFailedInvocations',
  /** Records given up on (sent to the failure destination, or skipped). */
  recordsFailed: 'TriggerRecordsFailed',
} as const;
