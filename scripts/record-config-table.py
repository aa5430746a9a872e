#!/usr/bin/env python3
"""Re-records Redis 7.0.15's table of runtime parameters from a real server.

Writes src/engine/commands/recorded/config.tsv: one line per name that
`CONFIG GET *` lists (aliases included), with

    name  canonical-name  kind  default

The kind is learned by asking the server to take a value no parameter
accepts and reading its refusal:

    bool                 "argument must be 'yes' or 'no'"
    enum:a,b,c           "argument(s) must be one of the following: a, b, c"
    int:MIN:MAX          "couldn't be parsed into an integer", then the range
                         Redis names when given a huge negative number
    memory:MIN:MAX       the same for sizes that take 1mb, 2gb...
    immutable            "can't set immutable config"
    protected            "can't set protected config"
    text                 took the probe (then restored to its default)
    special              refused with a message of its own (a format Redis
                         checks by hand: save, bind, client-output-buffer-limit)

A canonical name differs from the name for the old aliases (slave-*,
*-ziplist-*): setting the alias changes the canonical value too. The
defaults are those of a server started with no config file, except the
values a process decides for itself (dir, port, pidfile, logfile), which the
engine takes from each node's own config.

usage: record-config-table.py [--out FILE]   (scripts/test.sh records to a
temporary file and checks that the committed table still matches)
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "engine" / "commands" / "recorded" / "config.tsv"
PORT = os.environ.get("RECORD_PORT", "7398")
# The recorder talks over a unix socket: probing `port` with 0 stops TCP.
SOCKET = None

# Taking a probe value here would lock the recorder out (or point the
# server at a master); they are free text in Redis anyway.
# What a server started from no config file at all would show, where the
# recorder had to start it otherwise.
DEFAULT_OVERRIDES = {"bind": "* -::*", "unixsocket": "", "port": "6379", "dir": ""}
NOT_PROBED = {"requirepass", "masterauth", "masteruser", "replicaof", "slaveof"}
PROBE = "notavalue!"


def raw(*args):
    return subprocess.run(["redis-cli", "-s", SOCKET, "--raw", *args], capture_output=True, text=True).stdout


def config_get_all():
    lines = raw("CONFIG", "GET", "*").split("\n")
    pairs = {}
    # --raw prints each name and value on its own line; a value never
    # contains a newline.
    for i in range(0, len(lines) - 1, 2):
        pairs[lines[i]] = lines[i + 1]
    return pairs


def set_reply(name, value):
    return raw("CONFIG", "SET", name, value).strip()


def bounds(message):
    words = message.split("argument must be between ", 1)[1].split()
    return words[0], words[2]


def classify(name, default):
    if name in NOT_PROBED:
        return "text"
    reply = set_reply(name, PROBE)
    if reply == "OK":
        set_reply(name, default)
        return "text"
    if "can't set immutable config" in reply:
        return "immutable"
    if "can't set protected config" in reply:
        return "protected"
    if "argument must be 'yes' or 'no'" in reply:
        return "bool"
    if "must be one of the following: " in reply:
        return "enum:" + reply.split("must be one of the following: ", 1)[1].replace(", ", ",")
    for marker, kind in (("couldn't be parsed into an integer", "int"), ("argument must be a memory value", "memory")):
        if marker in reply:
            found = []
            for probe in ("-99999999999999999", "0", "99999999999999999"):
                message = set_reply(name, probe)
                if "argument must be between" in message:
                    found.append(bounds(message))
            set_reply(name, default)
            if not found:
                # Every probe taken: the whole range of the type.
                return f"{kind}:0:9223372036854775807"
            return f"{kind}:{found[0][0]}:{found[0][1]}"
    return "special"


def canonical_names(names):
    """Alias -> canonical name, learned by setting the alias."""
    out = {}
    for name in names:
        out[name] = name
        for old, new in (("slave", "replica"), ("ziplist", "listpack")):
            if old in name and name.replace(old, new) in names:
                out[name] = name.replace(old, new)
    return out


def main():
    global SOCKET
    with tempfile.TemporaryDirectory() as tmp:
        SOCKET = os.path.join(tmp, "redis.sock")
        server = subprocess.Popen(
            ["redis-server", "--port", PORT, "--bind", "127.0.0.1", "--dir", tmp, "--save", "", "--unixsocket", SOCKET],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                if raw("PING").strip() == "PONG":
                    break
                time.sleep(0.05)
            raw("CONFIG", "SET", "save", "3600 1 300 100 60 10000")
            values = config_get_all()
            canon = canonical_names(values)
            rows = []
            for name in sorted(values):
                kind = classify(canon[name], values[canon[name]])
                value = DEFAULT_OVERRIDES.get(canon[name], values[name])
                rows.append(f"{name}\t{canon[name]}\t{kind}\t{value}")
        finally:
            server.terminate()
            server.wait(10)
    out = Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--out" else OUT
    out.write_text("".join(row + "\n" for row in rows))
    print(f"wrote {out} ({len(rows)} names)")


if __name__ == "__main__":
    main()
