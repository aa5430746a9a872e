#!/usr/bin/env python3
"""Records what real Redis 7.0.15 answers to bad bytes on a socket:
tests/fixtures/bridge/protocol.tsv, which tests/bridge.rs replays against
the bridge (same reply bytes, same verdict on the connection).

Each payload is sent on a fresh connection to a real `redis-server` on
127.0.0.1; what comes back within half a second is recorded, with whether
the server closed the connection.

TSV columns: name, payload (hex; `HEX*N` is HEX repeated N times), reply
(hex), `closed` or `open`.

usage: record-protocol.py [--out FILE]
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "bridge" / "protocol.tsv"

# name, payload as (bytes, repeat) pieces
PAYLOADS = [
    ("ping_inline", [(b"PING\r\n", 1)]),
    ("ping_multibulk", [(b"*1\r\n$4\r\nPING\r\n", 1)]),
    ("multibulk_count_not_a_number", [(b"*abc\r\n", 1)]),
    ("multibulk_count_past_int_max", [(b"*2147483648\r\n", 1)]),
    ("multibulk_count_int_max_waits", [(b"*2147483647\r\n", 1)]),
    ("multibulk_count_negative", [(b"*-1\r\nPING\r\n", 1)]),
    ("multibulk_count_zero", [(b"*0\r\nPING\r\n", 1)]),
    ("bulk_length_600mb", [(b"*1\r\n$600000000\r\n", 1)]),
    ("bulk_length_proto_max_waits", [(b"*1\r\n$536870912\r\n", 1)]),
    ("bulk_length_negative", [(b"*1\r\n$-5\r\n", 1)]),
    ("bulk_length_not_a_number", [(b"*1\r\n$x\r\n", 1)]),
    ("expected_dollar", [(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n+1\r\n", 1)]),
    ("bulk_without_crlf", [(b"*1\r\n$4\r\nPINGxx", 1)]),
    ("half_command", [(b"*2\r\n$3\r\nGET\r\n$1", 1)]),
    ("binary_garbage_inline", [(b"\x00\xff\xfe garbage\r\n", 1)]),
    ("inline_unbalanced_quotes", [(b"SET \"a b\r\n", 1)]),
    ("inline_unknown_command", [(b"NOSUCH a b\r\n", 1)]),
    ("inline_empty_lines", [(b"\r\n\r\n\n", 1), (b"PING\r\n", 1)]),
    ("inline_too_big", [(b"a", 70000)]),
    ("multibulk_count_unterminated", [(b"*", 1), (b"payload", 10000)]),
    ("bulk_count_unterminated", [(b"*1\r\n$", 1), (b"7", 70000)]),
    ("pipelined_then_garbage", [(b"PING\r\nECHO hi\r\n*x\r\n", 1)]),
    ("resp3_hello_unknown_version", [(b"HELLO 4\r\n", 1)]),
]


def payload_bytes(pieces):
    return b"".join(chunk * count for chunk, count in pieces)


def payload_text(pieces):
    return " ".join(chunk.hex() + (f"*{count}" if count != 1 else "") for chunk, count in pieces)


def exchange(port, payload):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(payload)
        s.settimeout(0.5)
        data = b""
        closed = False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
        return data, closed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="record-protocol-") as tmp:
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--dir", tmp, "--daemonize", "no"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("record-protocol: redis-server did not start")
                    time.sleep(0.05)
            rows = []
            for name, pieces in PAYLOADS:
                reply, closed = exchange(port, payload_bytes(pieces))
                rows.append(f"{name}\t{payload_text(pieces)}\t{reply.hex()}\t{'closed' if closed else 'open'}")
        finally:
            server.kill()
            server.wait()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(rows) + "\n")
    print(f"recorded {args.out} ({len(rows)} payloads)")


if __name__ == "__main__":
    main()
