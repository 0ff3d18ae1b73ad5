#!/usr/bin/python3
"""The authentication checks of deploy/check-nginx.sh, against nginx rendered from deploy/nginx/:

--mode bearer: nginx in front of deploy/lib/token_service.py as the DICOMweb upstream (a PACS that checks bearer
  tokens). The Authorization header must reach it byte for byte (its log and its answer say what arrived), and
  its 401 with `WWW-Authenticate: Bearer` must come back.
--mode auth-request: nginx rendered with CAIRN_AUTH_REQUEST pointing at token_service.py's /check, in front of an
  Orthanc without authentication of its own. No token or a wrong one: 401 from nginx with the service's
  WWW-Authenticate, and nothing reaches Orthanc; the right one: Orthanc's answers (QIDO-RS lists the study, /cairn/).

usage: check_auth.py --mode bearer|auth-request --https https://127.0.0.1:P --ca tls.crt --token-file F
         --service-log LOG [--study UID]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Client, Tally  # noqa: E402

t = Tally()


def service_requests(log):
    """What the token service received so far, in order."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def check_bearer(args, web, token):
    path = "/dicom-web/studies?limit=10"
    for value, what in ((f"Bearer {token}", "a bearer token"),
                        (f"Bearer {token}.x-y_z~+/=", "a token with the characters of JWTs and base64")):
        before = len(service_requests(args.service_log))
        r = web.request("GET", path, headers={"Authorization": value, "Accept": "application/dicom+json"})
        seen = service_requests(args.service_log)[before:]
        received = seen[0]["authorization"] if seen else None
        if value == f"Bearer {token}":
            t.check(r.status == 200 and r.json().get("received_authorization") == value,
                    f"{what} passes through nginx to the PACS: 200", f"{r.status} {r.body[:120]!r}")
        else:
            t.check(r.status == 401 and (r.header("www-authenticate") or "").startswith("Bearer "),
                    f"{what} the PACS does not know: its 401 and WWW-Authenticate: Bearer come back",
                    f"{r.status} {r.header('www-authenticate')}")
        t.check(len(seen) == 1 and received == value and seen[0]["path"] == path,
                f"... the PACS received exactly that Authorization header, once, for the same path",
                f"{seen}")
    r = web.request("GET", path)
    t.check(r.status == 401 and r.header("www-authenticate") == 'Bearer realm="cairn-check", error="invalid_token"',
            "without a token: the PACS's 401 with its WWW-Authenticate, unchanged", f"{r.status} {r.header('www-authenticate')}")
    seen = service_requests(args.service_log)
    t.check(seen and seen[-1]["authorization"] is None, "... and nginx added no Authorization header of its own",
            f"{seen[-1:]}")


def check_auth_request(args, web, token):
    good = {"Authorization": f"Bearer {token}"}
    qido = "/dicom-web/studies?includefield=00081030"
    for headers, what in (({}, "without a token"), ({"Authorization": f"Bearer {token}x"}, "with a wrong token"),
                          ({"Authorization": f"Basic {token}"}, "with the token under another scheme")):
        before = len(service_requests(args.service_log))
        for path in (qido, "/cairn/", "/cairn/models/catalog.json"):
            r = web.request("GET", path, headers=headers)
            t.check(r.status == 401 and r.header("www-authenticate") == 'Bearer realm="cairn-check", error="invalid_token"'
                    and args.study.encode() not in r.body,
                    f"{what}: GET {path} gets 401 at nginx with the service's WWW-Authenticate, no data",
                    f"{r.status} {r.header('www-authenticate')}")
        asked = service_requests(args.service_log)[before:]
        t.check(len(asked) == 3 and all(a["path"] == "/check" for a in asked),
                f"{what}: nginx asked the token service once per request", f"{asked}")
    before = len(service_requests(args.service_log))
    r = web.request("GET", qido, headers={**good, "Accept": "application/dicom+json"})
    studies = r.json() if r.status == 200 else []
    t.check(r.status == 200 and any(s.get("0020000D", {}).get("Value") == [args.study] for s in studies),
            "with the right token: QIDO-RS reaches Orthanc and lists the study", f"{r.status} {r.body[:160]!r}")
    r = web.request("GET", "/cairn/", headers=good)
    t.check(r.status == 200 and r.header("cross-origin-embedder-policy") == "require-corp",
            "with the right token: /cairn/ from the plugin, with its headers", f"{r.status}")
    body = b"x" * 1000
    r = web.request("POST", f"/dicom-web/studies/{args.study}", body=body,
                    headers={**good, "Content-Type": 'multipart/related; type="application/dicom"; boundary=b'})
    t.check(r.status != 401, "with the right token a POST goes on to Orthanc (which judges its body)", f"{r.status}")
    asked = service_requests(args.service_log)[before:]
    t.check(len(asked) == 3 and [a["original_uri"] for a in asked] == [qido, "/cairn/", f"/dicom-web/studies/{args.study}"]
            and all(a["body_bytes"] == 0 and a["authorization"] == good["Authorization"] for a in asked),
            "the service was asked with the original URI and the token, never with a request body", f"{asked}")
    r = web.request("GET", "/dicom-web/servers", headers=good)
    t.check(r.status == 403, "/dicom-web/servers stays refused with a valid token", f"{r.status}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=("bearer", "auth-request"))
    for name in ("https", "ca", "token-file", "service-log"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--study", default="")
    args = p.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    print(f"# authentication: {args.mode}", flush=True)
    web = Client(args.https, cafile=args.ca)
    if args.mode == "bearer":
        check_bearer(args, web, token)
    else:
        check_auth_request(args, web, token)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
