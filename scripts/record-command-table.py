#!/usr/bin/env python3
"""Re-records Redis 7.0.15's command table from a real redis-server.

Writes src/engine/commands/recorded/command.resp (the reply to COMMAND:
name, arity, flags, key positions, ACL categories, tips, key specs and
subcommands of every command) and command_docs.resp (the reply to COMMAND
DOCS), debug_help.resp (the reply to DEBUG HELP), help.resp (each
container's HELP reply, as pairs of name and reply), redis-sentinel's SENTINEL
HELP and command table (src/engine/sentinel/recorded/), and what redis-cli's own
`help` prints for a few topics (tests/fixtures/cli-help.txt). Entries are sorted by name so that the files are stable; the bytes
are otherwise exactly the RESP that real Redis sent. The engine embeds
them: arity checks, COMMAND INFO/DOCS/LIST/COUNT and the console's hints all
come from here.

usage: record-command-table.py
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "engine" / "commands" / "recorded"
PORT = int(os.environ.get("RECORD_PORT", "7399"))


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def frame(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b":"):
            return (kind, rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return (kind, None)
            data = self.exact(n)
            self.exact(2)
            return (kind, data)
        if kind == b"*":
            n = int(rest)
            return (kind, None if n < 0 else [self.frame() for _ in range(n)])
        raise ValueError(f"unexpected RESP type {line!r}")


def encode(frame):
    kind, value = frame
    if kind in (b"+", b"-", b":"):
        return kind + value + b"\r\n"
    if kind == b"$":
        return b"$-1\r\n" if value is None else b"$%d\r\n%s\r\n" % (len(value), value)
    if value is None:
        return b"*-1\r\n"
    return b"*%d\r\n" % len(value) + b"".join(encode(f) for f in value)


def sort_map(frame):
    """Sorts a RESP map-as-array (name, value, name, value...) by name."""
    pairs = [frame[1][i:i + 2] for i in range(0, len(frame[1]), 2)]
    pairs.sort(key=lambda pair: pair[0][1])
    return (b"*", [f for pair in pairs for f in pair])


def ask(reader, *args):
    reader.sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    return reader.frame()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                                 "--dir", tmp, "--enable-debug-command", "yes"], stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("record-command-table: redis-server did not start")
                    time.sleep(0.05)
            reader = Reader(sock)
            version = ask(reader, b"INFO", b"server")[1]
            if b"redis_version:7.0.15" not in version:
                print("record-command-table: warning: not Redis 7.0.15", file=sys.stderr)
            table = ask(reader, b"COMMAND")
            table[1].sort(key=lambda entry: entry[1][0][1])
            for entry in table[1]:
                entry[1][9][1].sort(key=lambda sub: sub[1][0][1])  # subcommands
            docs = sort_map(ask(reader, b"COMMAND", b"DOCS"))
            for i in range(1, len(docs[1]), 2):
                doc = docs[1][i][1]
                for j in range(0, len(doc), 2):
                    if doc[j] == (b"$", b"subcommands"):
                        doc[j + 1] = sort_map(doc[j + 1])
            debug_help = ask(reader, b"DEBUG", b"HELP")
            # Every container's HELP that answers with its text.
            helps = []
            for entry in table[1]:
                name = entry[1][0][1]
                if any(sub[1][0][1] == name + b"|help" for sub in entry[1][9][1]):
                    reply = ask(reader, name.upper(), b"HELP")
                    if reply[0] == b"*":
                        helps += [(b"$", name), reply]
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "help.resp").write_bytes(encode((b"*", helps)))
            (OUT / "debug_help.resp").write_bytes(encode(debug_help))
            (OUT / "command.resp").write_bytes(encode(table))
            (OUT / "command_docs.resp").write_bytes(encode(docs))
            print(f"recorded {len(table[1])} commands into {OUT}")
            record_cli_help()
            record_sentinel()
        finally:
            proc.kill()
            proc.wait()


SENTINEL_OUT = ROOT / "src" / "engine" / "sentinel" / "recorded"


def record_sentinel():
    """redis-sentinel's own replies the engine embeds: SENTINEL HELP and its
    command table (COMMAND), sorted by name."""
    port = PORT + 1
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "sentinel.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {tmp}\n")
        proc = subprocess.Popen(["redis-sentinel", str(conf)], stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("record-command-table: redis-sentinel did not start")
                    time.sleep(0.05)
            reader = Reader(sock)
            help_reply = ask(reader, b"SENTINEL", b"HELP")
            table = ask(reader, b"COMMAND")
            table[1].sort(key=lambda entry: entry[1][0][1])
            for entry in table[1]:
                entry[1][9][1].sort(key=lambda sub: sub[1][0][1])
            SENTINEL_OUT.mkdir(parents=True, exist_ok=True)
            (SENTINEL_OUT / "help.resp").write_bytes(encode(help_reply))
            (SENTINEL_OUT / "command.resp").write_bytes(encode(table))
            print(f"recorded SENTINEL HELP and {len(table[1])} Sentinel commands into {SENTINEL_OUT}")
        finally:
            proc.kill()
            proc.wait()


# What redis-cli's own `help` prints for these topics, kept so that a test
# can hold the console's `help` and argument hints to it.
HELP_TOPICS = ["set", "get", "config get", "zadd", "replicaof", "lmove", "nosuch", ""]
HELP_OUT = ROOT / "tests" / "fixtures" / "cli-help.txt"


def record_cli_help():
    chunks = []
    for topic in HELP_TOPICS:
        out = subprocess.run(["redis-cli", "-p", str(PORT), "help", *topic.split()],
                             capture_output=True, text=True, check=True).stdout
        text = re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r", "")
        chunks.append(f"### help {topic}".rstrip() + "\n" + text)
    HELP_OUT.write_text("".join(chunks))
    print(f"recorded redis-cli help for {len(HELP_TOPICS)} topics into {HELP_OUT}")


if __name__ == "__main__":
    main()
