"""Compares this crate's playground with the PyPI original, request by request.

For each request below it asks the original (fivetran-api-playground 1.1.9, through Flask's test
client, so no port and no version check) and ours (already running on the port given), and
compares the status, the Content-Type, and then: the message of a JSON error, the shape of other
JSON (keys in order, list lengths, value types), Werkzeug's HTML pages whole, and the first line
and line count of CSV. Data values differ by design (random there, seeded here) and are not
compared. Credentials are substituted: the original's random ones there, ours here.

Usage: python compare.py PORT   (run.sh sets everything up)
Exits 1 when a request differs, listing each difference.
"""
import base64
import json
import re
import sys
import urllib.error
import urllib.request

import fivetran_api_playground as P

port = int(sys.argv[1])
client = P.app.test_client()
ours_creds = dict(api="playground-api-key", bearer="playground-bearer-token",
                  bu="basic@example.com", bp="basic-password", su="session@example.com", sp="session-password")
theirs_creds = dict(api=P.API_KEY, bearer=P.HTTP_BEARER_TOKEN, bu=P.HTTP_BASIC_USERNAME, bp=P.HTTP_BASIC_PASSWORD,
                    su=P.SESSION_AUTH_USERNAME, sp=P.SESSION_AUTH_PASSWORD)

def sub(s, c):
    if s is None: return None
    s = s.replace("{API}", c["api"]).replace("{BEARER}", c["bearer"])
    s = s.replace("{BASIC}", base64.b64encode(f'{c["bu"]}:{c["bp"]}'.encode()).decode())
    s = s.replace("{SU}", c["su"]).replace("{SP}", c["sp"])
    return s

cases = [
 ("GET", "/pagination/page_number", None, None),
 ("GET", "/pagination/page_number?per_page=50&page=4", None, None),
 ("GET", "/pagination/page_number?page=0", None, None),
 ("GET", "/pagination/page_number?per_page=abc", None, None),
 ("GET", "/pagination/page_number?per_page=51", None, None),
 ("GET", "/pagination/page_number?per_page=0&order_by=x", None, None),
 ("GET", "/pagination/page_number?order_type=x&per_page=0", None, None),
 ("GET", "/pagination/page_number?foo=1", None, None),
 ("GET", "/pagination/page_number?updated_since=2024-01-01T00:00:00", None, None),
 ("GET", "/pagination/page_number?updated_since=2024-02-30T00:00:00Z", None, None),
 ("GET", "/pagination/page_number?updated_since=2024-1-2t3:4:5Z", None, None),
 ("GET", "/pagination/page_number?updated_since=2999-01-01T00:00:00Z", None, None),
 ("GET", "/pagination/page_number?order_by=", None, None),
 ("GET", "/pagination/page_number?page=+2&per_page=1_0", None, None),
 ("GET", "/pagination/offset", None, None),
 ("GET", "/pagination/offset?limit=0&order_by=x", None, None),
 ("GET", "/pagination/offset?offset=-1", None, None),
 ("GET", "/pagination/offset?offset=500", None, None),
 ("GET", "/pagination/next_page_url", None, None),
 ("GET", "/pagination/next_page_url?page=-1", None, None),
 ("GET", "/pagination/next_page_url?page=0", None, None),
 ("GET", "/pagination/next_page_url?per_page=50&page=4", None, None),
 ("GET", "/pagination/next_page_url?updated_since=2000-01-01T00:00:00Z&per_page=3", None, None),
 ("GET", "/pagination/keyset", None, None),
 ("GET", "/pagination/keyset?per_page=5", None, None),
 ("GET", "/pagination/keyset?updated_since=2000-01-01T00:00:00Z&scroll_param=x", None, None),
 ("GET", "/pagination/keyset?updated_since=&scroll_param=", None, None),
 ("GET", "/pagination/keyset?scroll_param=not-base64", None, None),
 ("GET", "/pagination/keyset?scroll_param=eWVzdGVyZGF5", None, None),
 ("GET", "/pagination/keyset?updated_since=2000-01-01", None, None),
 ("GET", "/export/csv", None, None),
 ("GET", "/auth/api_key", None, None),
 ("GET", "/auth/api_key", {"Authorization": "apiKey {API}"}, None),
 ("GET", "/auth/api_key", {"Authorization": "apiKey wrong"}, None),
 ("GET", "/auth/api_key", {"Authorization": "apiKey"}, None),
 ("GET", "/auth/http_bearer", {"Authorization": "Bearer {BEARER}"}, None),
 ("GET", "/auth/http_bearer", {"Authorization": "Bearer x"}, None),
 ("GET", "/auth/http_basic", {"Authorization": "Basic {BASIC}"}, None),
 ("GET", "/auth/http_basic", {"Authorization": "Basic x"}, None),
 ("POST", "/auth/session_token/login", {"Content-Type": "application/json"}, '{"username":"{SU}","password":"{SP}"}'),
 ("POST", "/auth/session_token/login", {"Content-Type": "application/json"}, '{"username":"{SU}","password":"no"}'),
 ("POST", "/auth/session_token/login", {"Content-Type": "application/json"}, '{"username":"{SU}"}'),
 ("POST", "/auth/session_token/login", {"Content-Type": "text/plain"}, 'x'),
 ("POST", "/auth/session_token/login", {"Content-Type": "application/json"}, '{'),
 ("GET", "/auth/session_token/login", None, None),
 ("GET", "/auth/session_token/data", None, None),
 ("GET", "/auth/session_token/data", {"Authorization": "Token !!!"}, None),
 ("GET", "/auth/session_token/data", {"Authorization": "Token " + base64.b64encode(b"a:b:0").decode()}, None),
 ("GET", "/auth/session_token/data", {"Authorization": "Token " + base64.b64encode(b"a:b:99999999999").decode()}, None),
 ("GET", "/auth/session_token/data", {"Authorization": "Token " + base64.b64encode(b"a:b").decode()}, None),
 ("GET", "/cursors/companies", None, None),
 ("GET", "/cursors/companies?page=1", None, None),
 ("GET", "/cursors/abc/departments", None, None),
 ("GET", "/cursors/3/departments", None, None),
 ("GET", "/cursors/03/departments", None, None),
 ("GET", "/cursors/1/departments", None, None),
 ("GET", "/cursors/1/departments?order_by=createdAt&order_type=desc", None, None),
 ("GET", "/incremental/timestamp", None, None),
 ("GET", "/incremental/timestamp?since=2000-01-01T00:00:00Z", None, None),
 ("GET", "/incremental/timestamp?since=x", None, None),
 ("GET", "/incremental/step?start_id=3&end_id=5", None, None),
 ("GET", "/incremental/step?start_id=0&end_id=5", None, None),
 ("GET", "/incremental/step?start_id=1", None, None),
 ("GET", "/incremental/step?start_id=5&end_id=1", None, None),
 ("GET", "/nope", None, None),
 ("POST", "/pagination/keyset", None, None),
]

def theirs(method, path, headers, body):
    h = {k: sub(v, theirs_creds) for k, v in (headers or {}).items()}
    r = client.open(path, method=method, headers=h, data=sub(body, theirs_creds))
    return r.status_code, r.headers.get("Content-Type"), r.get_data(as_text=True)

def ours(method, path, headers, body):
    h = {k: sub(v, ours_creds) for k, v in (headers or {}).items()}
    data = sub(body, ours_creds)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=h,
                                 data=data.encode() if data is not None else None)
    try:
        r = urllib.request.urlopen(req)
        return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()

def summary(ct, body):
    if ct and "json" in ct:
        v = json.loads(body)
        if isinstance(v, dict) and "error" in v: return ("error", v["error"])
        def shape(x):
            # Pairs, not a dict, so that key order counts.
            if isinstance(x, dict): return [(k, shape(v)) for k, v in x.items()]
            if isinstance(x, list): return [len(x)] + ([shape(x[0])] if x else [])
            return type(x).__name__
        keys = list(v.keys())
        return ("json", keys, shape(v))
    if ct and "html" in ct:
        return ("html", re.sub(r"\s+", " ", body).strip())
    return ("other", body.splitlines()[0] if body else "", len(body.splitlines()))

# The one known difference: the message of Werkzeug's 400 for a login body that is not JSON
# quotes the JSON parser's own error, Python's there and serde's here.
KNOWN = {("POST", "/auth/session_token/login", '{')}

bad = 0
for method, path, headers, body in cases:
    t = theirs(method, path, headers, body); o = ours(method, path, headers, body)
    st, so = (t[0], t[1], summary(t[1], t[2])), (o[0], o[1], summary(o[1], o[2]))
    if st != so:
        if (method, path, body) in KNOWN:
            print("known difference:", method, path, body)
            continue
        bad += 1
        print("DIFF", method, path, headers, body)
        print("  theirs:", st[0], st[1], str(st[2])[:400])
        print("  ours:  ", so[0], so[1], str(so[2])[:400])

print(f"{len(cases)} requests, {bad} differ")
sys.exit(1 if bad else 0)
