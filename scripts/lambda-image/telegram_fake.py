#!/usr/bin/env python3
"""A Telegram Bot API fake for scripts/lambda-image.sh: answers sendMessage, sendPhoto and
sendDocument like Telegram does, and records each call (token checked, never stored) as one JSON
line in LOG. Usage: telegram_fake.py PORT TOKEN LOG. Prints its base URL once listening."""

import json
import sys
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TOKEN, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
METHODS = {"sendMessage", "sendPhoto", "sendDocument"}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] != f"bot{TOKEN}":
            return self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = parts[1]
        if method not in METHODS:
            return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        kind = self.headers.get("Content-Type", "")
        fields = {}
        if kind.startswith("application/json"):
            fields = json.loads(raw or b"{}")
        elif kind.startswith("application/x-www-form-urlencoded"):
            from urllib.parse import parse_qsl
            fields = dict(parse_qsl(raw.decode()))
        elif kind.startswith("multipart/form-data"):
            message = BytesParser(policy=default).parsebytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                body = part.get_payload(decode=True) or b""
                fields[name] = f"<{len(body)} bytes>" if part.get_filename() else body.decode()
        with open(LOG, "a") as log:
            log.write(json.dumps({"method": method, "fields": fields}) + "\n")
        return self.answer(200, {"ok": True, "result": {"message_id": 1, "chat": {"id": fields.get("chat_id")}}})


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"telegram fake on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
