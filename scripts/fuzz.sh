#!/usr/bin/env bash
# Runs one coverage-guided fuzz target (AFL++ through cargo-afl) for a
# while: scripts/fuzz.sh TARGET SECONDS [--minimize]
#
#   TARGET     server_resp, replica_link, cli_console, config, scenario,
#              rdb, address_state, lua_script (fuzz/targets/); `all` runs
#              each in turn
#   SECONDS    how long (AFL's -V)
#   FUZZ_EXECS=N  stop once N executions are done (AFL's -E), if sooner
#   --minimize afterwards, replace fuzz/corpus/TARGET with afl-cmin's
#              minimised set of the inputs found
#
# Installs cargo-afl into the tools cache if missing. Findings go to
# target/fuzz/TARGET (crashes/, hangs/); the summary line gives the
# executions and crashes. A crash becomes a regression test in
# tests/fuzz_regressions.rs (see RELIABILITY.md).
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

target="${1:?usage: scripts/fuzz.sh TARGET SECONDS [--minimize]}"
seconds="${2:?usage: scripts/fuzz.sh TARGET SECONDS [--minimize]}"
minimize="${3:-}"
TARGETS=(server_resp replica_link cli_console config scenario rdb address_state lua_script)

if [ "$target" = all ]; then
  for t in "${TARGETS[@]}"; do "$0" "$t" "$seconds" $minimize; done
  exit 0
fi

if ! [ -x "$TOOLS/bin/cargo-afl" ]; then
  say "installing cargo-afl (builds AFL++; a few minutes)"
  cargo install --locked cargo-afl --root "$TOOLS"
fi
export PATH="$TOOLS/bin:$PATH"

say "building the fuzz targets (cargo afl build --release)"
(cd fuzz && cargo afl build --release --bin "$target" 2>&1 | tail -2)

corpus="fuzz/corpus/$target"
[ -d "$corpus" ] || python3 fuzz/seeds.py "$target"
out="$ROOT/target/fuzz/$target"
mkdir -p "$out"
binary="$ROOT/fuzz/target/release/$target"

say "fuzzing $target for ${seconds}s"
# -V: stop after the time; -t: a single input over a second is a hang.
# AFL_NO_UI / AFL_QUIET: plain progress lines; the other two let it run
# as an ordinary process in a container.
AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1 \
  cargo afl fuzz -i "$corpus" -o "$out" -V "$seconds" ${FUZZ_EXECS:+-E "$FUZZ_EXECS"} -t 1000 -m none -- "$binary" > "$out/fuzz.log" 2>&1 || true

stats="$out/default/fuzzer_stats"
if [ -f "$stats" ]; then
  execs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$stats")
  speed=$(awk -F: '/^execs_per_sec/ {gsub(/ /,"",$2); print $2}' "$stats")
  crashes=$(awk -F: '/^saved_crashes/ {gsub(/ /,"",$2); print $2}' "$stats")
  hangs=$(awk -F: '/^saved_hangs/ {gsub(/ /,"",$2); print $2}' "$stats")
  echo "$target: $execs executions ($speed/s), $crashes crashes, $hangs hangs"
else
  echo "$target: AFL did not run; see $out/fuzz.log" >&2
  tail -20 "$out/fuzz.log" >&2
  exit 1
fi

if [ "$minimize" = "--minimize" ]; then
  say "minimising the corpus into $corpus"
  rm -rf "$out/cmin"
  # AFL++'s awk afl-cmin: its Python one finds no tuples in a persistent
  # Rust target's traces here.
  cmin=$(ls "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/rustc-*/afl.rs-*/afl/bin/afl-cmin.awk 2>/dev/null | head -1)
  if [ -n "$cmin" ]; then
    AFL_SKIP_CPUFREQ=1 PATH="$(dirname "$cmin"):$PATH" "$cmin" -i "$out/default/queue" -o "$out/cmin" -t 2000 -m none -- "$binary" > "$out/cmin.log" 2>&1
  else
    AFL_SKIP_CPUFREQ=1 cargo afl cmin -i "$out/default/queue" -o "$out/cmin" -t 2000 -m none -- "$binary" > "$out/cmin.log" 2>&1
  fi
  rm -rf "$corpus" && mkdir -p "$corpus" && cp "$out/cmin"/* "$corpus"/
  echo "$target: corpus of $(ls "$corpus" | wc -l) inputs"
fi
