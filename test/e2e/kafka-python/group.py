"""Reads a topic as a member of a consumer group with kafka-python's KafkaConsumer, then
commits what it read.

    group.py BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]

From the group's committed offsets (the beginning where it has none), until it has COUNT
records or TIMEOUT_S (default 30) pass; then commit() (synchronous, the positions it
reached) and close. Prints a JSON line per record ({"partition", "offset", "key",
"value"}) in the order polled, then {"assigned": [partition...], "committed":
{partition: offset}} as the group coordinator answers them after the commit.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def text(data):
    return None if data is None else data.decode()


def main():
    bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id='group-py',
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
        fetch_max_wait_ms=100,
    )
    read = 0
    deadline = time.time() + timeout_s
    while read < count and time.time() < deadline:
        # Iteration stops after consumer_timeout_ms without a record; go on until the deadline.
        for r in consumer:
            print(json.dumps({'partition': r.partition, 'offset': r.offset, 'key': text(r.key), 'value': text(r.value)}), flush=True)
            read += 1
            if read >= count:
                break
    consumer.commit()
    assigned = sorted(tp.partition for tp in consumer.assignment())
    committed = {p: consumer.committed(TopicPartition(topic, p)) for p in assigned}
    print(json.dumps({'assigned': assigned, 'committed': committed}), flush=True)
    consumer.close(autocommit=False)


if __name__ == '__main__':
    main()
