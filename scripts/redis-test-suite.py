#!/usr/bin/env python3
"""Runs Redis 7.0.15's own test suite, in its external mode, file by file
against the bridge's virtual server and against a real redis-server in the
same run, and prints one table: for each file, the tests passed, failed
and skipped on the engine and on Redis.

The suite is copied to a temporary folder first (it writes into
tests/tmp). Each file gets a fresh server of each kind, both with
`enable-debug-command yes` and no save points; runtest runs with
--durable (an error inside one test fails that test, not the file), a
timeout per test, and `--tags -resp3` on both: the engine speaks RESP2
only, and the suite's files loop over `HELLO 3` and `HELLO 2` unless told
so (one refused HELLO 3 would otherwise end the file before its RESP2
half).

usage: redis-test-suite.py --bridge BINARY --tests DIR [--out DIR] [--check PASSING] [--record PASSING] [FILE ...]
  FILE            e.g. unit/type/incr (default: the files the bridge issue names)
  --out DIR       where results.tsv and table.md go (default target/redis-test-suite)
  --check FILE    run only the engine, only the files named in FILE (lines
                  `file<TAB>test`), and fail when one of those tests does not pass
  --record FILE   write the tests that pass on both into FILE (the lines of
                  files not run this time stay)
"""

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from local_servers import free_port, wait_listening

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FILES = [
    "unit/type/incr", "unit/type/string", "unit/type/list", "unit/type/list-2", "unit/type/list-3",
    "unit/type/hash", "unit/type/set", "unit/type/zset",
    "unit/keyspace", "unit/expire", "unit/info", "unit/info-command", "unit/pubsub", "unit/multi",
    "unit/other", "unit/dump", "unit/scan", "unit/protocol", "unit/querybuf", "unit/introspection",
    "unit/introspection-2", "unit/limits", "unit/tracking", "unit/pause",
    "integration/replication", "integration/replication-2", "integration/replication-3",
    "integration/replication-4", "integration/replication-psync", "integration/replication-buffer",
    # The complete-commands issue's families.
    "unit/bitops", "unit/bitfield", "unit/hyperloglog", "unit/geo", "unit/sort", "unit/scripting",
    "unit/functions", "unit/acl", "unit/auth", "unit/latency-monitor", "unit/slowlog",
    "unit/type/stream", "unit/type/stream-cgroups",
]
FILE_TIMEOUT_S = 900
TEST_TIMEOUT_S = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")
OK = re.compile(r"^\[ok\]: (.*) \(\d+ ms\)$")
ERR = re.compile(r"^\[err\]: (.*) in tests/\S+$")
SKIP = re.compile(r"^\[skip\]: (.*)$")
IGNORE = re.compile(r"^\[ignore\]: (.*?): .*$")


def start_redis(port, workdir):
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes",
         "--dir", str(workdir), "--daemonize", "no", "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start_bridge(binary, port, workdir):
    scenario = workdir / "server.scn"
    scenario.write_text(f'server {port} enable-debug-command yes ; save ""\n')
    return subprocess.Popen([str(binary), str(scenario), "--quiet", "--logdir", str(workdir)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def parse(output):
    """Each test's verdict: ok, err, skip (by a tag or an option), and how
    the file ended (`done`, or what stopped it)."""
    verdicts = {}
    ended = "stopped"
    for raw in output.splitlines():
        line = ANSI.sub("", raw).rstrip()
        for pattern, verdict in ((OK, "ok"), (ERR, "err"), (SKIP, "skip"), (IGNORE, "skip")):
            m = pattern.match(line)
            if m:
                verdicts.setdefault(m.group(1), verdict)
                break
        if "All tests passed without errors" in line or re.match(r"^\[\d+/\d+ done\]", line):
            ended = "done"
        if line.startswith("[exception]"):
            ended = "exception: " + line[len("[exception]: "):][:200]
        if "[TIMEOUT]" in line:
            ended = "timeout"
    return verdicts, ended


def run_file(suite, name, port, workdir):
    command = ["./runtest", "--host", "127.0.0.1", "--port", str(port), "--single", name, "--durable",
               "--clients", "1", "--timeout", str(TEST_TIMEOUT_S), "--tags", "-resp3"]
    try:
        result = subprocess.run(command, cwd=suite, capture_output=True, text=True, errors="replace",
                                timeout=FILE_TIMEOUT_S)
        output = result.stdout + result.stderr
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        output += "\n[TIMEOUT]"
    (workdir / "runtest.out").write_text(output)
    return parse(output)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_on(kind, binary, suite, name, logs):
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix=f"suite-{kind}-", dir=logs))
    proc = start_bridge(binary, port, workdir) if kind == "engine" else start_redis(port, workdir)
    try:
        if not wait_listening(port, proc, timeout=20.0):
            return {}, f"the {kind} server did not start"
        return run_file(suite, name, port, workdir)
    finally:
        stop(proc)


def counts(verdicts):
    return tuple(sum(1 for v in verdicts.values() if v == k) for k in ("ok", "err", "skip"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bridge", type=Path, required=True)
    parser.add_argument("--tests", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "redis-test-suite")
    parser.add_argument("--check", type=Path)
    parser.add_argument("--record", type=Path)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()

    passing = {}
    if args.check:
        for line in args.check.read_text().splitlines():
            if line.strip():
                file, test = line.split("\t", 1)
                passing.setdefault(file, set()).add(test)
    files = args.files or (sorted(passing) if args.check else DEFAULT_FILES)

    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.out / "runs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    rows, results, regressions = [], [], []
    with tempfile.TemporaryDirectory(prefix="redis-suite-") as tmp:
        suite = Path(tmp) / "suite"
        shutil.copytree(args.tests, suite)
        for name in files:
            if not (suite / "tests" / f"{name}.tcl").exists():
                sys.exit(f"redis-test-suite: no tests/{name}.tcl in {args.tests}")
            engine, engine_end = run_on("engine", args.bridge, suite, name, logs)
            if args.check:
                lost = sorted(t for t in passing[name] if engine.get(t) != "ok")
                if lost:
                    # Some of the suite's tests lean on timing: a second run
                    # tells a regression from a slow moment.
                    again, engine_end = run_on("engine", args.bridge, suite, name, logs)
                    lost = [t for t in lost if again.get(t) != "ok"]
                    engine = {**engine, **{t: v for t, v in again.items() if v == "ok"}}
                regressions += [f"{name}: {t} ({engine.get(t, 'not run')})" for t in lost]
                print(f"{name}: {len(passing[name]) - len(lost)} of {len(passing[name])} passing tests pass"
                      + ("" if engine_end == "done" else f" ({engine_end})"), flush=True)
                continue
            redis, redis_end = run_on("redis", args.bridge, suite, name, logs)
            rows.append((name, counts(engine), engine_end, counts(redis), redis_end))
            for test in sorted(set(engine) | set(redis)):
                results.append((name, test, engine.get(test, "not run"), redis.get(test, "not run")))
            e, r = rows[-1][1], rows[-1][3]
            print(f"{name}: engine {e[0]} ok {e[1]} failed {e[2]} skipped ({engine_end}); "
                  f"redis {r[0]} ok {r[1]} failed {r[2]} skipped ({redis_end})", flush=True)

    if args.check:
        if regressions:
            print(f"redis-test-suite: {len(regressions)} tests that passed on the engine fail now:", file=sys.stderr)
            print("\n".join(regressions), file=sys.stderr)
            sys.exit(1)
        print("redis-test-suite: every recorded passing test still passes")
        return

    (args.out / "results.tsv").write_text("file\ttest\tengine\tredis\n" + "".join(f"{f}\t{t}\t{e}\t{r}\n" for f, t, e, r in results))
    lines = [f"Redis 7.0.15's test suite in external mode, {date.today().isoformat()}: the engine (through the bridge) "
             "and a real redis-server 7.0.15, same run, same files, `--tags -resp3` on both.", "",
             "| file | engine ok | failed | skipped | redis ok | failed | skipped | notes |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    totals = [0] * 6
    for name, e, e_end, r, r_end in rows:
        notes = []
        if e_end != "done":
            notes.append(f"engine: {e_end}")
        if r_end != "done":
            notes.append(f"redis: {r_end}")
        lines.append(f"| {name} | {e[0]} | {e[1]} | {e[2]} | {r[0]} | {r[1]} | {r[2]} | {'; '.join(notes).replace('|', '/')} |")
        for i, v in enumerate(e + r):
            totals[i] += v
    lines.append(f"| **all** | {totals[0]} | {totals[1]} | {totals[2]} | {totals[3]} | {totals[4]} | {totals[5]} | |")
    table = "\n".join(lines) + "\n"
    (args.out / "table.md").write_text(table)
    print()
    print(table)
    if args.record:
        both = [(f, t) for f, t, e, r in results if e == "ok" and r == "ok"]
        # The files not run this time keep their recorded tests.
        run = set(files)
        kept = []
        if args.record.exists():
            for line in args.record.read_text().splitlines():
                f, _, t = line.partition("\t")
                if f not in run:
                    kept.append((f, t))
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text("".join(f"{f}\t{t}\n" for f, t in kept + both))
        print(f"recorded {len(both)} tests of {len(run)} files that pass on both into {args.record}")


if __name__ == "__main__":
    main()
