"""What the deploy/ checks share: raw HTTP(S) requests with the path sent as given, and an ok/FAIL tally."""
import base64
import gzip
import http.client
import json
import ssl
import sys
import urllib.parse


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   - {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - {what}" + (f": {detail}" if detail else ""), flush=True)
        return condition

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers  # [(lowercase name, value)], in order, repeats kept
        self.body = body

    def header(self, name):
        """The value of a header sent once, None when absent, or "<N times>" when repeated."""
        values = self.all(name)
        if not values:
            return None
        return values[0] if len(values) == 1 else f"<{len(values)} times: {values}>"

    def all(self, name):
        return [v for k, v in self.header_list if k == name.lower()]

    def data(self):
        """The body, gunzipped when it came with Content-Encoding: gzip."""
        return gzip.decompress(self.body) if self.header("content-encoding") == "gzip" else self.body

    def text(self):
        return self.data().decode("utf-8", "replace")

    def json(self):
        return json.loads(self.data())


class Client:
    """Requests to one origin (http://host:port or https://host:port) with a CA file for HTTPS."""

    def __init__(self, origin, cafile=None, auth=None, timeout=60):
        url = urllib.parse.urlsplit(origin)
        self.https = url.scheme == "https"
        self.host, self.port = url.hostname, url.port
        self.auth = auth
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=cafile) if self.https else None

    def connection(self):
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, headers=None, body=None, auth="default"):
        headers = dict(headers or {})
        auth = self.auth if auth == "default" else auth
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        conn = self.connection()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            if body is not None and "Content-Length" not in headers:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)
        finally:
            conn.close()


def csp_directives(csp):
    """A Content-Security-Policy as {directive: [sources]}, for comparisons that ignore spacing."""
    out = {}
    for part in (csp or "").split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def stow_body(files, boundary):
    """A multipart/related body of application/dicom parts, for STOW-RS."""
    chunks = []
    for path in files:
        with open(path, "rb") as f:
            chunks.append(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + f.read() + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def fail_early(message):
    print(f"FAIL - {message}", flush=True)
    print("0 passed, 1 failed", flush=True)
    sys.exit(1)
