"""ListOffsets through kafka-python's KafkaConsumer: beginning_offsets, end_offsets and
offsets_for_times of a topic's partitions.

    offsets.py BOOTSTRAP TOPIC PARTITIONS TIMESTAMP...

Prints one JSON line: {"beginning": {partition: offset}, "end": {partition: offset},
"forTimes": [{timestamp, partition, offset, recordTimestamp} per TIMESTAMP and partition,
offset and recordTimestamp null where kafka-python answers None]}.
"""
import json
import sys

from kafka import KafkaConsumer, TopicPartition


def main():
    bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timestamps = [int(t) for t in sys.argv[4:]]
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    beginning = consumer.beginning_offsets(tps)
    end = consumer.end_offsets(tps)
    for_times = []
    for timestamp in timestamps:
        found = consumer.offsets_for_times({tp: timestamp for tp in tps})
        for tp in tps:
            at = found[tp]
            for_times.append({
                'timestamp': timestamp,
                'partition': tp.partition,
                'offset': None if at is None else at.offset,
                'recordTimestamp': None if at is None else at.timestamp,
            })
    print(json.dumps({
        'beginning': {tp.partition: offset for tp, offset in beginning.items()},
        'end': {tp.partition: offset for tp, offset in end.items()},
        'forTimes': for_times,
    }), flush=True)
    consumer.close(autocommit=False)


if __name__ == '__main__':
    main()
