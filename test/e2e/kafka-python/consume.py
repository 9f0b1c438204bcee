"""Reads one partition by assignment (no group) with kafka-python's KafkaConsumer.

    consume.py BOOTSTRAP TOPIC PARTITION [FROM_OFFSET [MAX_PARTITION_FETCH_BYTES]]

From the beginning (seek_to_beginning) unless FROM_OFFSET is given (seek), up to the end
offset the partition had when it started. Prints a JSON line per record ({"offset",
"timestamp", "key", "value", "headers": {name: value}}) in the order polled, then
{"position", "end"}.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def text(data):
    return None if data is None else data.decode()


def main():
    bootstrap, topic, partition = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start = int(sys.argv[4]) if len(sys.argv) > 4 else None
    fetch_bytes = int(sys.argv[5]) if len(sys.argv) > 5 else 1048576
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=fetch_bytes,
        fetch_max_wait_ms=100,
    )
    tp = TopicPartition(topic, partition)
    consumer.assign([tp])
    if start is None:
        consumer.seek_to_beginning(tp)
    else:
        consumer.seek(tp, start)
    end = consumer.end_offsets([tp])[tp]
    deadline = time.time() + 30
    while consumer.position(tp) < end and time.time() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                headers = {name: value.decode() for name, value in r.headers}
                print(json.dumps({'offset': r.offset, 'timestamp': r.timestamp, 'key': text(r.key), 'value': text(r.value), 'headers': headers}), flush=True)
    print(json.dumps({'position': consumer.position(tp), 'end': end}), flush=True)
    consumer.close(autocommit=False)


if __name__ == '__main__':
    main()
