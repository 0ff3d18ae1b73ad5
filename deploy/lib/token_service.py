#!/usr/bin/python3
"""A tiny bearer-token service for deploy/check-nginx.sh, in two roles on one port:

- an upstream that checks tokens as a DICOMweb server would (GET /dicom-web/...): 200 with a JSON body that
  records the Authorization header exactly as it arrived, else 401 with `WWW-Authenticate: Bearer`;
- nginx's auth_request service (GET /check): 204 for the right token, 401 with `WWW-Authenticate: Bearer` else.

Every request is appended to LOG as one JSON line (path, method, Authorization, X-Original-URI, body length), so the
checks can see what nginx sent. The token is read from the file TOKEN_FILE (not the command line, which `ps` shows).

usage: token_service.py PORT TOKEN_FILE LOG
"""
import http.server
import json
import sys
import threading

lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        authorization = self.headers.get("Authorization")
        record = {"method": self.command, "path": self.path, "authorization": authorization,
                  "original_uri": self.headers.get("X-Original-URI"), "body_bytes": len(body)}
        with lock, open(self.server.log, "a") as log:
            log.write(json.dumps(record) + "\n")
        good = authorization == f"Bearer {self.server.token}"
        if self.path == "/check":
            self.send(204 if good else 401, b"")
        elif self.path.startswith("/dicom-web/"):
            self.send(200 if good else 401, json.dumps({"received_authorization": authorization}).encode(),
                      "application/json")
        else:
            self.send(404, b"not found\n", "text/plain")

    def send(self, status, body, content_type=None):
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="cairn-check", error="invalid_token"')
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    with open(sys.argv[2]) as f:
        server.token = f.read().strip()
    server.log = sys.argv[3]
    server.serve_forever()


if __name__ == "__main__":
    main()
