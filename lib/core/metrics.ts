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
  /** Age in ms of the oldest record of each invocation a trigger makes, with dimension `trigger` (Lambda's IteratorAge). */
  triggerIteratorAge: 'TriggerIteratorAge',
  /** A trigger's invocations that failed (they are retried), with dimension `trigger`. */
  triggerFailedInvocations: 'TriggerFailedInvocations',
  /** Records a trigger gave up on (sent to its failure destination, or skipped), with dimension `trigger`. */
  triggerRecordsFailed: 'TriggerRecordsFailed',
} as const;
