"""The three row operations, as a Python connector on fivetran-connector-sdk==2.13.1.

The same sync as the Rust example examples/common_patterns/three_operations: table `three` (primary
key `id` STRING; val1 STRING; val2 INT), three fixed ids upserted as (id, id, index), then an update
of the second id setting val1 = "abc", a delete of the third id, and a checkpoint with state {}.

Run as a gRPC server (blocks until killed; binds [::]:PORT):

    python three_operations.py --port 50061

Its logs go to stdout as JSON lines.
"""

import argparse

from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Operations as op

TABLE = "three"

# Fixed ids, the same as the Rust example's, so that every run sends the same operations.
IDS = [
    "c188327d-32fb-461b-90b2-4a08daf6c2db",
    "efcbeddb-44d5-4edf-900e-d50cf9146859",
    "3f0c5d8e-6a2b-4c1e-9d7f-0b8a2e4c6d13",
]


def schema(configuration: dict):
    return [
        {
            "table": TABLE,
            "primary_key": ["id"],
            "columns": {"id": "STRING", "val1": "STRING", "val2": "INT"},
        }
    ]


def update(configuration: dict, state: dict):
    for index, id_ in enumerate(IDS):
        op.upsert(TABLE, {"id": id_, "val1": id_, "val2": index})
    # An update carries the key and only the columns to change: val2 keeps its value.
    op.update(TABLE, {"id": IDS[1], "val1": "abc"})
    # A soft delete: the row stays at the destination with _fivetran_deleted = true.
    op.delete(TABLE, {"id": IDS[2]})
    op.checkpoint({})


connector = Connector(update=update, schema=schema)


def main():
    parser = argparse.ArgumentParser(description="three_operations connector (Python SDK 2.13.1)")
    parser.add_argument("--port", type=int, default=50051)
    args = parser.parse_args()
    connector.run(port=args.port)


if __name__ == "__main__":
    main()
