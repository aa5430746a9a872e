#!/usr/bin/env python3
"""Writes each fuzz target's starting corpus into fuzz/corpus/TARGET from
the project's own material: the golden scenarios' commands and configs,
the RDB fixtures, the built-in lessons, a saved playground. Run by
scripts/fuzz.sh when a target has no corpus yet; the corpora in the
repository are these after afl-cmin."""

import glob, os, shlex, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resp(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def framed(chunks, lane=0, step=0):
    """The targets' delivery framing: control byte, length byte, bytes."""
    out = b""
    for chunk in chunks:
        for i in range(0, max(len(chunk), 1), 255):
            piece = chunk[i:i + 255]
            out += bytes([(lane & 1) | (step << 1), len(piece)]) + piece
    return out


def scenario_commands():
    """(scenario name, [command line]) for each golden scenario."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/scenarios/*.scn"))):
        lines = []
        for line in open(path, encoding="utf-8"):
            head, sep, rest = line.partition("> ")
            if sep and head.strip().isdigit():
                lines.append(rest.rstrip("\n"))
        yield os.path.basename(path)[:-4], lines


def split(line):
    try:
        return [w.encode("utf-8", "surrogateescape") for w in shlex.split(line)]
    except ValueError:
        return [w.encode() for w in line.split()]


def write(target, name, data):
    d = os.path.join(ROOT, "fuzz/corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    targets = sys.argv[1:] or ["server_resp", "replica_link", "cli_console", "config", "scenario", "rdb", "address_state", "lua_script"]
    # Small dumps only: a mutation of a large one is slow to run.
    rdbs = {os.path.basename(p)[:-4]: open(p, "rb").read() for p in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/rdb/*.rdb"))) if os.path.getsize(p) < 32 * 1024}
    for name, lines in scenario_commands():
        commands = [resp(split(l)) for l in lines if split(l)][:40]
        if "server_resp" in targets and commands:
            write("server_resp", name, framed(commands, step=1))
        if "cli_console" in targets and lines:
            write("cli_console", name, "\n".join(lines[:40]).encode())
    if "replica_link" in targets:
        for name, rdb in rdbs.items():
            handshake = [b"+PONG\r\n", b"+OK\r\n", b"+OK\r\n", b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n",
                         b"$%d\r\n" % len(rdb) + rdb]
            stream = [resp([b"SET", b"k", b"v"]), resp([b"PING"]), resp([b"SELECT", b"1"]), resp([b"DEL", b"k"]),
                      resp([b"REPLCONF", b"GETACK", b"*"])]
            write("replica_link", name, framed(handshake, step=3) + framed(stream, step=1) + framed([b"x"], lane=1))
        write("replica_link", "continue", framed([b"+PONG\r\n", b"+OK\r\n", b"+OK\r\n", b"+CONTINUE " + b"b" * 40 + b"\r\n"], step=3))
        write("replica_link", "diskless", framed([b"+PONG\r\n", b"+OK\r\n", b"+OK\r\n", b"+FULLRESYNC " + b"c" * 40 + b" 7\r\n",
                                                  b"$EOF:" + b"e" * 40 + b"\r\n" + rdbs.get("empty", b"") + b"e" * 40], step=3))
    if "lua_script" in targets:
        # Each script of the goldens' EVAL and FUNCTION LOAD lines.
        for name, lines in scenario_commands():
            for i, line in enumerate(lines):
                words = split(line)
                if len(words) >= 2 and words[0].upper() in (b"EVAL", b"EVAL_RO"):
                    write("lua_script", f"{name}-{i}", words[1])
                elif len(words) >= 3 and words[0].upper() == b"FUNCTION" and words[1].upper() == b"LOAD":
                    write("lua_script", f"{name}-{i}", words[-1].split(b"\n", 1)[-1])
    if "config" in targets:
        write("config", "redis", b"port 6380\nreplicaof 127.0.0.1 6379\nsave 3600 1 300 100\nmaxmemory 2mb\nmaxmemory-policy allkeys-lru\n"
              b"repl-diskless-sync yes\nmin-replicas-to-write 1\nmin-replicas-max-lag 10\ndatabases 4\nappendonly no\n"
              b"rename-command x y\nnotify-keyspace-events KEA\nclient-output-buffer-limit replica 256mb 64mb 60\n")
        write("config", "sentinel", b"port 26379\nsentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 5000\n"
              b"sentinel failover-timeout mymaster 60000\nsentinel parallel-syncs mymaster 1\nsentinel myid " + b"0" * 40 + b"\n"
              b"sentinel known-replica mymaster 127.0.0.1 6380\nsentinel known-sentinel mymaster 127.0.0.1 26380 " + b"1" * 40 + b"\n"
              b"sentinel current-epoch 3\nsentinel config-epoch mymaster 2\n")
    if "scenario" in targets:
        for path in sorted(glob.glob(os.path.join(ROOT, "tests/scenarios/*.scn")) + glob.glob(os.path.join(ROOT, "www/scenarios/*.scn"))):
            data = open(path, "rb").read()
            if len(data) < 64 * 1024:
                write("scenario", os.path.basename(path), data)
    if "rdb" in targets:
        for name, rdb in rdbs.items():
            write("rdb", name, rdb)
        # RESTORE bodies: a type byte and a value, as DUMP writes them.
        write("rdb", "dump-string", b"\x00\x03abc")
        write("rdb", "dump-intset", b"\x0b\x0c\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00")
    if "address_state" in targets:
        write("address_state", "embed", b"embed&panels=console,graph&lang=zh#scenario=bG9vaw")
        write("address_state", "src", b"src=https://example.com/a.scn&scenario=lesson-1")
        write("address_state", "state", b"redis-playground-state 1\nserver 6379 up\nconfig port 6379\nconfig save \"\"\n"
              b"server 6380 down\nconfig port 6380\nconfig replicaof 127.0.0.1 6379\nfile ZHVtcC5yZGI= UkVESVMwMDEw/w==\n"
              b"sentinel 26379 up\nconfig port 26379\nconfig sentinel monitor m 127.0.0.1 6379 1\ncut 6379 6380\nlatency 6379 26379 50")


if __name__ == "__main__":
    main()
