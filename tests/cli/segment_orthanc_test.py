#!/usr/bin/python3
"""`cairn segment --stow` against a real Orthanc 1.10 with its DICOMweb plugin, on 127.0.0.1.

Usage: segment_orthanc_test.py PATH/TO/cairn

Starts Orthanc on a free loopback port with temporary storage and HTTP authentication, uploads the pydicom phantom
CT of segment_test.py through Orthanc's REST API, runs `cairn segment ... --stow http://user:password@.../dicom-web`
and checks that Orthanc stored the SEG in the CT's study (its own series, modality SEG), that the stored file reads
back with pydicom with the phantom's mask, and that a wrong password is a clear HTTP 401 error. Orthanc is stopped at
the end whatever happens. Prints "N passed, N failed".
"""
import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import segment_test as phantom  # noqa: E402  (the phantom, the threshold model, the SEG reader)

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_CANDIDATES = ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so", "/usr/lib/orthanc/libOrthancDicomWeb.so"]
USER, PASSWORD = "cairn", "stow-test-password"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def main():
    check = phantom.check
    dicomweb = next((p for p in DICOMWEB_CANDIDATES if os.path.exists(p)), None)
    if not check(f"Orthanc ({ORTHANC}) and its DICOMweb plugin are installed (scripts/install-deps.sh)",
                 os.path.exists(ORTHANC) and dicomweb is not None):
        print(f"{phantom.passed} passed, {phantom.failed} failed")
        return 1
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        config = {"Name": "cairn-stow-test", "StorageDirectory": os.path.join(work, "storage"),
                  "IndexDirectory": os.path.join(work, "storage"), "HttpPort": port, "DicomServerEnabled": False,
                  "RemoteAccessAllowed": False, "AuthenticationEnabled": True,
                  "RegisteredUsers": {USER: PASSWORD}, "HttpCompressionEnabled": False, "SaveJobs": False,
                  "Plugins": [dicomweb], "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}}
        with open(os.path.join(work, "orthanc.json"), "w") as f:
            json.dump(config, f)
        log = open(os.path.join(work, "orthanc.log"), "w")
        orthanc = subprocess.Popen([ORTHANC, os.path.join(work, "orthanc.json")], stdout=log,
                                   stderr=subprocess.STDOUT, cwd=work)
        try:
            deadline, ready = time.time() + 30, False
            while time.time() < deadline and not ready and orthanc.poll() is None:
                try:
                    ready = request(port, "GET", "/system")[0] == 200
                except OSError:
                    time.sleep(0.1)
            if not check("Orthanc started", ready, open(os.path.join(work, "orthanc.log")).read()[-2000:]):
                return 1
            series = os.path.join(work, "series")
            labels = phantom.phantom_labels()
            uids = phantom.write_phantom(series, labels)
            for name in sorted(os.listdir(series)):
                with open(os.path.join(series, name), "rb") as f:
                    status, _ = request(port, "POST", "/instances", f.read())
                check(f"upload {name}", status == 200, str(status))
            model = os.path.join(work, "threshold.onnx")
            phantom.threshold_model(model)

            url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/dicom-web"
            r = phantom.cairn("segment", model, series, "--stow", url, "--quiet")
            if phantom.expect_ok("segment --stow to Orthanc", r):
                check("Orthanc answered 200", "answered HTTP 200" in r.out, r.out)
            status, body = request(port, "GET", "/studies")
            studies = json.loads(body) if status == 200 else []
            check("one study in Orthanc", len(studies) == 1, body[:300])
            status, body = request(port, "GET", f"/studies/{studies[0]}/series" if studies else "/series")
            found = json.loads(body) if status == 200 else []
            modalities = sorted(s["MainDicomTags"].get("Modality", "") for s in found)
            check("the SEG is a series of the CT's study", modalities == ["CT", "SEG"], str(modalities))
            seg_series = [s for s in found if s["MainDicomTags"].get("Modality") == "SEG"]
            if seg_series and check("the SEG series holds one instance", len(seg_series[0]["Instances"]) == 1):
                status, data = request(port, "GET", f"/instances/{seg_series[0]['Instances'][0]}/file")
                stored = os.path.join(work, "stored.dcm")
                with open(stored, "wb") as f:
                    f.write(data)
                _, rebuilt = phantom.seg_labels(stored, uids, labels.shape, {"Right lung": 1, "Left lung": 2})
                check("the SEG stored by Orthanc holds the phantom's mask", np.array_equal(rebuilt, labels),
                      f"{np.count_nonzero(rebuilt != labels)} voxels differ")
                check("the stored SEG names the algorithm",
                      pydicom.dcmread(stored).SegmentSequence[0].SegmentAlgorithmName == "Threshold 0.1")

            bad = f"http://{USER}:wrong@127.0.0.1:{port}/dicom-web"
            r = phantom.cairn("segment", model, series, "--stow", bad, "--quiet")
            phantom.expect_error("segment --stow with a wrong password", r, "HTTP 401")
        finally:
            orthanc.send_signal(signal.SIGTERM)
            try:
                orthanc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                orthanc.kill()
                orthanc.wait()
            log.close()
    print(f"{phantom.passed} passed, {phantom.failed} failed")
    return 1 if phantom.failed or not phantom.passed else 0


if __name__ == "__main__":
    sys.exit(main())
