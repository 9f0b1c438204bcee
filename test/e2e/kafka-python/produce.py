"""Produces the records given on stdin with kafka-python's KafkaProducer.

    produce.py BOOTSTRAP TOPIC COMPRESSION [API_VERSION]

stdin: a JSON list of {key, value, headers?: {name: value}, partition?, timestamp?}.
COMPRESSION: none, gzip, snappy, lz4 or zstd. API_VERSION (e.g. 2.4.0) skips the
client's guess of the broker version. Prints JSON lines: {"apiVersion": [..]} (what the
client settled on), then {"partition", "offset", "timestamp"} per record, in input order,
from the futures send() returned.
"""
import json
import sys

from kafka import KafkaProducer


def main():
    bootstrap, topic, compression = sys.argv[1:4]
    api_version = tuple(int(n) for n in sys.argv[4].split('.')) if len(sys.argv) > 4 else None
    records = json.load(sys.stdin)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if compression == 'none' else compression,
        acks='all',
        # Records sent together share a batch per partition, as an application's would.
        linger_ms=100,
        api_version=api_version,
    )
    print(json.dumps({'apiVersion': list(producer.config['api_version'])}), flush=True)
    futures = [
        producer.send(
            topic,
            key=None if r.get('key') is None else r['key'].encode(),
            value=None if r.get('value') is None else r['value'].encode(),
            headers=[(name, value.encode()) for name, value in r.get('headers', {}).items()],
            partition=r.get('partition'),
            timestamp_ms=r.get('timestamp'),
        )
        for r in records
    ]
    producer.flush(timeout=30)
    for future in futures:
        sent = future.get(timeout=30)
        print(json.dumps({'partition': sent.partition, 'offset': sent.offset, 'timestamp': sent.timestamp}), flush=True)
    producer.close(timeout=10)


if __name__ == '__main__':
    main()
