#!/usr/bin/python3
"""Hostile HTTP requests to the Cairn plugin inside a real Orthanc 1.10, sent byte for byte over raw sockets.

Starts Orthanc with the DICOMweb and Cairn plugins on a free loopback port (temporary storage, the viewer and models
roots of orthanc_test.py with a secret file beside them), uploads 3 CT slices, then sends what a scanner or an
attacker would: path traversal in every spelling (dot segments, percent-encoded and double-encoded dots and slashes,
overlong UTF-8, backslashes, NUL), malformed request lines (bad escapes, raw control bytes and spaces, absolute and
asterisk forms, unknown versions), very long URLs and headers, methods other than GET, lying or absurd
Content-Length and Transfer-Encoding, Range abuse, pipelined requests, stalled half-sent requests and a burst of
concurrent hostile requests. Each must get a clear error (an HTTP status of 400 to 505 with a reason, or for the
request forms Orthanc's HTTP server does not parse, the connection closed without an answer) and never a byte of a
file outside the roots; afterwards Orthanc still runs, still serves /cairn/ and DICOMweb, and still holds the 3
instances byte for byte.

usage: hostile_requests_test.py --plugin build/release/plugin/libCairnPlugin.so --source-dir .
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_test as ot  # noqa: E402  (the Orthanc helpers: configuration, start, stop, roots, slices)

SECRET = ot.SECRET.encode()
PASSWD = b"root:x:0:0"


class Answer:
    def __init__(self, data, closed_without_answer=False, error=None):
        self.data = data
        self.closed = closed_without_answer
        self.error = error
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        # CivetWeb echoes the request's version, which may hold a space ("HTTP/.html HTTP/1.1 400 Bad Request").
        m = re.match(rb"HTTP/\S*(?: \S+)*? (\d{3}) (.*)$", lines[0]) if lines else None
        self.status = int(m.group(1)) if m else None
        self.reason = m.group(2).decode("latin-1") if m else ""
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            self.headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")

    def leaked(self):
        return SECRET in self.data or PASSWD in self.data

    def describe(self):
        if self.status is None:
            return f"no answer ({self.error or 'connection closed'})"
        return f"{self.status} {self.reason} {self.body[:60]!r}"


def raw(port, data, timeout=30, read_limit=1 << 21):
    """Sends `data` as is on a new connection and reads until the server closes it, read_limit bytes have come or
    the answer has started and nothing more comes for a second (Orthanc keeps some connections open after an
    error, waiting for a body that will not come)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    error = None
    try:
        try:
            s.sendall(data)
        except OSError as e:  # the server may answer and close before reading everything we send
            error = f"send: {e}"
        while len(out) < read_limit:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout) as e:
                error = None if out else f"recv: {e}"
                break
            if not chunk:
                break
            out += chunk
            s.settimeout(1)
    finally:
        s.close()
    return Answer(out, closed_without_answer=not out, error=error)


def get(path, extra=b"", method=b"GET", version=b"HTTP/1.1"):
    return method + b" " + path + b" " + version + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra + b"\r\n"


def clear_error(a):
    return a.status is not None and 400 <= a.status <= 505 and a.reason.strip() != ""


def check_traversal(port):
    paths = [
        b"/cairn/../secret.txt", b"/cairn/../../site/secret.txt", b"/cairn/assets/../../secret.txt",
        b"/cairn/%2e%2e/secret.txt", b"/cairn/%2E%2e/%2e%2E/site/secret.txt", b"/cairn/.%2e/secret.txt",
        b"/cairn/%2e./secret.txt", b"/cairn/..%2fsecret.txt", b"/cairn/..%2Fsecret.txt", b"/cairn/%2e%2e%2fsecret.txt",
        b"/cairn/%252e%252e/secret.txt", b"/cairn/%252e%252e%252fsecret.txt", b"/cairn/..%252fsecret.txt",
        b"/cairn/%25%32%65%25%32%65/secret.txt", b"/cairn/%c0%ae%c0%ae/secret.txt",
        b"/cairn/%c0%ae%c0%ae%c0%afsecret.txt",
        b"/cairn/%e0%80%ae%e0%80%ae/secret.txt", b"/cairn/%ef%bc%8e%ef%bc%8e/secret.txt", b"/cairn/..%c0%afsecret.txt",
        b"/cairn/....//secret.txt", b"/cairn/..;/secret.txt", b"/cairn/..\\secret.txt", b"/cairn\\..\\secret.txt",
        b"/cairn/%5c..%5csecret.txt", b"/cairn/assets/..%5c..%5csecret.txt", b"/cairn//etc/passwd",
        b"/cairn/%2fetc%2fpasswd", b"/cairn/%2F%2Fetc%2Fpasswd", b"/cairn/models/../../secret.txt",
        b"/cairn/models/%2e%2e/%2e%2e/secret.txt", b"/cairn/models/..%2f..%2f..%2f..%2f..%2fetc/passwd",
        b"/cairn/../viewer-evil/x.txt", b"/cairn/link-out.txt", b"/cairn/.hidden", b"/cairn/%2ehidden",
        b"/cairn/assets/..", b"/cairn/assets/.", b"/cairn/index.html.", b"/cairn/index.html%20",
        b"/cairn/index.html::$DATA", b"/cairn/index.html%00.js", b"/cairn/%00/../secret.txt",
        b"/cairn/../secret.txt?x=1", b"/cairn/%2e%2e/secret.txt#frag", b"/cairn/" + b"../" * 40 + b"etc/passwd",
        b"/cairn/" + b"%2e%2e/" * 40 + b"etc/passwd",
    ]
    for path in paths:
        a = raw(port, get(path))
        # Orthanc normalises some spellings back inside /cairn/ (then index.html may come back) or outside it (its
        # own 404); the plugin refuses the rest. What counts: an error or the page, never the secret.
        ok = not a.leaked() and (clear_error(a) or (a.status == 200 and a.body.startswith(b"<!doctype html>")))
        ot.check(ok, f"traversal refused: {path[:70]!r}", a.describe())


def check_malformed(port):
    cases = [
        (b"bad escape %", get(b"/cairn/%")), (b"bad escape %zz", get(b"/cairn/%zz")),
        (b"truncated escape %e", get(b"/cairn/index.html%e")), (b"invalid UTF-8 %ff", get(b"/cairn/%ff%fe")),
        (b"raw bytes over 127", get(b"/cairn/\xc3\xa9\xff.js")), (b"raw NUL", get(b"/cairn/index.html\x00.js")),
        (b"raw control bytes", get(b"/cairn/\x01\x02\x1b[2J")), (b"raw DEL", get(b"/cairn/\x7f")),
        (b"no leading slash", get(b"cairn/index.html")), (b"empty target", get(b"")),
        (b"HTTP/0.9 request", b"GET /cairn/\r\n\r\n"), (b"unknown version", get(b"/cairn/", version=b"HTTP/9.9")),
        (b"garbage version", get(b"/cairn/", version=b"HTCPCP/1.0")),
        (b"TLS hello on HTTP", b"\x16\x03\x01\x02\x00\x01" + b"\x00" * 300),
        (b"binary garbage", bytes(range(256)) * 4), (b"header without colon", get(b"/cairn/", b"NoColonHere\r\n")),
        (b"header name with space", get(b"/cairn/", b"Bad Name: x\r\n")),
        (b"obsolete line folding", get(b"/cairn/", b"X-A: a\r\n b\r\n")),
    ]
    for name, data in cases:
        a = raw(port, data)
        ot.check(not a.leaked() and (clear_error(a) or a.closed or a.status == 200 and b"<!doctype html>" in a.body),
                 f"malformed request answered clearly: {name.decode()}", a.describe())
    # A space or a tab in the target: CivetWeb takes the rest of the request head for the HTTP version and echoes it
    # into its status line ("HTTP/.html HTTP/1.1\r\nHost: ...\r\n\r 400 Bad Request"): a 400 all the same, to the
    # sender only. nginx refuses such a request line itself (deploy/nginx).
    for name, data in ((b"raw space in the path", get(b"/cairn/index .html")),
                       (b"raw tab in the path", get(b"/cairn/index\t.html"))):
        a = raw(port, data)
        ot.check(not a.leaked() and (clear_error(a) or b" 400 Bad Request\r\n" in a.data),
                 f"malformed request answered with a 400: {name.decode()}", repr(a.data[:120]))
    # Forms CivetWeb does not serve: it closes the connection without an answer. Nothing else must happen.
    for name, data in ((b"absolute-form URI", get(b"http://127.0.0.1/cairn/../secret.txt")),
                       (b"asterisk-form", get(b"*", method=b"OPTIONS")),
                       (b"authority-form", get(b"127.0.0.1:22", method=b"CONNECT"))):
        a = raw(port, data)
        ot.check(not a.leaked() and (clear_error(a) or a.closed), f"{name.decode()}: an error or a closed connection",
                 a.describe())


def check_sizes(port):
    for size in (1100, 8 * 1024, 64 * 1024, 1024 * 1024):
        a = raw(port, get(b"/cairn/" + b"a" * size))
        ot.check(clear_error(a) or a.closed, f"a {size}-byte URL gets an error", a.describe())
    deep = b"/cairn/" + b"d/" * 20 + b"index.html"
    a = raw(port, get(deep))
    ot.check(a.status == 400, "20 path components: the plugin's 400", a.describe())
    ot.check(a.headers.get("content-type", "").startswith("text/plain") and a.body.endswith(b"\n") and
             a.headers.get("content-security-policy", "").startswith("default-src 'self'") and
             a.headers.get("cache-control") == "no-store",
             "the plugin's refusals are text/plain, with its CSP, never cached", json.dumps(a.headers))
    for size in (64 * 1024, 1024 * 1024):
        a = raw(port, get(b"/cairn/", b"X-Big: " + b"a" * size + b"\r\n"))
        ot.check(clear_error(a) or a.closed, f"a {size}-byte header gets an error", a.describe())
    a = raw(port, get(b"/cairn/", b"".join(b"X-%d: v\r\n" % i for i in range(5000))))
    ot.check(clear_error(a) or a.closed, "5000 headers get an error", a.describe())
    a = raw(port, get(b"/cairn/", b"If-None-Match: " + b", ".join(b'"tag%d"' % i for i in range(400)) + b"\r\n"))
    ot.check(a.status == 200 and a.body.startswith(b"<!doctype html>"), "If-None-Match with 400 stale tags: 200",
             a.describe())
    a = raw(port, get(b"/cairn/", method=b"G" * 5000))
    ot.check(clear_error(a) or a.closed, "a 5000-byte method gets an error", a.describe())


def check_methods(port):
    for method in (b"POST", b"PUT", b"DELETE"):
        a = raw(port, get(b"/cairn/index.html", b"Content-Length: 1\r\n", method=method) + b"x")
        ot.check(a.status == 405 and "GET" in a.headers.get("allow", ""), f"{method.decode()} gets 405 with Allow",
                 a.describe())
    for method in (b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT", b"PROPFIND", b"MKCOL", b"FOO", b"get", b"G\x00T"):
        a = raw(port, get(b"/cairn/index.html", method=method))
        ot.check(clear_error(a) or a.closed, f"method {method!r} gets an error", a.describe())
    a = raw(port, get(b"/cairn/index.html", method=b"HEAD"))
    ot.check(a.status in (200, 404) and a.body == b"", "HEAD sends no body (Orthanc 1.10 answers 404 itself)",
             a.describe())


def check_bodies(port):
    cases = [
        (b"Content-Length: -1\r\n", b"x"), (b"Content-Length: 18446744073709551617\r\n", b"x"),
        (b"Content-Length: 12abc\r\n", b"x"), (b"Content-Length: 5\r\nContent-Length: 3\r\n", b"abcde"),
        (b"Transfer-Encoding: chunked\r\n", b"zz\r\nxx\r\n"),
        (b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffff\r\n"),
        (b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
        (b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", b"0\r\n\r\n"),
    ]
    for extra, body in cases:
        a = raw(port, get(b"/cairn/", extra, method=b"POST") + body, timeout=40)
        ot.check(not a.leaked() and (clear_error(a) or a.closed), f"POST with {extra.strip()!r}: an error",
                 a.describe())
    # A claim of 512 MB with no body: Orthanc reserves what Content-Length claims before any plugin sees the request
    # (deploy/nginx caps bodies in front of it). The client gives up; Orthanc must free it and carry on.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /cairn/ HTTP/1.1\r\nHost: x\r\nContent-Length: 536870912\r\n\r\nabc")
    time.sleep(0.5)
    s.close()
    a = raw(port, get(b"/cairn/"))
    ot.check(a.status == 200, "after a 512 MB body claim abandoned by its client, /cairn/ still answers", a.describe())
    a = raw(port, get(b"/cairn/", b"Content-Length: 5\r\n") + b"abcde")
    ot.check(a.status == 200 and a.body.startswith(b"<!doctype html>"), "GET with a body: the body is ignored",
             a.describe())


def check_ranges(port, index_size):
    for value in (b"bytes=0-10", b"bytes=-1", b"bytes=99999999999999999999-", b"bytes=10-5", b"bytes=0-0,-1",
                  b"bytes=" + b",".join(b"%d-%d" % (i, i) for i in range(600)), b"items=0-1", b"bytes=--1"):
        a = raw(port, get(b"/cairn/index.html", b"Range: " + value + b"\r\n"))
        whole = a.status == 200 and len(a.body) == index_size
        ot.check(whole or a.status == 416 or clear_error(a), f"Range {value[:40]!r}: the whole file or an error",
                 a.describe())


def check_pipelining_and_stalls(port):
    a = raw(port, b"GET /cairn/index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /cairn/%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /cairn/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.[01] (\d{3}) ", a.data)
    ot.check(not a.leaked() and statuses[:1] == [b"200"] and all(400 <= int(x) < 500 for x in statuses[1:]),
             "pipelined requests: the page, then errors, nothing from outside", str(statuses))
    # 20 connections that send half a request line and stall: other clients are still served.
    stalled = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /cairn/index.ht")
        stalled.append(s)
    start = time.time()
    a = raw(port, get(b"/cairn/"))
    ot.check(a.status == 200 and time.time() - start < 5, "with 20 stalled connections open, /cairn/ answers",
             f"{a.describe()} in {time.time() - start:.1f} s")
    for s in stalled:
        s.close()


def check_burst(port):
    paths = [b"/cairn/%2e%2e/secret.txt", b"/cairn/../../etc/passwd", b"/cairn/%252e%252e/secret.txt",
             b"/cairn/" + b"x" * 3000, b"/cairn/link-out.txt", b"/cairn/index.html"] * 50
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda p: raw(port, get(p)), paths))
    leaks = sum(a.leaked() for a in answers)
    unclear = [a.describe() for a in answers if not (clear_error(a) or a.status == 200)]
    pages = sum(a.status == 200 for a in answers)
    ot.check(leaks == 0 and not unclear and pages == 50,
             "300 concurrent requests (250 hostile): errors for the hostile ones, the page for the others",
             f"leaks {leaks}, unclear {unclear[:3]}, pages {pages}")


def check_nothing_lost(p, port, slices):
    ot.check(p.poll() is None, "Orthanc is still running")
    status, _, body = ot.request(port, "GET", "/cairn/")
    ot.check(status == 200 and body.startswith(b"<!doctype html>"), "/cairn/ still serves the page", f"{status}")
    status, _, body = ot.request(port, "GET", "/statistics")
    ot.check(status == 200 and json.loads(body)["CountInstances"] == len(slices),
             f"Orthanc still holds the {len(slices)} instances", f"{status}")
    intact = 0
    for path in slices:
        status, _, body = ot.request(port, "POST", "/tools/lookup", body=os.path.basename(path)[:-4].encode())
        found = json.loads(body) if status == 200 else []
        if found:
            status, _, stored = ot.request(port, "GET", f"/instances/{found[0]['ID']}/file")
            with open(path, "rb") as f:
                intact += status == 200 and stored == f.read()
    ot.check(intact == len(slices), "... byte for byte", f"{intact} of {len(slices)}")
    status, _, body = ot.request(port, "GET", "/dicom-web/studies", headers={"Accept": "application/dicom+json"})
    ot.check(status == 200 and len(json.loads(body)) == 1, "DICOMweb still lists the study", f"{status}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    plugin = os.path.abspath(args.plugin)
    dicomweb = next((p for p in ot.DICOMWEB_CANDIDATES if os.path.exists(p)), None)
    if not os.path.exists(ot.ORTHANC) or dicomweb is None:
        print(f"FAIL - Orthanc ({ot.ORTHANC}) or its DICOMweb plugin is missing: run scripts/install-deps.sh")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="cairn-hostile-test-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        viewer, models = ot.make_roots(tmp)
        folder = os.path.join(tmp, "orthanc")
        os.makedirs(folder)
        port = ot.free_port()
        p = ot.start_orthanc(folder, ot.write_config(folder, port, plugin, dicomweb, viewer, models, {}))
        slices = ot.extract_slices(os.path.join(args.source_dir, "demo", "LIDC-IDRI-0001.tar.xz"), tmp, 3)
        if not ot.wait_ready(p, port):
            ot.check(False, "Orthanc with the Cairn plugin starts",
                     open(os.path.join(folder, "orthanc.log")).read()[-2000:])
            return 1
        for path in slices:
            with open(path, "rb") as f:
                status, _, _ = ot.request(port, "POST", "/instances", body=f.read(),
                                          headers={"Content-Type": "application/dicom"})
            ot.check(status == 200, f"uploaded {os.path.basename(path)}", f"{status}")
        index_size = os.path.getsize(os.path.join(viewer, "index.html"))

        check_traversal(port)
        check_malformed(port)
        check_sizes(port)
        check_methods(port)
        check_bodies(port)
        check_ranges(port, index_size)
        check_pipelining_and_stalls(port)
        check_burst(port)
        check_nothing_lost(p, port, slices)
        log = open(os.path.join(folder, "orthanc.log"), errors="replace").read()
        ot.check("Segmentation fault" not in log and "std::bad_alloc" not in log,
                 "Orthanc's log shows no crash", log[-500:])
    finally:
        ot.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"{ot.passed} passed, {ot.failed} failed")
    return 0 if ot.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
