"""A small fivetran_sdk.v2 SourceConnector client built on the stubs shipped by the MIT pip package
fivetran-connector-sdk==2.13.1 (module fivetran_connector_sdk.protos).

It calls ConfigurationForm, then Test once for every test the form lists, then Schema, then Update,
and prints one JSON object per line on stdout:

    {"rpc": "ConfigurationForm", "response": {...}}
    {"rpc": "Test", "name": "...", "response": {...}}
    {"rpc": "Schema", "response": {...}}
    {"rpc": "Update", "response": {...}}            (one line per UpdateResponse)

Responses are rendered with json_format.MessageToDict(preserving_proto_field_name=True), so fields at
their default value are left out, and the names are those of the 2.13.1 stubs (UpdateResponse field 1
is `structured_record`, field 6 `structured_records`; on the wire they are `record` / `records`).

A call that fails with a gRPC status prints {"rpc": "...", "error": {"code": "<name>", "details": "..."}}
and the client goes on with the next call; after an Update error it stops. The exit code is 0 unless
the connection itself cannot be made (then 2, with a message on stderr).

--only update     skip ConfigurationForm, Test and Schema.
--count-only      do not print each UpdateResponse; print at the end one line
                  {"rpc":"Update","records":R,"checkpoints":C,"messages":M,"seconds":S,
                   "last_message_seconds":L}
                  where R counts single records and the records of every batch, S runs from the
                  call to the end of the stream (its status) and L to the arrival of the last
                  message (the Python SDK server holds its status back by up to 1 s, the sleep of
                  its memory tracker). Per message it only
                  asks which oneof field is set and takes the length of a batch, so it can serve as
                  the reader of a benchmark.

Usage: python client.py --port N [--host H] [--configuration FILE] [--state-json TEXT]
                        [--selection FILE] [--only update] [--count-only]
"""

import argparse
import json
import sys
import time

import grpc
from google.protobuf import json_format

from fivetran_connector_sdk.protos import common_pb2, connector_sdk_pb2, connector_sdk_pb2_grpc

MAX_MESSAGE_LENGTH = 128 * 1024 * 1024  # 134,217,728 bytes, both ways

# The UpdateResponse oneof members by field number, so the client works whatever the stubs call
# them (`record`/`records` in the partner repo, `structured_record(s)` in the 2.13.1 package).
_UPDATE_FIELDS = connector_sdk_pb2.UpdateResponse.DESCRIPTOR.fields_by_number
ONE_RECORD = _UPDATE_FIELDS[1].name
CHECKPOINT = _UPDATE_FIELDS[3].name
RECORD_BATCH = _UPDATE_FIELDS[6].name
# The repeated field inside the batch message (field 1 of Records / StructuredRecords).
BATCH_LIST = _UPDATE_FIELDS[6].message_type.fields_by_number[1].name


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")


def to_dict(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def error_line(rpc, error, **extra):
    line = {"rpc": rpc}
    line.update(extra)
    line["error"] = {"code": error.code().name, "details": error.details()}
    return line


def load_configuration(path):
    """A JSON object of string to value; non-string values travel as their JSON text."""
    if path is None:
        return {}
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict):
        raise SystemExit(f"{path}: the configuration must be a JSON object")
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in raw.items()}


def load_selection(path):
    if path is None:
        return None
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    return json_format.ParseDict(raw, connector_sdk_pb2.Selection())


def target(host, port):
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{host}:{port}"


def call_update(stub, request, count_only):
    """Streams one Update. Returns False if it ended with a gRPC error."""
    records = checkpoints = messages = 0
    start = time.perf_counter()
    last = start  # when the last message arrived (the status may come later)
    failed = None
    try:
        if count_only:
            for response in stub.Update(request):
                messages += 1
                kind = response.WhichOneof("operation")
                if kind == RECORD_BATCH:
                    records += len(getattr(getattr(response, RECORD_BATCH), BATCH_LIST))
                elif kind == ONE_RECORD:
                    records += 1
                elif kind == CHECKPOINT:
                    checkpoints += 1
                last = time.perf_counter()
        else:
            for response in stub.Update(request):
                emit({"rpc": "Update", "response": to_dict(response)})
    except grpc.RpcError as error:
        failed = error
    seconds = time.perf_counter() - start
    if failed is not None:
        emit(error_line("Update", failed))
    if count_only:
        emit({
            "rpc": "Update",
            "records": records,
            "checkpoints": checkpoints,
            "messages": messages,
            "seconds": round(seconds, 6),
            "last_message_seconds": round(last - start, 6),
        })
    return failed is None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--configuration", metavar="FILE", help="JSON object of string to value")
    parser.add_argument("--state-json", metavar="TEXT", help="UpdateRequest.state_json (left unset if absent)")
    parser.add_argument("--selection", metavar="FILE", help="JSON form of the Selection message")
    parser.add_argument("--only", choices=["update"], help="call only this rpc")
    parser.add_argument("--count-only", action="store_true", help="count Update responses instead of printing them")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS")
    args = parser.parse_args(argv)

    configuration = load_configuration(args.configuration)
    selection = load_selection(args.selection)

    channel = grpc.insecure_channel(
        target(args.host, args.port),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_LENGTH),
            ("grpc.max_receive_message_length", MAX_MESSAGE_LENGTH),
        ],
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=args.connect_timeout)
    except grpc.FutureTimeoutError:
        print(f"client.py: cannot connect to {target(args.host, args.port)} "
              f"within {args.connect_timeout} s", file=sys.stderr)
        return 2
    stub = connector_sdk_pb2_grpc.SourceConnectorStub(channel)

    try:
        if args.only is None:
            tests = []
            try:
                form = stub.ConfigurationForm(common_pb2.ConfigurationFormRequest())
                emit({"rpc": "ConfigurationForm", "response": to_dict(form)})
                tests = [test.name for test in form.tests]
            except grpc.RpcError as error:
                emit(error_line("ConfigurationForm", error))

            for name in tests:
                try:
                    result = stub.Test(common_pb2.TestRequest(name=name, configuration=configuration))
                    emit({"rpc": "Test", "name": name, "response": to_dict(result)})
                except grpc.RpcError as error:
                    emit(error_line("Test", error, name=name))

            try:
                schema = stub.Schema(connector_sdk_pb2.SchemaRequest(configuration=configuration))
                emit({"rpc": "Schema", "response": to_dict(schema)})
            except grpc.RpcError as error:
                emit(error_line("Schema", error))

        request = connector_sdk_pb2.UpdateRequest(configuration=configuration)
        if args.state_json is not None:
            request.state_json = args.state_json
        if selection is not None:
            request.selection.CopyFrom(selection)
        call_update(stub, request, args.count_only)
    finally:
        sys.stdout.flush()
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
