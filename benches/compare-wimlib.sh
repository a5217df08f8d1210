#!/usr/bin/env bash
# Compares `ppkg build` / `ppkg extract` with `wimlib-imagex capture --compress=XPRESS` /
# `wimlib-imagex apply` on one generated 256 MiB payload (half compressible log-like text, half
# random bytes, 16 files of 16 MiB) carried as provisioning-command files (Common/
# ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandFile, as WCD writes them).
#
# Runs alternate (ppkg, wimlib, ppkg, wimlib …) RUNS times each (default 3) and prints the
# median wall time of each tool, the ratio ppkg/wimlib, the output sizes and the peak RSS
# (`/usr/bin/time -v`, "Maximum resident set size"). Goals (issue 6): build ≤ 0.8× wimlib's
# time at ≤ 1.03× its size; extract ≤ 0.8×; peak RSS ≤ 64 MiB.
#
# Usage: benches/compare-wimlib.sh [RUNS]     (PPKG=/path/to/ppkg skips the release build;
#        MIB=64 for a smaller payload; WORK=/dir for the scratch folder, default a temp dir)
# Needs: wimlib-imagex, /usr/bin/time (Debian package `time`), a release build of ppkg-cli.
set -euo pipefail
runs="${1:-3}"
mib="${MIB:-256}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
command -v wimlib-imagex >/dev/null || { echo "wimlib-imagex missing (apt-get install wimtools)"; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing (apt-get install time)"; exit 2; }
if [[ -z "${PPKG:-}" ]]; then
  (cd "$root" && cargo build -q --release -j2 -p ppkg-cli)
  PPKG="${CARGO_TARGET_DIR:-$root/target}/release/ppkg"
fi
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
trap '[[ -z "${WORK:-}" ]] && rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# --- payload: MIB MiB in 16 files, even-numbered text, odd-numbered random -----------------
src="$work/src"
files=16
per=$(( mib * 1024 * 1024 / files ))
if [[ ! -f "$src/.done-$mib" ]]; then
  rm -rf "$src"; mkdir -p "$src"
  for i in $(seq 0 $((files - 1))); do
    f="$src/payload$(printf %02d "$i").bin"
    if (( i % 2 == 0 )); then
      # `head` closes the pipe early on purpose: no pipefail here.
      set +o pipefail
      seq $((i * 10000000)) $((i * 10000000 + per / 20)) \
        | sed 's/.*/2026-11-29T08:00:00Z INFO ppkg[&]: provisioning Workplace\/Enrollments\/UPN applied rc=0/' \
        | head -c "$per" > "$f"
      set -o pipefail
    else
      head -c "$per" /dev/urandom > "$f"
    fi
    [[ $(stat -c %s "$f") -eq $per ]] || { echo "payload $f: short"; exit 1; }
  done
  touch "$src/.done-$mib"
fi

# customizations.xml naming every payload as a command file.
xml="$src/customizations.xml"
{
  printf '<?xml version="1.0" encoding="utf-8"?>\r\n'
  printf '<WindowsCustomizations>\r\n'
  printf '  <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">\r\n'
  printf '    <ID>{6c3e0c1a-5b7d-4e3f-9a21-0b9c8d7e6f50}</ID>\r\n    <Name>compare-wimlib</Name>\r\n'
  printf '    <Version>1.0</Version>\r\n    <OwnerType>ITAdmin</OwnerType>\r\n    <Rank>0</Rank>\r\n'
  printf '  </PackageConfig>\r\n'
  printf '  <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">\r\n'
  printf '    <Customizations>\r\n      <Common>\r\n        <ProvisioningCommands>\r\n'
  printf '          <PrimaryContext>\r\n            <Command>\r\n'
  for f in "$src"/payload*.bin; do
    n="$(basename "$f" .bin)"
    printf '              <CommandConfig Name="%s">\r\n' "$n"
    printf '                <CommandFile>%s</CommandFile>\r\n' "$(basename "$f")"
    printf '                <CommandLine>cmd /c type %s</CommandLine>\r\n' "$(basename "$f")"
    printf '                <ContinueInstall>True</ContinueInstall>\r\n'
    printf '                <RestartRequired>False</RestartRequired>\r\n'
    printf '                <ReturnCodeRestart>3010</ReturnCodeRestart>\r\n'
    printf '                <ReturnCodeSuccess>0</ReturnCodeSuccess>\r\n'
    printf '              </CommandConfig>\r\n'
  done
  printf '            </Command>\r\n          </PrimaryContext>\r\n        </ProvisioningCommands>\r\n'
  printf '      </Common>\r\n    </Customizations>\r\n  </Settings>\r\n</WindowsCustomizations>\r\n'
} > "$xml"
# wimlib captures the same payload files (plus the answer file), without the answer file's
# compiled documents: the data volume is the same to within a few KiB.
cap="$work/cap"
rm -rf "$cap"; mkdir -p "$cap"
for f in "$src"/payload*.bin "$xml"; do ln -f "$f" "$cap/" 2>/dev/null || cp "$f" "$cap/"; done

# --- timing helpers -------------------------------------------------------------------------
# run LABEL CMD...: appends "seconds rss_kib" to $work/LABEL.times
run() {
  local label="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$work/$label.timev" "$@" >"$work/$label.out" 2>&1 || {
    echo "FAILED: $*"; cat "$work/$label.out"; exit 1; }
  t1=$(date +%s.%N)
  local rss
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/$label.timev")
  echo "$(echo "$t1 - $t0" | bc -l) $rss" >> "$work/$label.times"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxrss() { awk '{print $2}' | sort -n | tail -n1; }

rm -f "$work"/*.times
for r in $(seq 1 "$runs"); do
  rm -f "$work/ours.ppkg" "$work/wimlib.wim"
  run ppkg_build "$PPKG" build "$xml" --asset-dir "$src" -o "$work/ours.ppkg"
  run wimlib_capture wimlib-imagex capture "$cap" "$work/wimlib.wim" payload --compress=XPRESS \
    --chunk-size=32768 --no-acls
  rm -rf "$work/x-ours" "$work/x-wimlib"
  run ppkg_extract "$PPKG" extract "$work/ours.ppkg" -o "$work/x-ours"
  run wimlib_apply wimlib-imagex apply "$work/wimlib.wim" 1 "$work/x-wimlib" --no-acls
done
# Same payload on both sides.
for f in "$src"/payload*.bin; do
  found="$(find "$work/x-ours" -name "$(basename "$f")" | head -n1)"
  cmp -s "$f" "$found" || { echo "ppkg extract: $(basename "$f") differs or is missing"; exit 1; }
done

report() {
  local name="$1" ours="$2" theirs="$3"
  local a b ra rb
  a=$(median < "$work/$ours.times"); b=$(median < "$work/$theirs.times")
  ra=$(maxrss < "$work/$ours.times"); rb=$(maxrss < "$work/$theirs.times")
  printf '%-8s ppkg %7.2f s  wimlib %7.2f s  ratio %.2f   peak RSS ppkg %6d KiB  wimlib %6d KiB\n' \
    "$name" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$ra" "$rb"
  printf '         all runs ppkg: %s | wimlib: %s\n' "$(awk '{printf "%.2f ", $1}' "$work/$ours.times")" \
    "$(awk '{printf "%.2f ", $1}' "$work/$theirs.times")"
}
echo "payload: ${mib} MiB in $files files (half text, half random), $runs alternating runs each, $(nproc) cores"
report build ppkg_build wimlib_capture
report extract ppkg_extract wimlib_apply
so=$(stat -c %s "$work/ours.ppkg"); sw=$(stat -c %s "$work/wimlib.wim")
printf 'size     ppkg %d bytes  wimlib %d bytes  ratio %.4f\n' "$so" "$sw" "$(echo "$so / $sw" | bc -l)"
