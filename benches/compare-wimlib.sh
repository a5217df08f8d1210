#!/usr/bin/env bash
# Compares ppkg with the independent tools on three generated corpora (issue 15):
#   mixed  256 MiB in 16 files of 16 MiB, half log-like text, half random bytes;
#   acer   141 MB in two files of 78.7 MB and 63.1 MB that compress about 120 times, shaped like
#          the real Acer package (1.2 MB holding 141 MB of MSI payload; the MSIs are not public);
#   small  2,000 files of 1 to 64 KiB (sizes spread evenly, a third random, the rest text).
# Each corpus is carried as provisioning-command files (Common/ProvisioningCommands/
# PrimaryContext/Command/CommandConfig/CommandFile, as WCD writes them).
#
# Per corpus, RUNS alternating rounds (default 3) of:
#   build:   `ppkg build` vs `wimlib-imagex capture --compress=XPRESS --chunk-size=32768`
#   extract: `ppkg extract` vs `7zz x` vs `wimlib-imagex apply`, all three of ppkg's package
# and prints median wall times, the ratios ppkg/other, sizes, and the peak RSS of each tool
# (`/usr/bin/time -v`, "Maximum resident set size"). Goals (issue 15): extract <= 0.8x 7zz on
# every corpus; build <= 0.6x wimlib on `mixed` at <= 1.01x its size; peak RSS <= 64 MiB.
# The machine load (`uptime`) is printed before and after: medians on a loaded machine say less.
#
# Usage: benches/compare-wimlib.sh [RUNS]     (PPKG=/path/to/ppkg skips the release build;
#        CORPORA="mixed acer small" to choose; MIB=64 shrinks `mixed`; WORK=/dir keeps the
#        scratch folder and the generated corpora between runs)
# Needs: wimlib-imagex, 7zz, /usr/bin/time (Debian `time`), bc, a release build of ppkg-cli.
set -euo pipefail
runs="${1:-3}"
mib="${MIB:-256}"
corpora="${CORPORA:-mixed acer small}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
for t in wimlib-imagex 7zz bc; do
  command -v "$t" >/dev/null || { echo "$t missing (apt-get install wimtools 7zip bc)"; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing (apt-get install time)"; exit 2; }
if [[ -z "${PPKG:-}" ]]; then
  (cd "$root" && cargo build -q --release -j2 -p ppkg-cli)
  PPKG="${CARGO_TARGET_DIR:-$root/target}/release/ppkg"
fi
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
trap '[[ -z "${WORK:-}" ]] && rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# --- corpora ------------------------------------------------------------------------------------
# text FILE BYTES SEED: log-like lines.
text() {
  set +o pipefail # `head` closes the pipe early on purpose
  seq $(($3 * 10000000)) $(($3 * 10000000 + $2 / 20 + 10)) \
    | sed 's/.*/2026-11-29T08:00:00Z INFO ppkg[&]: provisioning Workplace\/Enrollments\/UPN applied rc=0/' \
    | head -c "$2" > "$1"
  set -o pipefail
}
# sparse FILE BYTES: zeros with a 200-byte text record every 64 KiB (about 120x with XPRESS,
# the ratio of the real Acer package).
sparse() {
  python3 - "$1" "$2" <<'EOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
rec = (b"MSI stream %08d: ProductCode {6c3e0c1a-5b7d-4e3f-9a21-0b9c8d7e6f50} " * 3)[:200]
with open(path, "wb") as f:
    left, i = size, 0
    while left > 0:
        block = (rec.replace(b"%08d", b"%08d" % i) + bytes(65536 - len(rec)))[:left]
        f.write(block)
        left -= len(block); i += 1
EOF
}
gen() {
  local name="$1" src="$work/$1/src"
  [[ -f "$src/.done" ]] && return
  rm -rf "$src"; mkdir -p "$src"
  case "$name" in
    mixed)
      local per=$(( mib * 1024 * 1024 / 16 ))
      for i in $(seq 0 15); do
        local f="$src/payload$(printf %02d "$i").bin"
        if (( i % 2 == 0 )); then text "$f" "$per" "$i"; else head -c "$per" /dev/urandom > "$f"; fi
      done ;;
    acer)
      sparse "$src/payload00.bin" 78700000
      sparse "$src/payload01.bin" 63100000 ;;
    small)
      for i in $(seq 0 1999); do
        local f="$src/payload$(printf %04d "$i").bin" n=$(( 1024 + (i * 2654435761 % 64513) ))
        if (( i % 3 == 0 )); then head -c "$n" /dev/urandom > "$f"; else text "$f" "$n" "$i"; fi
      done ;;
  esac
  touch "$src/.done"
}
# customizations.xml naming every payload as a command file.
answer() {
  local src="$1"
  printf '<?xml version="1.0" encoding="utf-8"?>\r\n<WindowsCustomizations>\r\n'
  printf '  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">\r\n'
  printf '    <ID>{6c3e0c1a-5b7d-4e3f-9a21-0b9c8d7e6f50}</ID>\r\n    <Name>compare</Name>\r\n'
  printf '    <Version>1.0</Version>\r\n    <OwnerType>ITAdmin</OwnerType>\r\n    <Rank>0</Rank>\r\n'
  printf '  </PackageConfig>\r\n  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">\r\n'
  printf '    <Customizations>\r\n      <Common>\r\n        <ProvisioningCommands>\r\n'
  printf '          <PrimaryContext>\r\n            <Command>\r\n'
  for f in "$src"/payload*.bin; do
    local b; b="$(basename "$f")"
    printf '              <CommandConfig Name="%s">\r\n' "${b%.bin}"
    printf '                <CommandFile>%s</CommandFile>\r\n' "$b"
    printf '                <CommandLine>cmd /c type %s</CommandLine>\r\n' "$b"
    printf '                <ContinueInstall>True</ContinueInstall>\r\n'
    printf '                <RestartRequired>False</RestartRequired>\r\n'
    printf '                <ReturnCodeRestart>3010</ReturnCodeRestart>\r\n'
    printf '                <ReturnCodeSuccess>0</ReturnCodeSuccess>\r\n'
    printf '              </CommandConfig>\r\n'
  done
  printf '            </Command>\r\n          </PrimaryContext>\r\n        </ProvisioningCommands>\r\n'
  printf '      </Common>\r\n    </Customizations>\r\n  </Settings>\r\n</WindowsCustomizations>\r\n'
}

# --- timing helpers -----------------------------------------------------------------------------
# run LABEL CMD...: appends "seconds rss_kib" to $dir/LABEL.times
run() {
  local label="$1"; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$dir/$label.timev" "$@" >"$dir/$label.out" 2>&1 || {
    echo "FAILED: $*"; cat "$dir/$label.out"; exit 1; }
  t1=$(date +%s.%N)
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$dir/$label.timev")
  echo "$(echo "$t1 - $t0" | bc -l) $rss" >> "$dir/$label.times"
}
median() { awk '{print $1}' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxrss() { awk '{print $2}' "$1" | sort -n | tail -n1; }
line() { # line WHAT OURS THEIRS THEIR_NAME GOAL
  local a b
  a=$(median "$dir/$2.times"); b=$(median "$dir/$3.times")
  printf '  %-8s ppkg %7.3f s  %-7s %7.3f s  ratio %.2f (goal %s)   RSS ppkg %6d KiB  %s %6d KiB\n' \
    "$1" "$a" "$4" "$b" "$(echo "$a / $b" | bc -l)" "$5" "$(maxrss "$dir/$2.times")" "$4" \
    "$(maxrss "$dir/$3.times")"
}

echo "load before: $(uptime)"
echo "$runs alternating runs per tool, $(nproc) cores, ppkg $PPKG"
for name in $corpora; do
  dir="$work/$name"
  gen "$name"
  src="$dir/src"
  answer "$src" > "$dir/customizations.xml"
  # wimlib captures the same payload files (plus the answer file) without ppkg's compiled
  # documents: the data volume is the same to within a few KiB.
  cap="$dir/cap"
  rm -rf "$cap"; mkdir -p "$cap"
  for f in "$src"/payload*.bin "$dir/customizations.xml"; do ln -f "$f" "$cap/" 2>/dev/null || cp "$f" "$cap/"; done
  rm -f "$dir"/*.times
  # Warm the page cache: every tool then reads from memory.
  cat "$src"/payload*.bin > /dev/null
  for r in $(seq 1 "$runs"); do
    rm -f "$dir/ours.ppkg" "$dir/wimlib.wim"
    run ppkg_build "$PPKG" build "$dir/customizations.xml" --asset-dir "$src" -o "$dir/ours.ppkg"
    run wimlib_capture wimlib-imagex capture "$cap" "$dir/wimlib.wim" payload --compress=XPRESS \
      --chunk-size=32768 --no-acls
    rm -rf "$dir/x-ppkg" "$dir/x-7zz" "$dir/x-wimlib"
    run ppkg_extract "$PPKG" extract "$dir/ours.ppkg" -o "$dir/x-ppkg"
    run 7zz_x 7zz x -y -bd "$dir/ours.ppkg" "-o$dir/x-7zz"
    run wimlib_apply wimlib-imagex apply "$dir/ours.ppkg" 1 "$dir/x-wimlib" --no-acls
  done
  # Same payload from every reader.
  for f in "$src"/payload*.bin; do
    b="$(basename "$f")"
    for x in x-ppkg x-7zz x-wimlib; do
      found="$(find "$dir/$x" -name "$b" | head -n1)"
      cmp -s "$f" "$found" || { echo "$name: $x: $b differs or is missing"; exit 1; }
    done
  done
  wimlib-imagex verify "$dir/ours.ppkg" >/dev/null || { echo "$name: wimlib-imagex verify failed"; exit 1; }
  so=$(stat -c %s "$dir/ours.ppkg"); sw=$(stat -c %s "$dir/wimlib.wim")
  files=$(ls "$src"/payload*.bin | wc -l); bytes=$(cat "$src"/payload*.bin | wc -c)
  echo "$name: $files files, $bytes bytes"
  line build ppkg_build wimlib_capture wimlib "<= 0.6 (mixed)"
  printf '  %-8s ppkg %d bytes  wimlib %d bytes  ratio %.4f (goal <= 1.01)\n' size "$so" "$sw" \
    "$(echo "$so / $sw" | bc -l)"
  line extract ppkg_extract 7zz_x 7zz "<= 0.8"
  line extract ppkg_extract wimlib_apply wimlib "-"
  for l in ppkg_build wimlib_capture ppkg_extract 7zz_x wimlib_apply; do
    printf '  runs %-15s %s\n' "$l" "$(awk '{printf "%.3f ", $1}' "$dir/$l.times")"
  done
done
echo "load after: $(uptime)"
