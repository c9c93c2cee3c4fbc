#!/usr/bin/env python3
"""Fuzzes the API from its own OpenAPI description with schemathesis, against a running `serve --demo`.

Two runs, each with a bounded number of examples per operation:
  1. ids of a real order, sub-order, file, dataset task and a real order token, so that the
     operations reach past "not found" (DELETEs left out: they would take the order away);
  2. every parameter generated (unknown ids, garbled values), DELETEs included.
Checks: no 5xx, status codes, content types and bodies as documented. Exits non-zero on any failure.

Usage: .ci/schemathesis.py [--bin target/debug/regards-order] [--examples 20] [--seed 1]
Needs schemathesis (`pip install schemathesis==4.32.5`) in the Python running it.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None, headers=None):
    request = urllib.request.Request(base + path, method=method, data=body)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def json_of(base, method, path, token, body=None, expect=200):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, data = call(base, method, path, token, body, headers)
    if status != expect:
        sys.exit(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data) if data else None


def prepare(base, token):
    """A finished order with its ids, a public order token, and a basket with one selection."""
    select = json.dumps({"selectAllOpenSearchRequest": ""}).encode()
    json_of(base, "POST", "/order/basket/selection", token, select)
    order = json_of(base, "POST", "/user/orders", token, b"")["content"]
    order_id = order["id"]
    deadline = time.time() + 120
    while True:
        order = json_of(base, "GET", f"/user/orders/{order_id}", token)["content"]
        if order["status"] in ("DONE", "DONE_WITH_WARNING") or order["availableFilesCount"] > 0:
            break
        if time.time() > deadline:
            sys.exit(f"order {order_id} still {order['status']} after 120 s")
        time.sleep(0.5)
    task_id = order["datasetTasks"][0]["id"]
    files = json_of(base, "GET", f"/orders/{order_id}/dataset/{task_id}/files?size=1", token)
    file = files["content"][0]["content"]
    status, metalink = call(base, "GET", f"/user/orders/{order_id}/metalink/download", token)
    if status != 200:
        sys.exit(f"metalink: {status}")
    order_token = re.search(rb"orderToken=([^<\"&]+)", metalink).group(1).decode()
    json_of(base, "POST", "/order/basket/selection", token, select)
    basket = json_of(base, "GET", "/order/basket", token)
    basket = basket.get("content", basket)
    selection = basket["datasetSelections"][0]
    return {
        "orderId": order_id,
        "datasetTaskId": task_id,
        "filesTaskId": file["filesTaskId"],
        "fileId": file["id"],
        "orderToken": urllib.parse.unquote(order_token),
        "datasetSelectionId": selection["id"],
        "itemsSelectionDate": selection["itemsSelections"][0]["date"],
    }


def run_schemathesis(base, token, examples, seed, workdir, name, parameters=None, extra=()):
    config = os.path.join(workdir, f"{name}.toml")
    with open(config, "w") as out:
        out.write(f'headers = {{ Authorization = "Bearer {token}" }}\n')
        if parameters:
            out.write("[parameters]\n")
            for key, value in parameters.items():
                out.write(f"{json.dumps(key)} = {json.dumps(value)}\n")
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        "--config-file", config,
        "run", base + "/openapi.json",
        "--checks", CHECKS,
        "--max-examples", str(examples),
        "--seed", str(seed),
        "--workers", "1",
        "--no-color",
        "--suppress-health-check", "all",
        "--warnings", "off",
        "--report", "har",
        "--report-har-path", os.path.join(workdir, f"{name}.har"),
        *extra,
    ]
    print(f"\n--- schemathesis, {name} ---", flush=True)
    code = subprocess.run(command, cwd=workdir).returncode
    summarize(os.path.join(workdir, f"{name}.har"))
    return code


def summarize(har):
    """How many responses of each status each run saw: shows how deep it went."""
    try:
        with open(har) as f:
            entries = json.load(f)["log"]["entries"]
    except (OSError, ValueError, KeyError):
        return
    by_status = {}
    for entry in entries:
        status = entry["response"]["status"]
        by_status[status] = by_status.get(status, 0) + 1
    print("responses by status:", ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/debug/regards-order")
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="regards-schemathesis-")
    data = os.path.join(workdir, "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(workdir, "serve.log"), "w")
    server = subprocess.Popen(
        [args.bin, "serve", "--demo", "--data-dir", data, "--bind", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    failed = True
    try:
        deadline = time.time() + 120
        while True:
            try:
                if call(base, "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                sys.exit("serve --demo did not start; see " + log.name)
            time.sleep(0.3)
        token = subprocess.run(
            [args.bin, "token", "--email", "fuzz@example.org", "--role", "ADMIN", "--data-dir", data],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        parameters = prepare(base, token)
        print("ids of the second run:", json.dumps(parameters), flush=True)
        # DELETEs (order delete and remove, basket deletes) run with generated ids; here they would take
        # the order away from every operation after them.
        real = run_schemathesis(
            base, token, args.examples, args.seed, workdir, "real ids", parameters,
            extra=("--exclude-method", "DELETE"),
        )
        # Generated ids second: its DELETEs may remove the real order (its id is a small integer).
        generated = run_schemathesis(base, token, args.examples, args.seed, workdir, "generated ids")
        failed = real != 0 or generated != 0 or server.poll() is not None
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if failed or os.environ.get("KEEP"):
            print("server log and reports kept in " + workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
