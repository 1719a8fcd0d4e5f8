"""The page_number pagination example as a Python connector on fivetran-connector-sdk==2.13.1.

Written here to behave as the seed's examples/common_patterns_for_connectors/pagination/page_number
does (its code is not copied into this repository): GET {base_url}/pagination/page_number with
order_by=updatedAt, order_type=asc, updated_since=<cursor> and per_page=50 through `requests`,
one log line per request and per page as the seed writes them, every user upserted into table
`user` (primary key id; STRING columns; updatedAt and createdAt UTC_DATETIME), the cursor
`last_updated_at` set from each user, a checkpoint after every page, and the next page asked for
while page < total_pages. The one difference: the base URL comes from the configuration
(`base_url`) instead of the seed's fixed http://127.0.0.1:5001, so the benchmark can point it at
any playground.

    python page_number.py --port N

serves it over gRPC until killed (the benchmark's reader calls Update).
"""

import argparse

import requests
from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op
from fivetran_connector_sdk.protos import connector_sdk_pb2

BEGINNING = "0001-01-01T00:00:00Z"


def schema(configuration: dict):
    text = ["id", "name", "email", "address", "company", "job"]
    columns = {name: "STRING" for name in text}
    columns.update({"updatedAt": "UTC_DATETIME", "createdAt": "UTC_DATETIME"})
    return [{"table": "user", "primary_key": ["id"], "columns": columns}]


def update(configuration: dict, state: dict):
    url = configuration.get("base_url", "http://127.0.0.1:5001") + "/pagination/page_number"
    params = {
        "order_by": "updatedAt",
        "order_type": "asc",
        "updated_since": state.get("last_updated_at", BEGINNING),
        "per_page": 50,
    }
    while True:
        log.info(f"Making API call to url: {url} with params: {params}")
        response = requests.get(url, params=params)
        response.raise_for_status()
        body = response.json()
        users = body.get("data", [])
        if not users:
            break
        first = {"id": users[0]["id"], "name": users[0]["name"]}
        log.info(f"processing page of items. First item starts: {first}, Total items: {len(users)}")
        for user in users:
            op.upsert(table="user", data=user)
            state["last_updated_at"] = user["updatedAt"]
        op.checkpoint(state)
        page, pages = body.get("page"), body.get("total_pages")
        if not (page and pages and page < pages):
            break
        params["page"] = page + 1


connector = Connector(update=update, schema=schema)


def main():
    parser = argparse.ArgumentParser(description="page_number example (Python SDK 2.13.1)")
    parser.add_argument("--port", type=int, default=50051)
    args = parser.parse_args()
    # What Fivetran's Schema call before Update does: the SDK types the columns as declared.
    connector.Schema(connector_sdk_pb2.SchemaRequest(), None)
    connector.run(port=args.port)


if __name__ == "__main__":
    main()
