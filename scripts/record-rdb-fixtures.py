#!/usr/bin/env python3
"""Re-records the RDB fixtures under tests/fixtures/rdb/ from real Redis.

For every dataset below, a real redis-server (Debian's 7.0.15, on
127.0.0.1) is flushed, fed the dataset's commands, and asked to SAVE.
The dump becomes NAME.rdb; DEBUG DIGEST of the data becomes NAME.digest;
the commands are kept in NAME.commands so the engine can rebuild the same
dataset and save it the other way round.

usage: record-rdb-fixtures.py
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "rdb"
PORT = int(os.environ.get("RECORD_PORT", "7398"))


def datasets():
    d = {}
    d["empty"] = []
    d["strings"] = [
        ["SET", "short", "hello"], ["SET", "empty", ""], ["SET", "long_compressible", "a" * 100],
        ["SET", "long_random", "0b30557a9fc4e913385d82a7ccf11b40658aafd4Lorem-ipsum-dolor-sit-amet,consectetur"],
        ["SET", "int_small", "12"], ["SET", "int_neg", "-1"], ["SET", "int_16", "300"], ["SET", "int_32", "70000"],
        ["SET", "int_32_neg", "-2147483648"], ["SET", "int_beyond32", "12345678901"],
        ["SET", "int_max64", "9223372036854775807"], ["SET", "int_min64", "-9223372036854775808"],
        ["SET", "not_int_leading_zero", "007"], ["SET", "not_int_plus", "+5"], ["SET", "float_str", "3.14"],
        ["SET", "binary", "a\r\nb\x00c\xff"], ["SET", "key\x00with\r\nbinary", "v"], ["SET", "12345", "numeric key"],
        ["SET", "incr_counter", "0"], ["INCRBY", "incr_counter", "1000"], ["APPEND", "appended", "abc"],
        ["APPEND", "appended", "def"], ["SET", "exactly20", "x" * 20], ["SET", "exactly21", "x" * 21],
        ["INCRBYFLOAT", "float", "10.5"],
    ]
    d["lists"] = [
        ["RPUSH", "small", "a", "b", "c", "1", "2", "-3", "70000", "12345678901234"],
        ["RPUSH", "big"] + [f"element-{i:05d}" for i in range(3000)],
        ["RPUSH", "huge_elements"] + ["y" * 5000 for _ in range(5)],
        ["LPUSH", "pushed_left"] + [str(i) for i in range(50)],
        ["RPUSH", "binary", "a\x00b", "\r\n", ""],
    ]
    d["hashes"] = [
        ["HSET", "small", "f1", "v1", "f2", "v2", "n", "42", "neg", "-7"],
        ["HSET", "long_value", "f", "z" * 100],
        ["HSET", "many"] + [x for i in range(600) for x in (f"field{i}", f"value{i}")],
        ["HSET", "ints", "1", "2", "3", "4"],
    ]
    d["sets"] = [
        ["SADD", "ints", "3", "1", "2", "-5", "70000", "9223372036854775807"],
        ["SADD", "strings", "a", "b", "c"],
        ["SADD", "big_ints"] + [str(i) for i in range(600)],
        ["SADD", "mixed", "1", "2", "x"],
    ]
    d["zsets"] = [
        ["ZADD", "small", "1", "a", "2.5", "b", "-3", "c", "0.1", "d", "1e20", "e"],
        ["ZADD", "infs", "inf", "top", "-inf", "bottom", "0", "zero"],
        ["ZADD", "big"] + [x for i in range(200) for x in (str(i / 4), f"m{i}")],
        ["ZADD", "long_member", "1", "q" * 100],
    ]
    d["expires"] = [
        ["SET", "with_ttl", "v"], ["PEXPIREAT", "with_ttl", "4102444800000"],
        ["RPUSH", "list_ttl", "x"], ["PEXPIREAT", "list_ttl", "4102444800123"],
        ["SET", "no_ttl", "v"],
    ]
    d["multidb"] = [
        ["SET", "in0", "zero"], ["SELECT", "1"], ["SET", "in1", "one"], ["SELECT", "15"], ["RPUSH", "in15", "x"],
        ["SELECT", "0"],
    ]
    d["mixed"] = [["DEBUG", "POPULATE", "10000", "key", "10"]] + [
        c for i in range(20) for c in (
            ["RPUSH", f"list:{i}"] + [f"e{j}" for j in range(10 * i + 1)],
            ["HSET", f"hash:{i}"] + [x for j in range(10 * i + 1) for x in (f"f{j}", f"v{j}")],
            ["SADD", f"set:{i}"] + [str(j) for j in range(40 * i + 1)],
            ["ZADD", f"zset:{i}"] + [x for j in range(10 * i + 1) for x in (str(j / 4), f"z{j}")],
            ["PEXPIREAT", f"key:{i}", str(4102444800000 + i)],
        )
    ] + [["SELECT", "1"], ["DEBUG", "POPULATE", "100", "db1key", "5"], ["SELECT", "0"]]
    d["streams"] = [
        c for i in range(1, 151) for c in (
            ["XADD", "s", f"{1000 + i // 3}-{i % 3}", "name", f"user{i}", "n", str(i)] if i % 7 else
            ["XADD", "s", f"{1000 + i // 3}-{i % 3}", "other", "fields", "x", "y", "z", str(-i)],
        )
    ] + [
        ["XDEL", "s", "1001-0", "1002-1", "1010-2", "1040-1"],
        ["XGROUP", "CREATE", "s", "g1", "0"],
        ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "s", ">"],
        ["XACK", "s", "g1", "1003-0", "1004-1"],
        ["XGROUP", "CREATE", "s", "g2", "$"],
        ["XGROUP", "CREATECONSUMER", "s", "g2", "idle"],
        ["XADD", "emptied", "MAXLEN", "0", "5-5", "a", "b"],
        ["XADD", "big_values", "1-0", "f", "x" * 5000],
        ["XADD", "big_values", "2-0", "f", "0123456789" * 30],
        ["XADD", "ints", "7-0", "1", "2", "-3", "70000", "12345678901", "x"],
    ]
    d["uncompressed"] = [["CONFIG", "SET", "rdbcompression", "no"], ["SET", "long", "a" * 100],
                         ["RPUSH", "list"] + ["b" * 30 for _ in range(10)]]
    return d


def command(sock, args):
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode("latin-1") if isinstance(a, str) else a
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(payload)
    return read_reply(sock)


def read_line(sock):
    buf = b""
    while not buf.endswith(b"\r\n"):
        c = sock.recv(1)
        if not c:
            raise EOFError
        buf += c
    return buf[:-2]


def read_reply(sock):
    line = read_line(sock)
    t, rest = line[:1], line[1:]
    if t in (b"+", b":"):
        return rest
    if t == b"-":
        raise RuntimeError(rest.decode())
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = b""
        while len(data) < n + 2:
            data += sock.recv(n + 2 - len(data))
        return data[:-2]
    if t == b"*":
        return [read_reply(sock) for _ in range(int(rest))]
    raise ValueError(line)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                                 "--enable-debug-command", "yes", "--dir", tmp],
                                stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("record-rdb-fixtures: redis-server did not start")
                    time.sleep(0.05)
            for name, commands in datasets().items():
                command(sock, ["FLUSHALL"])
                command(sock, ["CONFIG", "SET", "rdbcompression", "yes"])
                for c in commands:
                    command(sock, c)
                command(sock, ["SAVE"])
                digest = command(sock, ["DEBUG", "DIGEST"]).decode()
                shutil.copy(Path(tmp) / "dump.rdb", OUT / f"{name}.rdb")
                (OUT / f"{name}.digest").write_text(digest + "\n")
                lines = [" ".join(a.encode("latin-1").hex() for a in c) for c in commands]
                (OUT / f"{name}.commands").write_text("\n".join(lines) + ("\n" if lines else ""))
                print(f"recorded {name}: {digest}")
        finally:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
