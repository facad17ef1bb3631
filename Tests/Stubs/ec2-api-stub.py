#!/usr/bin/python3
"""A loopback stand-in for the EC2 Query API, enough for `aws ec2 describe-addresses-attribute` (rdnscheck's
`aws-ptr on`) pointed at it with `--endpoint-url http://127.0.0.1:PORT`. Python 3 standard library only, so the
tests, `make demo` and the real-systemd container test run it as it is.

Usage:
    ec2-api-stub.py SCENARIO.json [--port N] [--port-file FILE]

It listens on 127.0.0.1 (port N, or a free one), prints `listening on 127.0.0.1:PORT` on stdout, and writes PORT to
FILE when given (written whole, then renamed into place, so a reader never sees half of it). It answers the action
`DescribeAddressesAttribute` (form body `Action=DescribeAddressesAttribute&Attribute=domain-name&Version=2016-11-15`,
with `AllocationId.N`, `MaxResults` and `NextToken` honoured) in EC2's XML, the shapes of botocore's ec2 2016-11-15
model (`DescribeAddressesAttributeResult`: `addressSet`/`item` of `publicIp`, `allocationId`, `ptrRecord`,
`ptrRecordUpdate` {`value`, `status`, `reason`}; `nextToken`). Any other action gets EC2's `InvalidAction` error.
Signatures are not checked: any credentials do. It never reaches the internet.

The scenario file is read again for every request, so a test or a demo changes the answer by rewriting it:

    {
      "addresses": [
        {"public_ip": "198.51.100.25", "allocation_id": "eipalloc-0123456789abcdef0",
         "ptr_record": "mail.example.test.",
         "update": {"value": "mx.example.test.", "status": "pending", "reason": null}},
        {"public_ip": "198.51.100.26", "allocation_id": "eipalloc-0fedcba9876543210"}
      ],
      "error": {"code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation.",
                "http_status": 403},
      "hang": false,
      "page_size": 1
    }

- `addresses`: one object per Elastic IP; `ptr_record` and `update` may be left out (no PTR on record, no update),
  and so may `allocation_id` and `public_ip` (to play a malformed answer); in `update`, `value` and `reason` may be
  null or left out. Statuses are given as AWS gives them (`pending`, `successful`, `failed`, ...).
- `error` (optional): answer every request with this error instead (`http_status` defaults to 400).
- `hang` (optional): accept the request and never answer (until the client gives up or the stub stops).
- `page_size` (optional): at most this many addresses per answer, with a `nextToken` for the rest (awscli follows
  it), unless the request's `MaxResults` asks for fewer.

Each request is logged to stderr as one line: `ACTION allocation-ids=... -> STATUS`.
"""
import argparse
import json
import os
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def element(name, value):
    return f"<{name}>{escape(value)}</{name}>" if value is not None else ""


def address_item(address):
    update = address.get("update")
    update_xml = ""
    if update is not None:
        update_xml = ("<ptrRecordUpdate>" + element("value", update.get("value"))
                      + element("status", update.get("status")) + element("reason", update.get("reason"))
                      + "</ptrRecordUpdate>")
    return ("<item>" + element("publicIp", address.get("public_ip"))
            + element("allocationId", address.get("allocation_id"))
            + element("ptrRecord", address.get("ptr_record")) + update_xml + "</item>")


def error_document(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>{element("Code", code)}'
            f'{element("Message", message)}</Error></Errors>{element("RequestID", str(uuid.uuid4()))}</Response>')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    scenario_path = None
    stopping = threading.Event()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
        action = form.get("Action", [""])[0]
        allocation_ids = [values[0] for key, values in sorted(form.items()) if key.startswith("AllocationId.")]
        try:
            with open(self.scenario_path, encoding="utf-8") as file:
                scenario = json.load(file)
        except (OSError, ValueError) as error:
            self.answer(500, error_document("InternalError", f"scenario {self.scenario_path}: {error}"), action)
            return
        if scenario.get("hang"):
            sys.stderr.write(f"{action} allocation-ids={','.join(allocation_ids)} -> hang\n")
            Handler.stopping.wait()
            return
        error = scenario.get("error")
        if error is not None:
            self.answer(error.get("http_status", 400), error_document(error["code"], error.get("message", "")),
                        action, allocation_ids)
            return
        if action != "DescribeAddressesAttribute":
            self.answer(400, error_document("InvalidAction", f"The action {action} is not valid for this web service."),
                        action, allocation_ids)
            return
        addresses = scenario.get("addresses", [])
        if allocation_ids:
            addresses = [address for address in addresses if address.get("allocation_id") in allocation_ids]
        page = len(addresses) or 1
        if scenario.get("page_size"):
            page = int(scenario["page_size"])
        if form.get("MaxResults"):
            page = min(page, int(form["MaxResults"][0]))
        start = int(form.get("NextToken", ["0"])[0] or "0")
        shown = addresses[start:start + page]
        next_token = str(start + page) if start + page < len(addresses) else None
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeAddressesAttributeResponse xmlns="{NAMESPACE}">'
                f'{element("requestId", str(uuid.uuid4()))}<addressSet>{"".join(map(address_item, shown))}'
                f'</addressSet>{element("nextToken", next_token)}</DescribeAddressesAttributeResponse>')
        self.answer(200, body, action, allocation_ids)

    def answer(self, status, body, action, allocation_ids=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        sys.stderr.write(f"{action} allocation-ids={','.join(allocation_ids)} -> {status}\n")

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description="EC2 DescribeAddressesAttribute stub on loopback")
    parser.add_argument("scenario")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    arguments = parser.parse_args()
    Handler.scenario_path = os.path.abspath(arguments.scenario)
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if arguments.port_file:
        with open(arguments.port_file + ".tmp", "w", encoding="utf-8") as file:
            file.write(f"{port}\n")
        os.rename(arguments.port_file + ".tmp", arguments.port_file)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        Handler.stopping.set()


if __name__ == "__main__":
    main()
