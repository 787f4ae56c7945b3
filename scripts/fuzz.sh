#!/usr/bin/env bash
# Fuzzing of every reader of outside input (cargo-fuzz, libFuzzer, nightly toolchain): builds the
# targets of fuzz/ and runs each one on one core (as many at once as there are
# cores, MAILLAGE_FUZZ_JOBS to change it), failing on any crash, hang (10 s per input) or
# over-allocation (2 GiB resident, 512 MiB in one allocation). See docs/FUZZING.md.
#
#   scripts/fuzz.sh [--court]            20 s per target (the test script's run; built with
#                                        opt-level 1 and no debug info: a quarter less build
#                                        for a 20-second run — campaigns keep opt-level 3)
#   scripts/fuzz.sh --temps S [CIBLE…]   S seconds per target
#   scripts/fuzz.sh --runs N [CIBLE…]    N executions per target (10000000 for the campaign)
#   scripts/fuzz.sh --minimiser [CIBLE…] merges the seeds and what runs found into the committed
#                                        corpus fuzz/corpus/<cible>/, minimised (no fuzzing)
#   --construire (with any of the above) builds the targets and stops (the test script builds
#                                        them in the background while its other steps run)
#   --sans-asan (with any of the above)  builds without AddressSanitizer: two to four times more
#                                        executions per second for long campaigns of the Rust code;
#                                        the 512 MiB per-allocation limit then does not apply (the
#                                        2 GiB resident limit does). The test script keeps ASan.
#
# New inputs found by a run go to fuzz/work/<cible>/ (ignored by git), never into the committed
# corpus; a crash is saved in fuzz/artifacts/<cible>/ with the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

MODE=time
SECONDS_PER_TARGET="${MAILLAGE_FUZZ_SECONDS:-20}"
RUNS=0
SANITIZER=address
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --court) MODE=time; QUICK_BUILD=1 ;;
    --temps) MODE=time; SECONDS_PER_TARGET="${2:?--temps attend un nombre de secondes}"; shift ;;
    --runs) MODE=runs; RUNS="${2:?--runs attend un nombre (exécutions)}"; shift ;;
    --minimiser) MODE=merge ;;
    --sans-asan) SANITIZER=none ;;
    --construire) BUILD_ONLY=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "option inconnue : $1" >&2; exit 2 ;;
    *) TARGETS+=("$1") ;;
  esac
  shift
done

# Tools: the nightly toolchain (sanitizers) and cargo-fuzz, from the registry, when missing.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
# The targets that validate places need the commune referential built by the set-up.
if [ ! -s data/referentiel/communes.tsv ] && [ -z "${MAILLAGE_REFERENTIAL:-}" ]; then
  scripts/setup.sh
fi

if [ "${#TARGETS[@]}" -eq 0 ]; then
  # (not in a process substitution: a failure there would go unseen, with no target run)
  list="$(cargo +nightly fuzz list)"
  mapfile -t TARGETS <<< "$list"
fi

# Release with debug assertions and overflow checks, AddressSanitizer (cargo-fuzz's defaults).
BUILD=(--sanitizer "$SANITIZER")
if [ "${QUICK_BUILD:-0}" = 1 ]; then
  # The short run spends more time building than fuzzing: optimise less, and no debug info
  # (fifteen targets of 60 to 480 MB each with line tables; a crash's stack still names the
  # functions, and its input, saved in fuzz/artifacts/, replays it with a campaign build).
  # cargo-fuzz asks line tables on its command line (`--config profile.release.debug`), which
  # wins over the profile's variables; the RUSTFLAGS it appends last win over both.
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
  export RUSTFLAGS="${RUSTFLAGS:-} -Cdebuginfo=0 -Cstrip=debuginfo"
fi
if [ "${#TARGETS[@]}" -eq 1 ]; then
  cargo +nightly fuzz build "${BUILD[@]}" "${TARGETS[0]}"
else
  cargo +nightly fuzz build "${BUILD[@]}"
fi
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/fuzz/target}/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
[ "${BUILD_ONLY:-0}" = 1 ] && exit 0

# One core: the standard's reader validates with rayon, keep it on this thread's core.
export RAYON_NUM_THREADS=1
# As `cargo fuzz run` sets it for a build with AddressSanitizer (the binaries are run directly).
if [ "$SANITIZER" = address ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0"
fi
# No leak detection: after each input whose allocations outlive it (the application's pools and
# caches), LeakSanitizer scans the whole heap, which made the web targets ten times slower;
# AddressSanitizer still checks every memory access, of the C code (SQLite, zstd) included.
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -detect_leaks=0)

# One target's run (time or executions): its line of figures, and on failure what the log says.
# The binary is run directly (built above), so that runs side by side do not wait for cargo's lock.
run_target() {
  local t="$1" budget log start status elapsed runs rate
  if [ "$MODE" = runs ]; then
    budget="-runs=$RUNS"
  else
    budget="-max_total_time=$SECONDS_PER_TARGET"
  fi
  log="fuzz/work/$t.log"
  start=$(date +%s)
  # New inputs go to the work directory (first); the committed corpus is only read.
  if "$BIN_DIR/$t" "${LIMITS[@]}" "$budget" -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
      "fuzz/work/$t" "fuzz/corpus/$t" 2> "$log"; then
    status=ok
  else
    status=ÉCHEC
  fi
  elapsed=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-20s %-6s %12s exécutions  %8s exec/s  %5s s\n' "$t" "$status" "${runs:-?}" "${rate:-?}" "$elapsed"
  if [ "$status" != ok ]; then
    grep -E 'ERROR|panicked|SUMMARY|Test unit written|artifact' "$log" | head -20 >&2 || true
    echo "rejouer : cargo +nightly fuzz run $t fuzz/artifacts/$t/<fichier>$([ "$SANITIZER" = none ] && echo ' --sanitizer none')" >&2
    return 1
  fi
}

failed=()
if [ "$MODE" = merge ]; then
  for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/work/$t" "fuzz/corpus/$t" "fuzz/artifacts/$t"
    seeds=()
    [ -d "fuzz/seeds/$t" ] && seeds+=("fuzz/seeds/$t")
    fresh="$(mktemp -d)"
    "$BIN_DIR/$t" -merge=1 "${LIMITS[@]}" -artifact_prefix="fuzz/artifacts/$t/" "$fresh" "fuzz/corpus/$t" "${seeds[@]}" "fuzz/work/$t" \
      2> "fuzz/work/$t.merge.log" || { tail -20 "fuzz/work/$t.merge.log"; failed+=("$t"); rm -rf "$fresh"; continue; }
    rm -rf "fuzz/corpus/$t"
    mv "$fresh" "fuzz/corpus/$t"
    # What runs found is in the corpus now.
    rm -rf "fuzz/work/$t"
    printf '%-20s corpus minimisé : %s entrées, %s\n' "$t" "$(ls "fuzz/corpus/$t" | wc -l)" "$(du -sh "fuzz/corpus/$t" | cut -f1)"
  done
else
  # As many targets at once as there are cores, each on one (on two cores, the fifteen targets'
  # 20 s take two and a half minutes instead of five).
  JOBS="${MAILLAGE_FUZZ_JOBS:-$(nproc)}"
  if ! [[ "$JOBS" =~ ^[1-9][0-9]*$ ]]; then
    echo "MAILLAGE_FUZZ_JOBS : un nombre de cibles à la fois (1 ou plus), pas « $JOBS »" >&2
    exit 2
  fi
  declare -A running=()
  for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/work/$t" "fuzz/corpus/$t" "fuzz/artifacts/$t"
    while [ "${#running[@]}" -ge "$JOBS" ]; do
      wait -n -p done_pid || failed+=("${running[$done_pid]}")
      unset "running[$done_pid]"
    done
    run_target "$t" &
    running[$!]="$t"
  done
  for pid in "${!running[@]}"; do
    wait "$pid" || failed+=("${running[$pid]}")
  done
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing : échec de ${failed[*]} (journaux dans fuzz/work/<cible>.log)" >&2
  exit 1
fi
