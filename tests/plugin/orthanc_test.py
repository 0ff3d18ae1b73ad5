#!/usr/bin/python3
"""The Cairn plugin inside a real Orthanc 1.10 with the DICOMweb plugin, end to end over HTTP on 127.0.0.1.

Starts two Orthanc processes on free loopback ports with temporary storage (one open, one with HTTP
authentication), uploads 3 CT slices of the demo study, and checks what /cairn/ answers: security headers, MIME
types, caching, ETag revalidation, path traversal, methods, authentication, the Orthanc Explorer button and that
DICOMweb lists the study. A third start checks that a bad "Cairn" section stops Orthanc with a message.
Orthanc is stopped at the end whatever happens.

usage: orthanc_test.py --plugin build/release/plugin/libCairnPlugin.so --source-dir .
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_CANDIDATES = [
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so",
]
SECRET = "cairn-secret-outside-the-roots-7d1e"
USER, PASSWORD = "cairn", "s3cret-for-tests"
# The smallest valid WebAssembly module: magic and version.
WASM_BYTES = b"\0asm\x01\0\0\0"

passed = 0
failed = 0
processes = []


def check(condition, what, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   - {what}")
    else:
        failed += 1
        print(f"FAIL - {what}" + (f": {detail}" if detail else ""))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=None, body=None, auth=None):
    """One request with the path sent exactly as given (no normalisation); returns (status, headers, body)."""
    headers = dict(headers or {})
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read() if method != "HEAD" else b""
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def write_config(folder, port, plugin, dicomweb, viewer_root, models_root, extra):
    config = {
        "Name": "cairn-plugin-test",
        "StorageDirectory": os.path.join(folder, "storage"),
        "IndexDirectory": os.path.join(folder, "storage"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "HttpCompressionEnabled": False,
        "SaveJobs": False,
        "Plugins": [dicomweb, plugin],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "Cairn": {"ViewerRoot": viewer_root, "ModelsRoot": models_root,
                  "ConnectSrc": ["https://pacs.example.org"]},
    }
    config.update(extra)
    path = os.path.join(folder, "orthanc.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


def start_orthanc(folder, config_path):
    log = open(os.path.join(folder, "orthanc.log"), "w")
    p = subprocess.Popen([ORTHANC, config_path], stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    processes.append(p)
    return p


def wait_ready(p, port, auth=None, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            return False
        try:
            status, _, _ = request(port, "GET", "/system", auth=auth)
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop_all():
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def make_roots(tmp):
    viewer = os.path.join(tmp, "site", "viewer")
    models = os.path.join(tmp, "site", "models")
    os.makedirs(os.path.join(viewer, "assets"))
    os.makedirs(os.path.join(models, "lung-unet"))
    files = {
        os.path.join(viewer, "index.html"): b"<!doctype html><title>Cairn test</title>",
        os.path.join(viewer, "assets", "index-3f2a9c1b.js"): b"export const answer = 42;\n",
        os.path.join(viewer, "assets", "index-BxC3k9aZ.css"): b"body { margin: 0 }\n",
        os.path.join(viewer, "assets", "cairn-relaxed-0a1b2c3d.wasm"): WASM_BYTES,
        os.path.join(viewer, "assets", "worker.js"): b"self.onmessage = () => {};\n",
        os.path.join(viewer, "assets", "logo.svg"): b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        os.path.join(viewer, ".hidden"): SECRET.encode(),
        os.path.join(models, "catalog.json"): b'{"models": []}\n',
        os.path.join(models, "lung-unet", "model.onnx"): b"\x08\x07onnx-bytes",
        os.path.join(tmp, "site", "secret.txt"): SECRET.encode(),
        os.path.join(tmp, "site", "viewer-evil", "x.txt"): SECRET.encode(),
    }
    for path, data in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    # A link inside the root to a file outside it must not be followed out.
    os.symlink(os.path.join(tmp, "site", "secret.txt"), os.path.join(viewer, "link-out.txt"))
    return viewer, models


def extract_slices(archive, dest, count):
    """The first `count` CT slices of the shipped demo archive (streamed: stops reading after them)."""
    paths = []
    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            if member.isfile() and "/ct/" in member.name and member.name.endswith(".dcm"):
                data = tar.extractfile(member).read()
                path = os.path.join(dest, os.path.basename(member.name))
                with open(path, "wb") as f:
                    f.write(data)
                paths.append(path)
                if len(paths) == count:
                    break
    return paths


def check_site(port, viewer):
    status, h, body = request(port, "GET", "/cairn/")
    check(status == 200 and body.startswith(b"<!doctype html>"), "/cairn/ serves index.html", f"{status}")
    check(h.get("content-type", "").startswith("text/html"), "index.html is text/html", h.get("content-type"))
    check(h.get("cross-origin-opener-policy") == "same-origin", "COOP same-origin", h.get("cross-origin-opener-policy"))
    check(h.get("cross-origin-embedder-policy") == "require-corp", "COEP require-corp",
          h.get("cross-origin-embedder-policy"))
    check(h.get("cross-origin-resource-policy") == "same-origin", "CORP same-origin",
          h.get("cross-origin-resource-policy"))
    csp = h.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    check(directives.get("default-src") == ["'self'"], "CSP default-src 'self'", csp)
    check(directives.get("script-src") == ["'self'", "'wasm-unsafe-eval'"],
          "CSP script-src 'self' 'wasm-unsafe-eval' (no unsafe-inline, no unsafe-eval)", csp)
    check(directives.get("connect-src") == ["'self'", "https://pacs.example.org"],
          "CSP connect-src 'self' plus the configured PACS origin", csp)
    check(directives.get("object-src") == ["'none'"] and directives.get("base-uri") == ["'none'"] and
          directives.get("frame-ancestors") == ["'self'"] and directives.get("style-src") == ["'self'"],
          "CSP object-src/base-uri 'none', style-src 'self', frame-ancestors 'self'", csp)
    check("'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, "CSP allows no inline script or eval", csp)
    check(h.get("cache-control") == "no-cache", "index.html is revalidated (no-cache)", h.get("cache-control"))
    check(h.get("x-content-type-options") == "nosniff", "X-Content-Type-Options nosniff")
    etag = h.get("etag", "")
    check(etag.startswith('"') and etag.endswith('"'), "index.html has an ETag", etag)

    status, h, _ = request(port, "GET", "/cairn/", headers={"If-None-Match": etag})
    check(status == 304, "If-None-Match with the ETag gives 304", f"{status}")
    check(h.get("cross-origin-embedder-policy") == "require-corp" and h.get("etag") == etag,
          "the 304 keeps COEP and the ETag", json.dumps(h))
    status, _, _ = request(port, "GET", "/cairn/", headers={"If-None-Match": 'W/"other", ' + etag})
    check(status == 304, "If-None-Match with a list (weak comparison) gives 304", f"{status}")
    status, _, _ = request(port, "GET", "/cairn/", headers={"If-None-Match": '"stale"'})
    check(status == 200, "a stale ETag gives 200", f"{status}")
    status, _, body = request(port, "GET", "/cairn/index.html")
    check(status == 200 and body.startswith(b"<!doctype html>"), "/cairn/index.html", f"{status}")
    status, _, body = request(port, "GET", "/cairn/?study=1.2.3")
    check(status == 200 and body.startswith(b"<!doctype html>"), "/cairn/?study=... serves index.html", f"{status}")

    expected = [
        ("/cairn/assets/cairn-relaxed-0a1b2c3d.wasm", "application/wasm", True, WASM_BYTES),
        ("/cairn/assets/index-3f2a9c1b.js", "text/javascript", True, None),
        ("/cairn/assets/index-BxC3k9aZ.css", "text/css", True, None),
        ("/cairn/assets/logo.svg", "image/svg+xml", False, None),
        ("/cairn/assets/worker.js", "text/javascript", False, None),
        ("/cairn/models/catalog.json", "application/json", False, None),
        ("/cairn/models/lung-unet/model.onnx", "application/octet-stream", False, b"\x08\x07onnx-bytes"),
    ]
    for path, mime, hashed, content in expected:
        status, h, body = request(port, "GET", path)
        ctype = h.get("content-type", "")
        check(status == 200 and ctype.split(";")[0] == mime, f"{path} is {mime}", f"{status} {ctype}")
        cache = h.get("cache-control")
        want = "public, max-age=31536000, immutable" if hashed else "no-cache"
        check(cache == want, f"{path} Cache-Control: {want}", cache)
        check(h.get("cross-origin-embedder-policy") == "require-corp" and "content-security-policy" in h,
              f"{path} carries COEP and CSP")
        if content is not None:
            check(body == content, f"{path} has the file's bytes")


def check_refusals(port):
    # The raw paths go over the wire untouched. Orthanc's HTTP server decodes and normalises some of them before
    # the plugin sees them; either way the answer must be a 4xx that never contains a file from outside the roots.
    attacks = [
        "/cairn/../secret.txt",
        "/cairn/assets/../../secret.txt",
        "/cairn/%2e%2e/secret.txt",
        "/cairn/%2E%2E/%2E%2E/site/secret.txt",
        "/cairn/..%2fsecret.txt",
        "/cairn/%2e%2e%2fsecret.txt",
        "/cairn/%252e%252e/secret.txt",
        "/cairn/%252e%252e%252fsecret.txt",
        "/cairn/assets/..\\..\\secret.txt",
        "/cairn/%5c..%5csecret.txt",
        "/cairn/..%5csecret.txt",
        "/cairn//etc/passwd",
        "/cairn/%2fetc%2fpasswd",
        "/cairn/models/../../secret.txt",
        "/cairn/models/%2e%2e/%2e%2e/secret.txt",
        "/cairn/models/..%2f..%2fsecret.txt",
        "/cairn/../viewer-evil/x.txt",
        "/cairn/link-out.txt",
        "/cairn/.hidden",
        "/cairn/%2ehidden",
        "/cairn/assets/./../.hidden",
    ]
    for path in attacks:
        status, _, body = request(port, "GET", path)
        leaked = SECRET.encode() in body or b"root:x:0:0" in body
        check(400 <= status < 500 and not leaked, f"refused: {path}", f"{status} {body[:80]!r}")

    # Orthanc's HTTP server (CivetWeb) decodes %00 and cuts the path there before any plugin or filter sees it, so
    # the plugin cannot refuse these: what it must never do is answer with something outside the roots.
    for path in ("/cairn/index.html%00.js", "/cairn/%00../secret.txt", "/cairn/assets%00/../../secret.txt"):
        status, _, body = request(port, "GET", path)
        leaked = SECRET.encode() in body or b"root:x:0:0" in body
        check(not leaked and (status >= 400 or body.startswith(b"<!doctype html>")),
              f"NUL cut by Orthanc, nothing outside the root: {path}", f"{status} {body[:80]!r}")

    status, _, _ = request(port, "GET", "/cairn/no/such/file.js")
    check(status == 404, "unknown path gives 404", f"{status}")
    status, _, _ = request(port, "GET", "/cairn/models/")
    check(status == 404, "/cairn/models/ (a folder) gives 404", f"{status}")
    status, _, _ = request(port, "GET", "/cairn/assets")
    check(status == 404, "/cairn/assets (a folder) gives 404", f"{status}")
    for method in ("POST", "PUT", "DELETE"):
        status, h, _ = request(port, method, "/cairn/index.html", body=b"x")
        check(status == 405, f"{method} refused with 405", f"{status}")
    status, h, _ = request(port, "POST", "/cairn/")
    check(status == 405 and "GET" in h.get("allow", ""), "405 names the allowed methods", f"{status} {h.get('allow')}")
    # Orthanc 1.10 answers every HEAD request with 404 before any plugin sees it: no body, no file.
    status, h, _ = request(port, "HEAD", "/cairn/index.html")
    check(status in (200, 404) and h.get("content-length", "0") in ("0", str(len(b"<!doctype html><title>Cairn test</title>"))),
          "HEAD sends no body (Orthanc 1.10 answers HEAD with 404 itself)", f"{status} {h.get('content-length')}")


def check_orthanc_side(port, study_uid):
    status, _, body = request(port, "GET", "/plugins/explorer.js")
    text = body.decode("utf-8", "replace")
    check(status == 200 and "Open in Cairn" in text and "../cairn/?study=" in text and "#study-access" in text,
          "Orthanc Explorer's extension adds 'Open in Cairn' linking to ../cairn/?study=<StudyInstanceUID>")
    status, _, body = request(port, "GET", "/plugins/cairn")
    check(status == 200 and json.loads(body).get("ExtendsOrthancExplorer") is True,
          "/plugins/cairn reports that it extends Orthanc Explorer", f"{status}")
    status, h, body = request(port, "GET", "/dicom-web/studies", headers={"Accept": "application/dicom+json"})
    uids = []
    if status == 200:
        uids = [s.get("0020000D", {}).get("Value", [None])[0] for s in json.loads(body)]
    check(study_uid in uids, "QIDO-RS /dicom-web/studies lists the uploaded study", f"{status} {uids}")
    status, _, body = request(port, "GET", f"/dicom-web/studies/{study_uid}/series",
                              headers={"Accept": "application/dicom+json"})
    count = json.loads(body)[0].get("00201209", {}).get("Value", [0])[0] if status == 200 else 0
    check(count == 3, "QIDO-RS counts the 3 uploaded instances in the series", f"{status} {count}")


def check_auth(port):
    status, h, _ = request(port, "GET", "/cairn/")
    check(status == 401, "with authentication on, /cairn/ without credentials gives 401", f"{status}")
    status, _, body = request(port, "GET", "/cairn/models/catalog.json")
    check(status == 401 and b"models" not in body, "... and /cairn/models/catalog.json too", f"{status}")
    status, _, _ = request(port, "GET", "/cairn/", auth=(USER, "wrong"))
    check(status == 401, "a wrong password gives 401", f"{status}")
    status, h, body = request(port, "GET", "/cairn/", auth=(USER, PASSWORD))
    check(status == 200 and body.startswith(b"<!doctype html>") and
          h.get("cross-origin-embedder-policy") == "require-corp", "with credentials, 200 and the headers", f"{status}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    plugin = os.path.abspath(args.plugin)
    dicomweb = next((p for p in DICOMWEB_CANDIDATES if os.path.exists(p)), None)
    if not os.path.exists(ORTHANC) or dicomweb is None:
        print(f"FAIL - Orthanc ({ORTHANC}) or its DICOMweb plugin is missing: run scripts/install-deps.sh")
        print("0 passed, 1 failed")
        return 1
    archive = os.path.join(args.source_dir, "demo", "LIDC-IDRI-0001.tar.xz")

    tmp = tempfile.mkdtemp(prefix="cairn-plugin-test-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        viewer, models = make_roots(tmp)
        open_dir, auth_dir, bad_dir = (os.path.join(tmp, n) for n in ("open", "auth", "bad"))
        for d in (open_dir, auth_dir, bad_dir):
            os.makedirs(d)
        open_port, auth_port, bad_port = free_port(), free_port(), free_port()
        p_open = start_orthanc(open_dir, write_config(open_dir, open_port, plugin, dicomweb, viewer, models, {}))
        p_auth = start_orthanc(auth_dir, write_config(
            auth_dir, auth_port, plugin, dicomweb, viewer, models,
            {"AuthenticationEnabled": True, "RegisteredUsers": {USER: PASSWORD}}))
        bad = write_config(bad_dir, bad_port, plugin, dicomweb, viewer, models, {})
        with open(bad) as f:
            config = json.load(f)
        config["Cairn"]["ConnectSrc"] = ["https://ok.example.org", "'unsafe-eval'"]
        with open(bad, "w") as f:
            json.dump(config, f)
        p_bad = start_orthanc(bad_dir, bad)
        slices = extract_slices(archive, tmp, 3)

        if not wait_ready(p_open, open_port):
            check(False, "Orthanc with the Cairn plugin starts", open(os.path.join(open_dir, "orthanc.log")).read()[-2000:])
            return 1
        check(True, "Orthanc with the DICOMweb and Cairn plugins starts")
        log = open(os.path.join(open_dir, "orthanc.log")).read()
        check("Cairn: version" in log and "ViewerRoot: " + viewer in log and "connect-src 'self' https://pacs.example.org" in log,
              "the plugin logs its configuration at start")

        study_uid = None
        ok = len(slices) == 3
        for path in slices:
            with open(path, "rb") as f:
                status, _, body = request(open_port, "POST", "/instances", body=f.read(),
                                          headers={"Content-Type": "application/dicom"})
            ok = ok and status == 200 and json.loads(body).get("Status") in ("Success", "AlreadyStored")
            if status == 200:
                study_id = json.loads(body)["ParentStudy"]
                _, _, s = request(open_port, "GET", f"/studies/{study_id}")
                study_uid = json.loads(s)["MainDicomTags"]["StudyInstanceUID"]
        check(ok, "3 CT slices of LIDC-IDRI-0001 uploaded through /instances")

        check_site(open_port, viewer)
        check_refusals(open_port)
        check_orthanc_side(open_port, study_uid)

        if wait_ready(p_auth, auth_port, auth=(USER, PASSWORD)):
            check_auth(auth_port)
        else:
            check(False, "Orthanc with authentication starts")

        try:
            code = p_bad.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = None
        bad_log = open(os.path.join(bad_dir, "orthanc.log")).read()
        check(code not in (None, 0) and "ConnectSrc" in bad_log,
              "a ConnectSrc entry that is not an origin stops Orthanc with a message naming it", f"exit {code}")
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
