#!/usr/bin/env python3
"""A real Sentinel-aware client through a failover on the bridge.

redis-py's `Sentinel` (from PyPI, pinned in requirements.txt) finds the
master through three virtual Sentinels, and keeps writing `SET w:N N`
while the bridge crashes that master. It must see the new master within
Sentinel's timing (down-after-milliseconds plus the election and the
promotion), and, with min-replicas-to-write set on the master, every write
it got OK for must be on the new master.

usage: sentinel_failover.py BRIDGE_BINARY
"""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from redis.sentinel import Sentinel

# Ports away from the defaults, so a real Redis on 6379 is no obstacle.
MASTER, REPLICAS, SENTINELS = 16479, (16480, 16481), (36479, 36480, 36481)
DOWN_AFTER_MS = 1000
# The election and the promotion: a vote round, the replica's promotion,
# the other replica re-pointed; Sentinel starts a failover within a second
# or so of +odown (its random delay), and the client asks again each write.
ELECTION_BOUND_MS = 5000
WRITE_EVERY_S = 0.02
TEST_LIMIT_S = 60


def fail(message):
    sys.exit(f"sentinel_failover: FAIL: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenario():
    lines = [f"server {MASTER} min-replicas-to-write 1 ; min-replicas-max-lag 10"]
    lines += [f"server {port} replicaof 127.0.0.1 {MASTER}" for port in REPLICAS]
    lines += [f"waitsync {port}" for port in REPLICAS]
    for port in SENTINELS:
        lines.append(
            f"sentinel {port} sentinel monitor mymaster 127.0.0.1 {MASTER} 2 ; "
            f"sentinel down-after-milliseconds mymaster {DOWN_AFTER_MS} ; sentinel failover-timeout mymaster 10000"
        )
    # The Sentinels find each other and the replicas (hello messages every 2 s).
    lines.append("sleep 5s")
    return "\n".join(lines) + "\n"


class Control:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.answers = self.sock.makefile("rb")

    def take(self, line):
        self.sock.sendall(line.encode() + b"\n")
        while True:
            answer = self.answers.readline().decode().rstrip("\n")
            if answer == "ok":
                return
            if not answer or answer.startswith("error: "):
                fail(f"the bridge refused '{line}': {answer}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    control_port = free_port()
    with tempfile.TemporaryDirectory(prefix="sentinel-failover-") as tmp:
        scn = Path(tmp) / "cluster.scn"
        scn.write_text(scenario())
        log = open(Path(tmp) / "bridge.log", "w+")
        bridge = subprocess.Popen([binary, str(scn), "--control", str(control_port)],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            run(control_port, log)
        except SystemExit:
            log.seek(0)
            print("the bridge's output, last lines:\n" + "".join(log.readlines()[-60:]), file=sys.stderr)
            raise
        finally:
            bridge.terminate()
            bridge.wait(timeout=10)


def wait_ready(log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        if "bridge: ready" in text:
            return
        time.sleep(0.05)
    log.seek(0)
    fail(f"the bridge did not start:\n{log.read()}")


def run(control_port, log):
    wait_ready(log)
    control = Control(control_port)
    sentinel = Sentinel([("127.0.0.1", p) for p in SENTINELS], socket_timeout=0.5)
    first = sentinel.discover_master("mymaster")
    if first != ("127.0.0.1", MASTER):
        fail(f"the Sentinels name {first} as the master, not 127.0.0.1:{MASTER}")
    master = sentinel.master_for("mymaster", socket_timeout=0.5, socket_connect_timeout=0.5)

    acknowledged = {}
    errors = {}
    n = 0
    crashed_at = None
    moved_at = None
    started = time.monotonic()
    while time.monotonic() - started < TEST_LIMIT_S:
        n += 1
        try:
            if master.set(f"w:{n}", n):
                acknowledged[n] = time.monotonic()
                if crashed_at is not None and moved_at is None:
                    address = sentinel.discover_master("mymaster")
                    if address[1] != MASTER:
                        moved_at = time.monotonic()
        except RedisError as e:
            kind = type(e).__name__
            errors[kind] = errors.get(kind, 0) + 1
        if crashed_at is None and time.monotonic() - started > 1.0:
            control.take(f"crash {MASTER}")
            crashed_at = time.monotonic()
        if moved_at is not None and time.monotonic() - moved_at > 1.0:
            break
        time.sleep(WRITE_EVERY_S)

    if moved_at is None:
        fail(f"no write reached a new master within {TEST_LIMIT_S} s (errors: {errors})")
    took_ms = (moved_at - crashed_at) * 1000
    new_master = sentinel.discover_master("mymaster")
    print(f"sentinel_failover: {n} writes, {len(acknowledged)} acknowledged, errors {errors}")
    print(f"sentinel_failover: master {MASTER} crashed; writes reached the new master {new_master[1]} after {took_ms:.0f} ms")
    if new_master[1] not in REPLICAS:
        fail(f"the new master {new_master} is not one of the replicas {REPLICAS}")
    if took_ms > DOWN_AFTER_MS + ELECTION_BOUND_MS:
        fail(f"the failover took {took_ms:.0f} ms, more than down-after ({DOWN_AFTER_MS}) + {ELECTION_BOUND_MS} ms")
    if took_ms < DOWN_AFTER_MS:
        fail(f"writes reached a new master {took_ms:.0f} ms after the crash, before down-after-milliseconds")

    on_new = Redis(host="127.0.0.1", port=new_master[1], socket_timeout=2)
    missing = [k for k in acknowledged if on_new.get(f"w:{k}") != str(k).encode()]
    if missing:
        fail(f"{len(missing)} acknowledged writes are not on the new master: {missing[:20]}")
    info = on_new.info("replication")
    if info.get("role") != "master":
        fail(f"the new master says role {info.get('role')}")
    print(f"sentinel_failover: all {len(acknowledged)} acknowledged writes are on the new master")

    # The old master comes back as a replica of the new one: Sentinel
    # re-points it (about 10 s after it answers again), then a diskless
    # full sync waits repl-diskless-sync-delay (5 s).
    control.take(f"restart {MASTER}")
    old = Redis(host="127.0.0.1", port=MASTER, socket_timeout=2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            info = old.info("replication")
            if info.get("role") == "slave" and info.get("master_port") == new_master[1] and info.get("master_link_status") == "up":
                print(f"sentinel_failover: the old master {MASTER} came back as a replica of {new_master[1]}")
                print("sentinel_failover: ok")
                return
        except RedisError:
            pass
        time.sleep(0.1)
    fail(f"the old master did not become a replica of {new_master[1]}: {old.info('replication')}")


if __name__ == "__main__":
    main()
