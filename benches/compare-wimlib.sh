#!/usr/bin/env bash
# Compares ppkg with the independent tools, `wimlib-imagex` and `7zz`, on generated corpora
# (issue 15):
#   mixed  256 MiB in 16 files of 16 MiB, half log-like text, half random bytes;
#   acer   141 MB in two files of 78.7 MB and 63.1 MB that compress about 120 times, shaped like
#          the real Acer package (1.2 MB holding 141 MB of MSI payload; the MSIs are not public);
#   small  2,000 files of 1 to 64 KiB (sizes spread evenly, a third random, the rest text);
#   bins   (only with BINS=DIR) the files of DIR, e.g. executables, shared libraries, archives
#          and text: the XPRESS encoder's corpus; built on ONE thread by both tools
#          (RAYON_NUM_THREADS=1, `--threads=1`), compared by CPU time.
# (python3 generates the acer and small corpora.)
# Each corpus is carried as provisioning-command files (Common/ProvisioningCommands/
# PrimaryContext/Command/CommandConfig/CommandFile, as WCD writes them).
#
# Per corpus, RUNS alternating rounds (default 3) of:
#   build:   `ppkg build` vs `wimlib-imagex capture --compress=XPRESS --chunk-size=32768`
#   extract: `ppkg extract` vs `7zz x` vs `wimlib-imagex apply`, all three of ppkg's package
# and prints median wall times (and CPU times, user + system), the ratios ppkg/other, sizes
# (whole file, and payload only: the stored bytes of the blobs holding the corpus files, found
# by their SHA-1 in `wimlib-imagex info --blobs` of both WIMs), and the peak RSS of each tool
# (`/usr/bin/time -v`, "Maximum resident set size"); then one summary table of the median
# ratios. Goals (issue 15): extract <= 0.8x 7zz on every corpus; build <= 0.6x wimlib on
# `mixed` at <= 1.01x its size; XPRESS encoder at least wimlib's speed at <= 1.01x its size
# (`bins`); peak RSS <= 64 MiB.
# The machine load (`uptime`) is printed before and after: medians on a loaded machine say less.
#
# Each extraction goes to a folder of its own, and nothing extracted is deleted before the
# last timing (old outputs are moved aside, then deleted at the end): on ext4 without a
# journal (this development machine's root file system, mounted with `discard`), creating a
# file scans past every inode of its group deleted in the last 60 s (360 s while the inode
# table block is dirty; the kernel's `recently_deleted()`), so creating 14,000 files right
# after deleting 14,000 took 3 to 8 s of system time, for every tool alike, instead of 0.5 s.
# Run the script again within about 6 minutes and `small` pays for the previous run's deletes.
#
# Usage: benches/compare-wimlib.sh [RUNS]     (PPKG=/path/to/ppkg skips the release build;
#        CORPORA="mixed acer small" to choose; MIB=64 shrinks `mixed`; WORK=/dir keeps the
#        scratch folder and the generated corpora between runs; BINS=DIR adds `bins`;
#        NO_EXTRACT=1 times builds only)
# Needs: wimlib-imagex, 7zz, /usr/bin/time (Debian `time`), bc, sha1sum, a release build of
# ppkg-cli.
set -euo pipefail
runs="${1:-3}"
mib="${MIB:-256}"
corpora="${CORPORA:-mixed acer small}"
[[ -n "${BINS:-}" ]] && corpora="$corpora bins"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
for t in wimlib-imagex 7zz bc sha1sum; do
  command -v "$t" >/dev/null || { echo "$t missing (apt-get install wimtools 7zip bc)"; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing (apt-get install time)"; exit 2; }
if [[ -z "${PPKG:-}" ]]; then
  (cd "$root" && cargo build -q --release -j2 -p ppkg-cli)
  PPKG="${CARGO_TARGET_DIR:-$root/target}/release/ppkg"
fi
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
# Outputs to delete, moved aside until the timings are done (see above).
trash="$work/.trash"
mkdir -p "$trash"
aside() { local p; for p in "$@"; do [[ -e "$p" ]] && mv "$p" "$trash/$(date +%s%N)-$RANDOM"; done; return 0; }
trap 'rm -rf "$trash"; [[ -z "${WORK:-}" ]] && rm -rf "$work"' EXIT
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
    bins)
      # Hard links (or copies) of the regular files of $BINS, names made unique.
      local i=0
      while IFS= read -r f; do
        local b; b="$src/payload$(printf %04d "$i").bin"
        ln "$f" "$b" 2>/dev/null || cp "$f" "$b"
        i=$((i + 1))
      done < <(find "$BINS" -maxdepth 1 -type f | sort) ;;
    small)
      # Text or random (one in three) files of 1 to 64 KiB. A file whose SHA-256 in base64
      # holds a '/' gets bytes appended until it does not: ppkg refuses a DataAsset key with
      # '//' today (an empty folder name) and turns one '/' into a folder level; what WCD
      # writes then is not known, and wimlib's capture of the same files has no such folders.
      python3 - "$src" <<'EOF2'
import base64, hashlib, os, sys
src = sys.argv[1]
line = b"2026-11-29T08:00:00Z INFO ppkg[%d]: provisioning Workplace/Enrollments/UPN applied rc=0\n"
for i in range(2000):
    n = 1024 + (i * 2654435761) % 64513
    if i % 3 == 0:
        data = os.urandom(n)
    else:
        data = b"".join(line % (i * 100000 + k) for k in range(n // 60 + 2))[:n]
    while b"/" in base64.b64encode(hashlib.sha256(data).digest()):
        data += b"\n"
    with open(os.path.join(src, "payload%04d.bin" % i), "wb") as f:
        f.write(data)
EOF2
      ;;
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
  cpu=$(awk -F: '/User time|System time/ {s += $2} END {print s}' "$dir/$label.timev")
  echo "$(echo "$t1 - $t0" | bc -l) $rss $cpu" >> "$dir/$label.times"
}
median() { awk -v c="${2:-1}" '{print $c}' "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxrss() { awk '{print $2}' "$1" | sort -n | tail -n1; }
line() { # line WHAT OURS THEIRS THEIR_NAME GOAL
  local a b
  a=$(median "$dir/$2.times"); b=$(median "$dir/$3.times")
  printf '  %-8s ppkg %7.3f s  %-7s %7.3f s  ratio %.2f (goal %s)   RSS ppkg %6d KiB  %s %6d KiB\n' \
    "$1" "$a" "$4" "$b" "$(echo "$a / $b" | bc -l)" "$5" "$(maxrss "$dir/$2.times")" "$4" \
    "$(maxrss "$dir/$3.times")"
  printf '  %-8s CPU ppkg %7.3f s  %-7s %7.3f s  ratio %.2f\n' "" "$(median "$dir/$2.times" 3)" "$4" \
    "$(median "$dir/$3.times" 3)" "$(echo "$(median "$dir/$2.times" 3) / $(median "$dir/$3.times" 3)" | bc -l)"
}
ratio() { echo "$(median "$1") / $(median "$2")" | bc -l; }
cpuratio() { echo "$(median "$1" 3) / $(median "$2" 3)" | bc -l; }
# payload_bytes WIM SHA1LIST: stored bytes of the blobs whose SHA-1 is listed.
payload_bytes() {
  wimlib-imagex info "$1" --blobs | awk -v list="$2" '
    BEGIN { while ((getline l < list) > 0) want["0x" l] = 1 }
    /^Hash/ { h = $3 } /^Compressed size/ { if (h in want) { s += $4; delete want[h] } }
    END { print s + 0 }'
}
summary="$(mktemp)"

load_before="$(uptime)"
echo "load before: $load_before"
echo "$runs alternating runs per tool, $(nproc) cores, ppkg $PPKG"
for name in $corpora; do
  dir="$work/$name"
  gen "$name"
  src="$dir/src"
  answer "$src" > "$dir/customizations.xml"
  # wimlib captures the same payload files (plus the answer file) without ppkg's compiled
  # documents: the data volume is the same to within a few KiB.
  cap="$dir/cap"
  aside "$cap"; mkdir -p "$cap"
  for f in "$src"/payload*.bin "$dir/customizations.xml"; do ln -f "$f" "$cap/" 2>/dev/null || cp "$f" "$cap/"; done
  rm -f "$dir"/*.times
  # Warm the page cache: every tool then reads from memory.
  cat "$src"/payload*.bin > /dev/null
  # `bins` compares the encoders: one thread each.
  one=(); wthreads=()
  if [[ "$name" == bins ]]; then one=(env RAYON_NUM_THREADS=1); wthreads=(--threads=1); fi
  extract=1
  [[ -n "${NO_EXTRACT:-}" || "$name" == bins ]] && extract=
  aside "$dir"/x-*
  for r in $(seq 1 "$runs"); do
    rm -f "$dir/ours.ppkg" "$dir/wimlib.wim"
    run ppkg_build "${one[@]}" "$PPKG" build "$dir/customizations.xml" --asset-dir "$src" -o "$dir/ours.ppkg"
    run wimlib_capture wimlib-imagex capture "$cap" "$dir/wimlib.wim" payload --compress=XPRESS \
      --chunk-size=32768 --no-acls "${wthreads[@]}"
    [[ -n "$extract" ]] || continue
    # A fresh folder per tool and round: nothing is deleted between timings.
    run ppkg_extract "$PPKG" extract "$dir/ours.ppkg" -o "$dir/x-ppkg-$r"
    run 7zz_x 7zz x -y -bd "$dir/ours.ppkg" "-o$dir/x-7zz-$r"
    run wimlib_apply wimlib-imagex apply "$dir/ours.ppkg" 1 "$dir/x-wimlib-$r" --no-acls
  done
  # Same payload from every reader (one `find` per reader: thousands of files in `small`).
  want=$(ls "$src"/payload*.bin | wc -l)
  for x in ${extract:+x-ppkg-$runs x-7zz-$runs x-wimlib-$runs}; do
    got=0
    while IFS= read -r found; do
      cmp -s "$src/$(basename "$found")" "$found" || { echo "$name: $x: $found differs"; exit 1; }
      got=$((got + 1))
    done < <(find "$dir/$x" -name 'payload*.bin')
    (( got == want )) || { echo "$name: $x: $got of $want payload files"; exit 1; }
  done
  wimlib-imagex verify "$dir/ours.ppkg" >/dev/null || { echo "$name: wimlib-imagex verify failed"; exit 1; }
  so=$(stat -c %s "$dir/ours.ppkg"); sw=$(stat -c %s "$dir/wimlib.wim")
  files=$(ls "$src"/payload*.bin | wc -l); bytes=$(cat "$src"/payload*.bin | wc -c)
  echo "$name: $files files, $bytes bytes"
  (cd "$src" && sha1sum payload*.bin | awk '{print $1}' | sort -u) > "$dir/payload.sha1"
  po=$(payload_bytes "$dir/ours.ppkg" "$dir/payload.sha1")
  pw=$(payload_bytes "$dir/wimlib.wim" "$dir/payload.sha1")
  line build ppkg_build wimlib_capture wimlib "<= 0.6 (mixed)"
  printf '  %-8s ppkg %d bytes  wimlib %d bytes  ratio %.4f (goal <= 1.01)\n' size "$so" "$sw" \
    "$(echo "$so / $sw" | bc -l)"
  printf '  %-8s ppkg %d bytes  wimlib %d bytes  ratio %.4f (payload blobs only)\n' payload "$po" \
    "$pw" "$(echo "$po / $pw" | bc -l)"
  labels="ppkg_build wimlib_capture"
  if [[ -n "$extract" ]]; then
    line extract ppkg_extract 7zz_x 7zz "<= 0.8"
    line extract ppkg_extract wimlib_apply wimlib "-"
    labels="$labels ppkg_extract 7zz_x wimlib_apply"
  fi
  for l in $labels; do
    printf '  runs %-15s %s\n' "$l" "$(awk '{printf "%.3f ", $1}' "$dir/$l.times")"
  done
  if [[ -n "$extract" ]]; then
    x7=$(printf '%.2f' "$(ratio "$dir/ppkg_extract.times" "$dir/7zz_x.times")")
    xw=$(printf '%.2f' "$(ratio "$dir/ppkg_extract.times" "$dir/wimlib_apply.times")")
    rx="$(( $(maxrss "$dir/ppkg_extract.times") / 1024 ))/$(( $(maxrss "$dir/7zz_x.times") / 1024 ))/$(( $(maxrss "$dir/wimlib_apply.times") / 1024 ))"
  else
    x7=-; xw=-; rx=-
  fi
  printf '%-6s %9.2f %9.2f %8.4f %8.4f %9s %9s %11s %15s\n' "$name" \
    "$(ratio "$dir/ppkg_build.times" "$dir/wimlib_capture.times")" \
    "$(cpuratio "$dir/ppkg_build.times" "$dir/wimlib_capture.times")" \
    "$(echo "$so / $sw" | bc -l)" "$(echo "$po / $pw" | bc -l)" "$x7" "$xw" \
    "$(( $(maxrss "$dir/ppkg_build.times") / 1024 ))/$(( $(maxrss "$dir/wimlib_capture.times") / 1024 ))" \
    "$rx" >> "$summary"
done
echo
echo "summary: median ratios ppkg / other ($runs runs; RSS in MiB, peak over the runs)"
printf '%-6s %9s %9s %8s %8s %9s %9s %11s %15s\n' corpus build build size payload extract extract \
  "RSS build" "RSS extract"
printf '%-6s %9s %9s %8s %8s %9s %9s %11s %15s\n' "" "/wimlib" "CPU/wl" "/wimlib" "/wimlib" "/7zz" \
  "/wimlib" "ppkg/wimlib" "ppkg/7zz/wimlib"
cat "$summary"
rm -f "$summary"
echo "goals: build <= 0.6 (mixed); size <= 1.01; extract/7zz <= 0.8; RSS <= 64 MiB; bins: CPU <= 1.00 at size <= 1.01"
echo "load before: $load_before"
echo "load after:  $(uptime)"
