#!/usr/bin/python3
"""The checks of deploy/scale-out.sh: the study was uploaded through Orthanc A only; Orthanc B, sharing A's
PostgreSQL database, must show all of it through DICOMweb and serve the viewer, and A must see what B stores.

usage: check_scale_out.py --a http://127.0.0.1:P --b http://127.0.0.1:Q --user U --password W --study UID
         --study-dir DIR
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Client, Tally, csp_directives, stow_body  # noqa: E402

FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
DICOM_JSON = {"Accept": "application/dicom+json"}
t = Tally()


def first_part(response):
    """The body of the first part of a multipart/related answer."""
    m = re.search(r'boundary="?([^";]+)"?', response.header("content-type") or "")
    if not m:
        return None
    delimiter = b"--" + m.group(1).encode()
    parts = response.body.split(delimiter)
    if len(parts) < 3:
        return None
    head, _, body = parts[1].partition(b"\r\n\r\n")
    return body[:-2] if body.endswith(b"\r\n") else body


def value(item, tag):
    return item.get(tag, {}).get("Value", [None])[0]


def main():
    p = argparse.ArgumentParser()
    for name in ("a", "b", "user", "password", "study", "study-dir"):
        p.add_argument("--" + name, required=True)
    args = p.parse_args()
    auth = (args.user, args.password)
    a, b = Client(args.a, auth=auth), Client(args.b, auth=auth)
    originals = {f[:-4]: os.path.join(args.study_dir, f) for f in os.listdir(args.study_dir) if f.endswith(".dcm")}

    for name, client in (("A", a), ("B", b)):
        system = client.request("GET", "/system").json()
        t.check("PostgreSQL" in str(system.get("DatabaseBackendPlugin")) and system.get("CheckRevisions") is True,
                f"Orthanc {name} keeps its index in PostgreSQL, with revisions checked",
                f"{system.get('DatabaseBackendPlugin')} {system.get('CheckRevisions')}")
    stats = b.request("GET", "/statistics").json()
    t.check(stats.get("CountInstances") == 60, "Orthanc B counts the 60 instances uploaded through A", str(stats))

    r = b.request("GET", "/dicom-web/studies", headers=DICOM_JSON)
    t.check(r.status == 200 and args.study in [value(s, "0020000D") for s in r.json()],
            "QIDO-RS on B lists the study", f"{r.status}")
    r = b.request("GET", f"/dicom-web/studies/{args.study}/series", headers=DICOM_JSON)
    series = r.json() if r.status == 200 else []
    t.check(len(series) == 1 and value(series[0], "00201209") == 60, "QIDO-RS on B: one series of 60 instances",
            f"{r.status} {[value(s, '00201209') for s in series]}")
    series_uid = value(series[0], "0020000E") if series else ""
    r = b.request("GET", f"/dicom-web/studies/{args.study}/series/{series_uid}/metadata", headers=DICOM_JSON)
    metadata = r.json() if r.status == 200 else []
    t.check(len(metadata) == 60 and all(value(m, "00280010") == 512 for m in metadata),
            "WADO-RS metadata on B: 60 instances with their attributes", f"{r.status} {len(metadata)}")

    frames_ok = files_ok = 0
    for item in metadata:
        uid = value(item, "00080018")
        path = f"/dicom-web/studies/{args.study}/series/{series_uid}/instances/{uid}/frames/1"
        from_b = first_part(b.request("GET", path, headers={"Accept": FRAME_ACCEPT}))
        from_a = first_part(a.request("GET", path, headers={"Accept": FRAME_ACCEPT}))
        expected = value(item, "00280010") * value(item, "00280011") * value(item, "00280100") // 8
        frames_ok += from_b is not None and len(from_b) == expected and from_b == from_a
        found = b.request("POST", "/tools/lookup", body=uid.encode()).json()
        stored = b.request("GET", f"/instances/{found[0]['ID']}/file").body if found else b""
        with open(originals.get(uid, os.devnull), "rb") as f:
            files_ok += stored == f.read() and stored != b""
    t.check(frames_ok == 60, "WADO-RS on B gives every frame, the same bytes as A's", f"{frames_ok} of 60")
    t.check(files_ok == 60, "B gives back every uploaded file byte for byte", f"{files_ok} of 60")

    r = b.request("GET", "/cairn/")
    csp = csp_directives(r.header("content-security-policy"))
    t.check(r.status == 200 and r.header("cross-origin-opener-policy") == "same-origin" and
            r.header("cross-origin-embedder-policy") == "require-corp" and
            csp.get("script-src") == ["'self'", "'wasm-unsafe-eval'"],
            "B serves /cairn/ with COOP, COEP and the CSP", f"{r.status} {r.header_list}")
    r = b.request("GET", "/cairn/models/catalog.json")
    t.check(r.status == 200 and json.loads(r.body).get("models"), "B serves the models' catalog", f"{r.status}")
    r = Client(args.b).request("GET", "/dicom-web/studies")
    t.check(r.status == 401, "B refuses DICOMweb without credentials", f"{r.status}")

    # The other way: an instance stored through B's STOW-RS is seen by A.
    some = next(iter(originals))
    found = b.request("POST", "/tools/lookup", body=some.encode()).json()
    modified = b.request("POST", f"/instances/{found[0]['ID']}/modify",
                         body=json.dumps({"Replace": {"SeriesDescription": "stored through B"}}).encode())
    path = os.path.join(os.path.dirname(args.study_dir), "through-b.dcm")
    with open(path, "wb") as f:
        f.write(modified.body)
    boundary = "cairn-scale-out-boundary"
    r = b.request("POST", f"/dicom-web/studies/{args.study}", body=stow_body([path], boundary),
                  headers={"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                           **DICOM_JSON})
    stored = r.json().get("00081199", {}).get("Value", []) if r.status == 200 else []
    new_uid = value(stored[0], "00081155") if stored else None
    t.check(modified.status == 200 and new_uid is not None and new_uid not in originals,
            "STOW-RS on B stores a new instance", f"{r.status} {r.body[:200]!r}")
    r = a.request("GET", f"/dicom-web/studies/{args.study}/series/{series_uid}/instances", headers=DICOM_JSON)
    uids = [value(i, "00080018") for i in r.json()] if r.status == 200 else []
    t.check(new_uid in uids and len(uids) == 61, "A lists the instance stored through B (61 in the series)",
            f"{r.status} {len(uids)}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
