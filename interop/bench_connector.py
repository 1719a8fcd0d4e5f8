"""The benchmark connector on the Python SDK (fivetran-connector-sdk==2.13.1).

    python bench_connector.py --port N --rows R

serves a connector whose Update sends R upserts of table `orders` (primary key id LONG; name STRING;
amount DOUBLE; created_at UTC_DATETIME; active BOOLEAN; price DECIMAL(18,4)). Row i is the same as
`order(i)` in bench/src/encode.rs. After every 10,000th row it checkpoints {"cursor": rows sent so
far}, and once more at the end ({"cursor": R}), like bench/src/local.rs's {"rows": i + 1}.

Values are handed to the SDK in the form its operations module converts for each declared type:
created_at as a timezone-aware datetime (Timestamp.FromDatetime turns it into the UTC instant) and
price as its decimal text (ValueType.decimal is a string field; a decimal.Decimal would be refused).

The SDK encodes rows with the declared column types only once Schema has been called in the process
(its type table is filled by Schema); before that it infers types from the Python values (a float
becomes FLOAT, a datetime a STRING). Fivetran calls Schema before Update, but a reader that only calls
Update (client.py --only update) does not, so this server calls its own Schema handler once at start.
"""

import argparse
from datetime import datetime, timezone

from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Operations as op
from fivetran_connector_sdk.protos import connector_sdk_pb2

TABLE = "orders"
CHECKPOINT_EVERY = 10_000
EPOCH = 1_700_000_000

NAMES = [
    "Acme Corp",
    "Globex Ltd",
    "Initech",
    "Umbrella Inc",
    "Stark Industries",
    "Wayne Ent",
    "Hooli",
    "Vandelay Imports",
]

ROWS = 0  # set from --rows


def order(i: int) -> dict:
    """Row i, the same at every run and the same as bench/src/encode.rs's order(i)."""
    cents = (i * 7919) % 100_000_000  # the price in units of 10^-4
    return {
        "id": i,
        "name": f"{NAMES[i % len(NAMES)]} #{i % 1000}",
        "amount": (i % 100_000) * 0.37,
        "created_at": datetime.fromtimestamp(EPOCH + i, tz=timezone.utc),
        "active": i % 3 != 0,
        "price": f"{cents // 10_000}.{cents % 10_000:04d}",
    }


def schema(configuration: dict):
    return [
        {
            "table": TABLE,
            "primary_key": ["id"],
            "columns": {
                "id": "LONG",
                "name": "STRING",
                "amount": "DOUBLE",
                "created_at": "UTC_DATETIME",
                "active": "BOOLEAN",
                "price": {"type": "DECIMAL", "precision": 18, "scale": 4},
            },
        }
    ]


def update(configuration: dict, state: dict):
    for i in range(ROWS):
        op.upsert(TABLE, order(i))
        if (i + 1) % CHECKPOINT_EVERY == 0:
            op.checkpoint({"cursor": i + 1})
    op.checkpoint({"cursor": ROWS})


connector = Connector(update=update, schema=schema)


def main():
    global ROWS
    parser = argparse.ArgumentParser(description="benchmark connector (Python SDK 2.13.1)")
    parser.add_argument("--port", type=int, default=50051)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--no-schema-at-start",
        action="store_true",
        help="do not register the schema at start (Update then infers types unless Schema was called)",
    )
    args = parser.parse_args()
    ROWS = args.rows
    if not args.no_schema_at_start:
        # What Fivetran's Schema call before Update does: fill the SDK's column-type table.
        connector.Schema(connector_sdk_pb2.SchemaRequest(), None)
    connector.run(port=args.port)


if __name__ == "__main__":
    main()
