#!/usr/bin/python3
"""Does every client get answered? wrk reports only the requests that were answered, so a connection that never
gets one of Orthanc's threads (CivetWeb serves each keep-alive connection on one thread for as long as it stays
busy) does not show in its figures. This opens N keep-alive connections at once, each asking PATH again and again
for D seconds from one event loop (no client ever pauses), and prints one RESULT line: how many connections were
never answered, and the time to the first answer (median, max) over those that were.

usage: fairness.py [--ca CERT.pem] PORT PATH CONNECTIONS SECONDS      (--ca: HTTPS, the server's certificate
       checked against CERT.pem; for nginx in front, deploy/load-test.sh --nginx)
"""
import asyncio
import ssl
import sys
import time


async def client(port, path, deadline, start, firsts, counts, i, tls):
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=tls),
                                                    deadline - time.monotonic())
        except (OSError, asyncio.TimeoutError):
            return
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), deadline - time.monotonic())
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                    if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                        close = True
                await asyncio.wait_for(reader.readexactly(length), deadline - time.monotonic() + 5)
                counts[i] += 1
                if firsts[i] is None:
                    firsts[i] = time.monotonic() - start
                if close:
                    break
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


async def main(port, path, n, seconds, tls):
    start = time.monotonic()
    deadline = start + seconds
    firsts = [None] * n
    counts = [0] * n
    await asyncio.gather(*(client(port, path, deadline, start, firsts, counts, i, tls) for i in range(n)))
    answered = sorted(f for f in firsts if f is not None)
    median = answered[len(answered) // 2] if answered else float("nan")
    worst = answered[-1] if answered else float("nan")
    print(f"RESULT connections={n} never_answered={n - len(answered)} first_p50_ms={median * 1000:.1f} "
          f"first_max_ms={worst * 1000:.1f} requests={sum(counts)}")


if __name__ == "__main__":
    argv = sys.argv[1:]
    context = None
    if argv[:1] == ["--ca"] and len(argv) >= 2:
        context = ssl.create_default_context(cafile=argv[1])
        argv = argv[2:]
    if len(argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(argv[0]), argv[1], int(argv[2]), float(argv[3]), context))
