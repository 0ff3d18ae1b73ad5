#!/usr/bin/python3
"""The checks of deploy/check-nginx.sh against nginx rendered from deploy/nginx/ in front of a real Orthanc.

usage: check_nginx.py --mode plugin|disk --https https://127.0.0.1:P --http http://127.0.0.1:Q
         --orthanc http://127.0.0.1:R --ca tls.crt --user U --password W --study UID --stow-file F.dcm
         --viewer-root DIR --models-root DIR --connect-src ORIGIN
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Client, Tally, csp_directives, stow_body  # noqa: E402

FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
BROWSER_ENCODING = {"Accept-Encoding": "gzip, deflate, br"}
t = Tally()


def check_tls(args):
    curl = ["curl", "-s", "-o", "/dev/null", "--cacert", args.ca, "-u", f"{args.user}:{args.password}"]
    out = subprocess.run(curl + ["-w", "%{http_code} %{http_version} %{ssl_verify_result}",
                                 f"{args.https}/cairn/"], capture_output=True, text=True)
    t.check(out.stdout == "200 2 0", "HTTPS with the certificate verified, HTTP/2 negotiated", out.stdout)
    out = subprocess.run(curl + ["--tls-max", "1.1", "-w", "%{http_code}", f"{args.https}/cairn/"],
                         capture_output=True, text=True)
    t.check(out.returncode != 0, "TLS 1.1 and older are refused", f"curl exit {out.returncode}, {out.stdout}")
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{args.https}/cairn/"],
                         capture_output=True, text=True)
    t.check(out.returncode == 60, "an untrusted client refuses the self-signed certificate (curl error 60)",
            f"exit {out.returncode}")
    plain = Client(args.http)
    r = plain.request("GET", "/cairn/?study=1.2.3")
    https_port = args.https.rsplit(":", 1)[1]
    t.check(r.status == 301 and r.header("location") == f"https://127.0.0.1:{https_port}/cairn/?study=1.2.3",
            "plain HTTP redirects to the same URL over HTTPS", f"{r.status} {r.header('location')}")


def check_viewer_headers(args, web, orthanc):
    r = web.request("GET", "/cairn/", headers=BROWSER_ENCODING)
    t.check(r.status == 200 and r.data().lstrip().lower().startswith(b"<!doctype html"),
            "/cairn/ answers 200 with the page", f"{r.status}")
    for name, value in (("cross-origin-opener-policy", "same-origin"),
                        ("cross-origin-embedder-policy", "require-corp"),
                        ("cross-origin-resource-policy", "same-origin"),
                        ("x-content-type-options", "nosniff"),
                        ("strict-transport-security", "max-age=31536000")):
        t.check(r.header(name) == value, f"/cairn/ sends {name}: {value}, once", str(r.header(name)))
    csp = r.header("content-security-policy")
    direct = orthanc.request("GET", "/cairn/").header("content-security-policy")
    t.check(csp is not None and csp_directives(csp) == csp_directives(direct),
            "/cairn/ sends one Content-Security-Policy, the same as the plugin's", f"{csp!r} vs {direct!r}")
    d = csp_directives(csp)
    t.check(d.get("script-src") == ["'self'", "'wasm-unsafe-eval'"] and
            d.get("connect-src") == ["'self'", args.connect_src],
            "the CSP allows no inline script or eval, and connects to this origin and the configured PACS", csp)
    t.check(r.header("cache-control") == "no-cache" and r.header("etag") is not None,
            "index.html is revalidated by ETag (no-cache)", f"{r.header('cache-control')} {r.header('etag')}")
    r2 = web.request("GET", "/cairn/", headers={"If-None-Match": r.header("etag") or '"none"'})
    t.check(r2.status == 304 and r2.header("cross-origin-embedder-policy") == "require-corp",
            "If-None-Match gives 304, still with COEP", f"{r2.status}")
    r = web.request("HEAD", "/cairn/")
    t.check(r.status == 200 and r.body == b"", "HEAD /cairn/ answers 200 with no body", f"{r.status}")


def check_assets(args, web, orthanc):
    folder = os.path.join(args.viewer_root, "assets")
    assets = sorted(a for a in os.listdir(folder) if not a.endswith(".map")) if os.path.isdir(folder) else []
    wasm = [a for a in assets if a.endswith(".wasm")]
    if not wasm:
        t.check(False, "the viewer build has WebAssembly files to check", "build the viewer (web/dist/viewer)")
        return
    immutable = 0
    for name in assets:
        r = web.request("GET", f"/cairn/assets/{name}", headers=BROWSER_ENCODING)
        with open(os.path.join(folder, name), "rb") as f:
            raw = f.read()
        direct = orthanc.request("GET", f"/cairn/assets/{name}")
        mime = (r.header("content-type") or "").split(";")[0]
        t.check(r.status == 200 and r.data() == raw and mime == (direct.header("content-type") or "").split(";")[0],
                f"{name}: byte for byte ({r.header('content-encoding') or 'identity'}), {mime} as from the plugin",
                f"{r.status} {mime}")
        t.check(r.header("cache-control") == direct.header("cache-control") and
                r.header("cross-origin-embedder-policy") == "require-corp" and
                r.header("cross-origin-resource-policy") == "same-origin",
                f"{name}: Cache-Control as the plugin's ({direct.header('cache-control')}), COEP and CORP",
                f"{r.header('cache-control')}")
        immutable += r.header("cache-control") == "public, max-age=31536000, immutable"
        if name.endswith(".wasm"):
            t.check(mime == "application/wasm", f"{name} is application/wasm", mime)
        if name.endswith(".mjs") or name.endswith(".js"):
            t.check(mime == "text/javascript", f"{name} (a worker or module) is text/javascript", mime)
    t.check(immutable > 0, "content-hashed files are cached for a year", f"{immutable} of {len(assets)}")


def check_models(args, web):
    r = web.request("GET", "/cairn/models/catalog.json", headers=BROWSER_ENCODING)
    catalog = r.json() if r.status == 200 else {"models": []}
    t.check(r.status == 200 and catalog["models"], "/cairn/models/catalog.json lists the models", f"{r.status}")
    if not catalog["models"]:
        return
    entry = catalog["models"][0]
    r = web.request("GET", f"/cairn/models/{entry['file']}", headers=BROWSER_ENCODING)
    t.check(r.status == 200 and r.header("content-encoding") is None and
            hashlib.sha256(r.body).hexdigest() == entry["sha256"],
            "the model arrives uncompressed (neither Orthanc nor nginx gzips it) with the catalog's SHA-256",
            f"{r.status} {r.header('content-encoding')} {len(r.body)} bytes")


def check_dicomweb(args, web):
    study = args.study
    r = web.request("GET", f"/dicom-web/studies/{study}/series", headers={"Accept": "application/dicom+json",
                                                                        **BROWSER_ENCODING})
    series = r.json()[0]["0020000E"]["Value"][0] if r.status == 200 else ""
    t.check(r.status == 200 and r.header("content-encoding") == "gzip",
            "QIDO-RS through nginx, gzipped by nginx", f"{r.status} {r.header('content-encoding')}")
    r = web.request("GET", f"/dicom-web/studies/{study}/series/{series}/metadata",
                    headers={"Accept": "application/dicom+json", **BROWSER_ENCODING})
    metadata = r.json() if r.status == 200 else []
    t.check(r.status == 200 and r.header("content-encoding") == "gzip" and len(metadata) >= 5,
            "WADO-RS series metadata (DICOM JSON) is gzipped, with the uploaded instances",
            f"{r.status} {r.header('content-encoding')}")
    t.check(r.header("vary") is not None and "accept-encoding" in r.header("vary").lower(),
            "... with Vary: Accept-Encoding", str(r.header("vary")))
    t.check(r.header("cross-origin-resource-policy") == "same-origin" and
            r.header("x-content-type-options") == "nosniff", "DICOMweb answers carry CORP same-origin and nosniff")
    text = json.dumps(metadata)
    t.check(f'"{args.https}/dicom-web/studies/' in text and '"http://' not in text,
            "the DICOMweb plugin's absolute URLs are the browsers' (https, nginx's host and port)",
            text[text.find("BulkDataURI"):][:160])
    instance = metadata[0]["00080018"]["Value"][0] if metadata else ""
    r = web.request("GET", f"/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/1",
                    headers={"Accept": FRAME_ACCEPT, **BROWSER_ENCODING})
    t.check(r.status == 200 and r.header("content-encoding") is None and len(r.body) > 512 * 512 * 2,
            "a frame arrives uncompressed although the client accepts gzip (Orthanc and nginx leave it)",
            f"{r.status} {r.header('content-encoding')} {len(r.body)} bytes")
    boundary = "cairn-check-nginx-boundary"
    r = web.request("POST", f"/dicom-web/studies/{study}", body=stow_body([args.stow_file], boundary),
                    headers={"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                             "Accept": "application/dicom+json"})
    t.check(r.status == 200 and "00081199" in r.json(), "STOW-RS through nginx stores an instance",
            f"{r.status} {r.body[:200]!r}")


def check_auth(args, web, anonymous):
    r = anonymous.request("GET", "/dicom-web/studies")
    t.check(r.status == 401 and (r.header("www-authenticate") or "").startswith("Basic"),
            "without credentials, /dicom-web/ gives Orthanc's 401 with its WWW-Authenticate", f"{r.status}")
    r = anonymous.request("GET", "/dicom-web/studies", auth=(args.user, "wrong"))
    t.check(r.status == 401, "a wrong password gives 401", f"{r.status}")
    r = web.request("GET", "/dicom-web/studies", headers={"Accept": "application/dicom+json"})
    t.check(r.status == 200 and args.study in r.text(), "with the credentials passed through, 200 and the study",
            f"{r.status}")
    r = anonymous.request("GET", "/cairn/")
    if args.mode == "plugin":
        t.check(r.status == 401, "the plugin's /cairn/ is behind Orthanc's authentication too", f"{r.status}")
    else:
        t.check(r.status == 200, "from disk, /cairn/ is public (the viewer holds no patient data)", f"{r.status}")


def check_blocked(args, web, orthanc):
    paths = ["/dicom-web/servers", "/dicom-web/servers/", "/dicom-web/servers/evil", "/dicom-web/servers/evil/get",
             "/dicom-web/servers/evil/stow", "/dicom-web//servers", "/dicom-web/%73ervers", "/dicom-web/Servers",
             "/dicom-web/./servers", "/cairn/../dicom-web/servers", "/dicom-web%2fservers", "/dicom-web/servers%2fevil",
             "/dicom-web/studies/../servers"]
    evil = json.dumps({"Url": "http://169.254.169.254/latest/", "Username": "x", "Password": "y"}).encode()
    for path in paths:
        for method in ("GET", "POST", "PUT", "DELETE"):
            body = evil if method in ("POST", "PUT") else None
            r = web.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else None)
            t.check(r.status in (403, 404) and b"169.254" not in r.body and b"Url" not in r.body,
                    f"{method} {path} refused", f"{r.status} {r.body[:80]!r}")
    r = orthanc.request("GET", "/dicom-web/servers")
    t.check(r.status == 200 and r.json() == [], "no DICOMweb server got registered in Orthanc",
            f"{r.status} {r.text()}")
    for method, path in (("GET", "/system"), ("GET", "/instances"), ("GET", "/app/explorer.html"),
                         ("POST", "/tools/execute-script"), ("GET", "/modalities"), ("GET", "/peers"),
                         ("DELETE", f"/dicom-web/studies/{args.study}"), ("PUT", "/dicom-web/studies"),
                         ("POST", "/cairn/index.html"), ("GET", "/plugins/explorer.js")):
        r = web.request(method, path, body=b"x" if method in ("POST", "PUT") else None)
        t.check(r.status in (403, 404, 405), f"{method} {path} is not reachable through nginx", f"{r.status}")


def check_limits(args, web):
    r = web.request("GET", "/cairn/" + "a" * 10000)
    t.check(r.status == 414, "a 10 kB URL gets 414 from nginx", f"{r.status}")
    r = web.request("GET", "/cairn/", headers={"X-Big": "a" * 20000})
    t.check(r.status == 400, "a 20 kB header gets 400 from nginx", f"{r.status}")
    r = web.request("POST", f"/dicom-web/studies/{args.study}", body=b"",
                    headers={"Content-Length": str(300 * 1024 * 1024), "Content-Type": "application/dicom"})
    t.check(r.status == 413, "a 300 MB body claim gets 413 before Orthanc allocates anything", f"{r.status}")
    for path in ("/cairn/../../etc/passwd", "/cairn/%2e%2e/%2e%2e/etc/passwd", "/cairn/..%2f..%2fetc/passwd",
                 "/cairn/models/../../../etc/passwd", "/cairn/.hidden",
                 "/cairn/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        r = web.request("GET", path)
        t.check(400 <= r.status < 500 and b"root:x:0:0" not in r.body, f"refused: {path}", f"{r.status}")


def main():
    p = argparse.ArgumentParser()
    for name in ("mode", "https", "http", "orthanc", "ca", "user", "password", "study", "stow-file", "viewer-root",
                 "models-root", "connect-src"):
        p.add_argument("--" + name, required=True)
    args = p.parse_args()
    print(f"# nginx with /cairn/ from the {args.mode}", flush=True)
    web = Client(args.https, cafile=args.ca, auth=(args.user, args.password))
    anonymous = Client(args.https, cafile=args.ca)
    orthanc = Client(args.orthanc, auth=(args.user, args.password))
    check_tls(args)
    check_viewer_headers(args, web, orthanc)
    check_assets(args, web, orthanc)
    check_models(args, web)
    check_auth(args, web, anonymous)
    check_dicomweb(args, web)
    check_blocked(args, web, orthanc)
    check_limits(args, web)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
