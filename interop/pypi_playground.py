"""Serves the MIT PyPI package fivetran-api-playground 1.1.9 (the original the Rust playground
stands in for) on 127.0.0.1 and the port given, and prints its credentials as one JSON line
first. It runs the package's Flask app directly: its CLI would first ask PyPI for a newer
version and write to the home folder.

Usage: python pypi_playground.py PORT
"""
import json
import sys

from werkzeug.serving import make_server

import fivetran_api_playground as playground

port = int(sys.argv[1])
server = make_server("127.0.0.1", port, playground.app, threaded=True)
print(json.dumps({
    "api_key": playground.API_KEY,
    "bearer_token": playground.HTTP_BEARER_TOKEN,
    "basic_username": playground.HTTP_BASIC_USERNAME,
    "basic_password": playground.HTTP_BASIC_PASSWORD,
    "session_username": playground.SESSION_AUTH_USERNAME,
    "session_password": playground.SESSION_AUTH_PASSWORD,
    "port": server.server_port,
}), flush=True)
server.serve_forever()
