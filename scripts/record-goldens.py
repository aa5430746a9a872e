#!/usr/bin/env python3
"""Re-records the expected transcripts of tests/scenarios/*.scn from real Redis.

Each scenario runs on real `redis-server` processes (Debian's 7.0.15) on
127.0.0.1, and every `PORT>` step is typed into a real interactive
`redis-cli -p PORT` (one session per port, as the scenario format says),
driven through a pseudo-terminal so that redis-cli prints exactly what a
user sees. The transcript it writes is the golden the engine must match.

For the scenarios in LOGGED it also writes NAME.log: each server's
replication log lines (what `redis-server` wrote to its logfile), with the
pid and the date cut off and run-dependent values masked, port by port.

With --bridge, the same redis-cli sessions talk to the engine instead:
the nodes are the virtual ones of the project's bridge (src/bin/bridge),
started and stopped through its control port, and their logs are the ones
it writes. The transcripts it gives must be the page's (tests/scenarios.rs
compares them with GOLDEN_DIR).

usage: record-goldens.py [--out DIR] [--bridge BINARY] [SCENARIO.scn ...]
  --out DIR         write the .out (and .log) files to DIR instead of next to each scenario
  --bridge BINARY   record from the bridge (e.g. target/release/bridge), not from redis-server
"""

import argparse
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from local_servers import free_port, wait_listening

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"
PROMPT = re.compile(rb"(127\.0\.0\.1:\d+(\[\d+\])?(\(TX\))?|not connected)> $")
STEP_TIMEOUT = 10.0
# Scenarios whose replication log lines are compared too: ones where real
# Redis logs the same lines on every run (no timing-dependent retry loops).
LOGGED = {"auth_masterauth", "replication_basic", "chaining", "partial_resync", "disk_sync", "sleep_timeout", "sentinel_failover", "cli_sync", "failover"}
# The log messages the engine writes (the beginning of each).
LOG_MESSAGES = re.compile(
    r"(Connecting to MASTER|Reconnecting to MASTER|MASTER <-> REPLICA sync|Non blocking connect for SYNC"
    r"|Master replied to PING|Error reply to PING|Trying a partial resynchronization|Partial resynchronization"
    r"|Full resync|Discarding previously cached|Loading RDB produced|RDB age|RDB memory usage|Done loading RDB"
    r"|Successful partial resynchronization|Master replication ID changed|Connection with master lost"
    r"|Caching the disconnected master|Error condition on socket for SYNC|Master is currently unable to PSYNC"
    r"|Unexpected reply to PSYNC|Before turning into a replica|Unable to AUTH to MASTER|\(Non critical\) Master does not"
    r"|Master does not support PSYNC|Retrying with SYNC|MASTER aborted replication|REPLICAOF|MASTER MODE enabled"
    r"|Setting secondary replication ID|Replica \S+ asks for synchronization|Replication backlog created"
    r"|Delay next BGSAVE|Starting BGSAVE for SYNC|Background RDB transfer|Fork CoW for RDB|Diskless rdb transfer"
    r"|Streamed RDB transfer|Synchronization with replica|Unable to partial resync|Warning: replica"
    r"|Background saving|DB saved on disk|MASTER timeout|Timeout connecting to the MASTER|Timeout receiving bulk data"
    r"|Disconnecting timedout replica|Connection with replica|DB loaded from disk"
    r"|oO0OoO0OoO0Oo Redis is starting|Redis version=|Configuration loaded|monotonic clock|Running mode="
    r"|Server initialized|Ready to accept connections|User requested shutdown|Saving the final RDB snapshot"
    r"|Removing the pid file|Redis is now ready to exit"
    # FAILOVER's lines.
    r"|FAILOVER |Failover target|Failover request received|PSYNC FAILOVER"
    # Sentinel's events and the lines around them.
    r"|[+-][a-z-]+ |Sentinel new configuration saved|Sentinel ID is|Next failover delay|[0-9a-f]{40} voted for)"
)
LOG_LINE = re.compile(r"\d+:([MSCX]) \d+ \w+ \d+ [\d:.]+ ([*#.-]) (.*)")


def info_replication(port):
    """INFO replication of the server on `port`, as raw bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"INFO replication\r\n")
        data = b""
        # A bulk reply has two line ends at least; an error (NOAUTH from a
        # server with a password) has one.
        while not data.endswith(b"\r\n") or (data.count(b"\r\n") < 2 and not data.startswith(b"-")):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def settle_on_master(port, replica_info):
    """Once a replica's link is up, its master still notices the end of
    its transfer child at its next cron (up to ~100 ms later): wait for the
    master to list the replica online too, so that a command right after
    `waitsync` never races it (the engine has both at once)."""
    fields = dict(
        line.split(":", 1) for line in replica_info.decode(errors="replace").split("\r\n") if ":" in line
    )
    if fields.get("master_host") not in ("127.0.0.1", "localhost"):
        return
    master = int(fields.get("master_port", "0"))
    wanted = f"port={port},state=online".encode()
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            if wanted in info_replication(master):
                return
        except OSError:
            return
        time.sleep(0.01)

def normalize_log_text(text):
    """Masks what differs from run to run (the same rules as tests/scenarios.rs)."""
    text = re.sub(r"\b[0-9a-f]{40}\b", "<id>", text)
    text = re.sub(r"user request from '.*'", "user request from '<client>'", text)
    text = re.sub(r"failover request from '.*'", "failover request from '<client>'", text)
    text = re.sub(r"started by pid \d+", "started by pid <pid>", text)
    text = re.sub(r"RDB memory usage when created [\d.]+ Mb", "RDB memory usage when created <mb> Mb", text)
    text = re.sub(r"RDB age \d+ seconds", "RDB age <n> seconds", text)
    text = re.sub(r"Fork CoW for RDB: .*", "Fork CoW for RDB: <cow>", text)
    text = re.sub(r"DB loaded from disk: [\d.]+ seconds", "DB loaded from disk: <s> seconds", text)
    text = re.sub(r"pid=\d+, just started", "pid=<pid>, just started", text)
    return text


def mask_stream_offsets(text):
    """With a Sentinel watching, its hello messages are PUBLISHed through
    the master every 2 s, so stream offsets depend on where the wall-clock
    timers fell: they are masked in scenarios that run one."""
    text = re.sub(r"(Full resync from master: <id>):\d+", r"\1:<offset>", text)
    text = re.sub(r"valid up to offset: \d+", "valid up to offset: <offset>", text)
    text = re.sub(r"Sending \d+ bytes of backlog starting from offset \d+",
                  "Sending <n> bytes of backlog starting from offset <offset>", text)
    return text


def replication_log(workdir, with_sentinel=False):
    """Every server's replication log lines, as `PORT ROLE LEVEL text`."""
    out = []
    for node_dir in sorted(workdir.iterdir(), key=lambda p: p.name):
        log = node_dir / "redis.log"
        if not node_dir.name.isdigit() or not log.exists():
            continue
        lines = []
        for raw in log.read_text(errors="replace").splitlines():
            m = LOG_LINE.fullmatch(raw)
            if m and LOG_MESSAGES.match(m.group(3)):
                text = normalize_log_text(m.group(3))
                if with_sentinel:
                    text = mask_stream_offsets(text)
                lines.append((m.group(1), f"{node_dir.name} {m.group(1)} {m.group(2)} {text}"))
        out.extend(line for _, line in parent_first(lines))
    return out


def parent_first(lines):
    """A forked child writes to the same log file as its parent, so its
    first lines may land before the parent's "... started by pid N" line:
    the one order that varies between runs. Put the parent's line first."""
    lines = list(lines)
    for i in range(1, len(lines)):
        j = i
        while j > 0 and lines[j - 1][0] == "C" and "started by pid" in lines[j][1] and lines[j][0] != "C":
            lines[j - 1], lines[j] = lines[j], lines[j - 1]
            j -= 1
    return lines


def fail(message):
    sys.exit(f"record-goldens: {message}")


def parse_duration(word):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", word)
    if not m:
        return None
    return float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)


class Cli:
    """One interactive redis-cli session on a pseudo-terminal."""

    def __init__(self, port, home):
        self.port = port
        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no \n -> \r\n translation
        attrs[3] &= ~termios.ECHO  # the transcript writes the typed line itself
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        env = dict(os.environ, TERM="dumb", HOME=str(home), REDISCLI_HISTFILE="/dev/null")
        self.proc = subprocess.Popen(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(port)],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True,
        )
        os.close(slave)
        self.fd = master
        self.reading_messages = False
        self.prompt = self.read_until_prompt().rsplit(b"\n", 1)[-1]

    def read_until_prompt(self):
        data = b""
        deadline = time.monotonic() + STEP_TIMEOUT
        while not PROMPT.search(data.rsplit(b"\n", 1)[-1]):
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"redis-cli on port {self.port} gave no prompt; it printed {data!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    fail(f"redis-cli on port {self.port} exited; it printed {data!r}")
                data += chunk
        return data

    def read_until_quiet(self, quiet=0.3):
        """What redis-cli prints without returning to its prompt (pub/sub)."""
        data = b""
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                break
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        text = data.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        return text.split("\n")[:-1] if text.endswith("\n") else (text.split("\n") if text else [])

    def run(self, line):
        """Types a line; returns (prompt it was typed at, output lines)."""
        words = line.split()
        if words and words[0].lower() in ("subscribe", "psubscribe", "ssubscribe", "monitor", "sync", "psync"):
            # redis-cli reads messages (MONITOR's lines, a SYNC's stream) from now on and shows no prompt.
            typed_at = self.prompt.decode()
            os.write(self.fd, line.encode() + b"\n")
            lines = self.read_until_quiet()
            # An error (SUBSCRIBE without a channel) returns to the prompt.
            if lines and PROMPT.search(lines[-1].encode()):
                self.prompt = lines.pop().encode()
            else:
                self.reading_messages = True
            return typed_at, lines
        typed_at = self.prompt.decode()
        os.write(self.fd, line.encode() + b"\n")
        data = self.read_until_prompt()
        body, self.prompt = data.rsplit(b"\n", 1) if b"\n" in data else (b"", data)
        body = body.replace(b"\r\n", b"\n")
        if body.endswith(b"\r"):
            # The \r of the last \r\n, cut off from its \n by the split.
            body = body[:-1]
        lines = body.decode("utf-8", "replace").split("\n") if b"\n" in data else []
        return typed_at, lines

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.fd)


def read_items(scenario):
    """The scenario's lines as (line number, text, the '= LINE' lines that
    follow an expect)."""
    items = []
    for number, raw in enumerate(scenario.read_text().splitlines(), 1):
        stripped = raw.lstrip()
        if stripped.startswith("="):
            rest = stripped[1:]
            items[-1][2].append(rest[1:] if rest.startswith(" ") else rest)
            continue
        text = raw.strip()
        if text and not text.startswith("#"):
            items.append((number, text, []))
    return items


def check_expectation(rest, expected, workdir, where):
    """`expect PORT> COMMAND`: what a one-off redis-cli prints, against the
    '= LINE' lines (exactly) or the '~ TEXT' (contained)."""
    m = re.fullmatch(r"(\d+)> ?(.*)", rest.strip(), re.S)
    if not m:
        fail(f"{where}: expect takes PORT> COMMAND")
    port, command = int(m.group(1)), m.group(2)
    contains = None
    if " ~ " in command:
        command, contains = command.rsplit(" ~ ", 1)
    cli = Cli(port, workdir)
    try:
        _, printed = cli.run(command.strip())
    finally:
        cli.close()
    if contains is not None:
        ok = contains in "\n".join(printed)
    else:
        ok = printed == expected
    return "# expect ok" if ok else f"# expect failed: {command.strip()} printed {chr(10).join(printed)!r}"

LOG_STAMP = re.compile(r"\d+:[MSCX] (\d+ \w+ \d+ [\d:.]+) ")


def log_lines(log):
    """A log's lines with their stamps (a stamp sorts as text within a day)."""
    out = []
    for raw in log.read_text(errors="replace").splitlines():
        m = LOG_STAMP.match(raw)
        if m:
            out.append((m.group(1).split(" ", 3)[3], raw))
    return out


def explain(workdir, port):
    """`explain PORT`: why the latest sync request of the replica on PORT
    was continued or fully resynchronized, read from the masters' logs in
    the words the engine's explainer uses (PsyncDecision::summary)."""
    latest = None
    for log in workdir.glob("*/redis.log"):
        lines = log_lines(log)
        for i, (stamp, raw) in enumerate(lines):
            if f"Replica 127.0.0.1:{port} asks for synchronization" in raw and (latest is None or stamp >= latest[0]):
                latest = (stamp, lines, i, int(log.parent.name))
    if latest is None:
        return f"none ({port} has not asked a master to sync)"
    _, lines, i, master_port = latest
    following = []
    for _, raw in lines[i + 1:i + 6]:
        if "asks for synchronization" in raw:
            break
        following.append(raw)
    text = "\n".join(following)
    m = re.search(r"Requested offset for second ID was (\d+), but I can reply up to (-?\d+)", text)
    if m:
        return (f"FULLRESYNC offset {m.group(1)} of the master's previous replication id is past where that "
                f"history ended ({m.group(2)})")
    if "Full resync requested by replica" in text:
        return "FULLRESYNC first sync: the replica has no replication history (PSYNC ? -1)"
    if "Replication ID mismatch" in text:
        return "FULLRESYNC the replica's replication id is not one the master knows"
    m = re.search(r"for lack of backlog \(Replica request was: (-?\d+)\)", text)
    if m:
        offset = m.group(1)
        if "greater than the master replication offset" in text:
            return f"FULLRESYNC offset {offset} is ahead of the master's own"
        created = any("Replication backlog created" in raw for _, raw in lines[:i])
        if not created:
            return f"FULLRESYNC offset {offset}: the master has no backlog"
        return f"FULLRESYNC offset {offset} is no longer in the master's backlog"
    m = re.search(r"Partial resynchronization request from \S+ accepted\. Sending \d+ bytes of backlog starting from offset (\d+)", text)
    if m:
        offset = m.group(1)
        asked = [raw for _, raw in log_lines(workdir / str(port) / "redis.log")
                 if "Trying a partial resynchronization (request" in raw]
        asked_id = re.search(r"request ([0-9a-f]{40}):", asked[-1]).group(1) if asked else ""
        master_id = re.search(rb"master_replid:([0-9a-f]{40})", info_replication(master_port))
        if master_id and master_id.group(1).decode() == asked_id:
            return f"CONTINUE from offset {offset}: same replication id, the backlog still holds what follows"
        return (f"CONTINUE from offset {offset} through the master's previous replication id "
                "(its history from before its promotion)")
    return "FULLRESYNC the replica sent SYNC, which always gets a full copy"


def start_server(conf, port, where, verb, program="redis-server"):
    """Runs redis-server (or redis-sentinel) on its config file and waits
    until it answers."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        fail(f"{where}: something already listens on port {port} (another recording?)")
    except OSError:
        pass
    proc = subprocess.Popen([program, str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    if not wait_listening(port, proc):
        # Not left behind on the port for the next recording.
        proc.kill()
        fail(f"{where}: {program} on port {port} did not {verb}")
    return proc


class Bridge:
    """The project's bridge, with no node until the scenario starts them:
    `server`, `sentinel`, `crash` and `restart` go to its control port."""

    def __init__(self, binary, workdir):
        self.control_port = free_port()
        empty = workdir / "empty.scn"
        empty.write_text("")
        self.proc = subprocess.Popen(
            [str(binary), str(empty), "--control", str(self.control_port), "--quiet", "--logdir", str(workdir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        ready = False
        while time.monotonic() < deadline and not ready:
            line = self.proc.stdout.readline()
            if not line:
                break
            ready = line.strip() == b"bridge: ready"
        if not ready:
            self.close()
            fail(f"the bridge did not start: {self.proc.stderr.read().decode(errors='replace')}")
        self.sock = socket.create_connection(("127.0.0.1", self.control_port), timeout=STEP_TIMEOUT)
        self.answers = self.sock.makefile("rb")

    def take(self, line, where):
        """A step on the control port; the lines its transcript printed."""
        self.sock.sendall(line.encode() + b"\n")
        printed = []
        while True:
            answer = self.answers.readline()
            if not answer:
                fail(f"{where}: the bridge closed its control port")
            answer = answer.decode(errors="replace").rstrip("\n")
            if answer == "ok":
                return printed
            if answer.startswith("error: "):
                fail(f"{where}: the bridge refused '{line}': {answer[7:]}")
            printed.append(answer)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_until_refused(port, limit=2.0):
    """A server that shut down stops listening as its process ends; the
    bridge closes a stopped node's port a moment later. The next step (a
    command to the dead port) must find it closed either way."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return
        time.sleep(0.02)


def record(scenario, workdir, with_log=False, bridge_binary=None):
    """The transcript, and (with_log) the servers' replication log lines as
    they stood after the last step, before the servers are stopped."""
    bridge = Bridge(bridge_binary, workdir) if bridge_binary else None
    servers = {}
    sentinels = set()
    log = None
    clis = {}
    out = []
    try:
        for number, echo, expected in read_items(scenario):
            word, _, rest = echo.partition(" ")
            if word in ("seed", "say", "task"):
                # The seed is the simulation's; real servers draw their own ids.
                out.append(f"# {echo}")
                continue
            if word == "expect":
                out.append(check_expectation(rest, expected, workdir, f"{scenario.name}:{number}"))
                continue
            # A guided scenario's solution is taken as the learner would.
            text = rest.strip() if word == "solve" else echo
            m = re.fullmatch(r"(\d+)> ?(.*)", text, re.S)
            if m:
                port = int(m.group(1))
                if port not in clis:
                    clis[port] = Cli(port, workdir)
                if clis[port].reading_messages:
                    fail(f"{scenario.name}:{number}: redis-cli on port {port} is reading messages and takes no commands")
                words = m.group(2).split()
                if words and words[0].lower() in ("quit", "exit"):
                    # redis-cli exits; the next step for this port starts a new one.
                    cli = clis.pop(port)
                    out.append(cli.prompt.decode() + m.group(2))
                    os.write(cli.fd, m.group(2).encode() + b"\n")
                    try:
                        cli.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        fail(f"{scenario.name}:{number}: redis-cli did not exit on {words[0]}")
                    cli.close()
                    continue
                typed_at, lines = clis[port].run(m.group(2))
                out.append(typed_at + m.group(2))
                out.extend(lines)
                if words and words[0].lower() == "shutdown" and not any("(error)" in l for l in lines):
                    wait_until_refused(port)
                # Messages reaching consoles that read pub/sub print after the step.
                for other in sorted(clis):
                    if clis[other].reading_messages and other != port:
                        out.extend(clis[other].read_until_quiet(0.2))
                continue
            word, _, rest = text.partition(" ")
            if word == "waitsync":
                port = int(rest.strip())
                deadline = time.monotonic() + 60
                up = False
                while time.monotonic() < deadline and not up:
                    data = info_replication(port)
                    up = b"master_link_status:up" in data
                    if not up:
                        time.sleep(0.1)
                if up:
                    settle_on_master(port, data)
                out.append(f"# {echo}" if up else f"# {echo} timed out")
                continue
            if bridge and word in ("server", "sentinel", "crash", "restart"):
                bridge.take(text, f"{scenario.name}:{number}")
                if word == "sentinel":
                    sentinels.add(int(rest.strip().split()[0]))
                out.append(f"# {echo}")
                continue
            if word in ("crash", "restart"):
                port = int(rest.strip())
                if word == "crash":
                    servers[port].kill()
                    servers[port].wait()
                else:
                    program = "redis-sentinel" if port in sentinels else "redis-server"
                    servers[port] = start_server(workdir / str(port) / "redis.conf", port,
                                                 f"{scenario.name}:{number}", "restart", program)
                out.append(f"# {echo}")
                continue
            if word in ("server", "sentinel"):
                port_word, _, directives = rest.strip().partition(" ")
                port = int(port_word)
                node_dir = workdir / str(port)
                node_dir.mkdir(exist_ok=True)
                conf = node_dir / "redis.conf"
                lines = [f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {node_dir}",
                         f"logfile {node_dir / 'redis.log'}"]
                given = [d.strip() for d in directives.split(" ; ") if d.strip()]
                lines += given
                if any(d.split()[0].lower() in ("include", "daemonize", "dir", "logfile", "pidfile") for d in given):
                    # The lesson's files run as a service would (an included stock
                    # file, daemonize yes, a pid file in /var/run); here the process
                    # stays in the foreground with its files in its own folder.
                    lines += ["daemonize no", f"dir {node_dir}", f"logfile {node_dir / 'redis.log'}",
                              f"pidfile {node_dir / 'redis.pid'}"]
                conf.write_text("\n".join(lines) + "\n")
                program = "redis-sentinel" if word == "sentinel" else "redis-server"
                if word == "sentinel":
                    sentinels.add(port)
                servers[port] = start_server(conf, port, f"{scenario.name}:{number}", "start", program)
                out.append(f"# {echo}")
            elif word == "explain":
                out.append(f"# {echo}")
                out.append(f"# psync: {explain(workdir, int(rest.strip()))}")
            elif word == "sleep":
                seconds = parse_duration(rest.strip())
                if seconds is None:
                    fail(f"{scenario.name}:{number}: bad duration {rest!r}")
                time.sleep(seconds)
                out.append(f"# {echo}")
            elif word in ("cut", "heal"):
                fail(f"{scenario.name}:{number}: '{word}' cannot be recorded: real servers on one loopback "
                     "interface cannot be partitioned here (tests/link_faults.rs covers link faults)")
            else:
                fail(f"{scenario.name}:{number}: the recorder does not know the step '{word}' yet")
        if with_log:
            log = replication_log(workdir, bool(sentinels))
    finally:
        for cli in clis.values():
            cli.close()
        for proc in servers.values():
            proc.kill()
            proc.wait()
        if bridge:
            bridge.close()
    return out, log


def redis_version():
    try:
        text = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        fail("redis-server is not installed (apt-get install redis-server redis-tools)")
    m = re.search(r"v=(\S+)", text)
    return m.group(1) if m else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--bridge", type=Path)
    parser.add_argument("scenarios", nargs="*", type=Path)
    args = parser.parse_args()
    version = "7.0.15" if args.bridge else redis_version()
    if version != "7.0.15":
        print(f"record-goldens: warning: redis-server is {version}, the goldens target 7.0.15", file=sys.stderr)
    files = args.scenarios or sorted(SCENARIOS.glob("*.scn"))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    for scenario in files:
        with tempfile.TemporaryDirectory(prefix="record-goldens-") as tmp:
            lines, log = record(scenario, Path(tmp), with_log=scenario.stem in LOGGED, bridge_binary=args.bridge)
        target = (args.out or scenario.parent) / (scenario.stem + ".out")
        target.write_text("\n".join(lines) + "\n")
        print(f"recorded {target} ({len(lines)} lines)")
        if log is not None:
            log_target = target.with_suffix(".log")
            log_target.write_text("\n".join(log) + "\n")
            print(f"recorded {log_target} ({len(log)} lines)")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Stopped by its caller: the servers (or the bridge) are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
