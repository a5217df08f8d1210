#!/usr/bin/env bash
# Regenerates the committed seed corpora (fuzz/corpus/<target>/seed-*) from our own writer, the
# `ppkg` CLI, `wimlib-imagex capture` (tiny generated trees) and `openssl` — never from the
# reference files in /work/shared.
#
# Usage: fuzz/make-seeds.sh            (PPKG=/path/to/ppkg to use a prebuilt binary)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/corpus"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ -z "${PPKG:-}" ]]; then
  (cd "$root" && cargo build -q -j2 -p ppkg-cli)
  PPKG="${CARGO_TARGET_DIR:-$root/target}/debug/ppkg"
fi
for t in wim_read xpress_decode xpress_roundtrip answer_roundtrip provxml ddf profile_toml cert_pfx validate_answer; do
  mkdir -p "$corpus/$t"
done
export SOURCE_DATE_EPOCH=1700000000

# Profile (TOML) and the documents our compiler makes from it.
cp "$root/examples/bulk-enrollment.toml" "$corpus/profile_toml/seed-example.toml"
"$PPKG" compile "$root/examples/bulk-enrollment.toml" --asset-dir "$root/examples" \
  --package-id 5b1f6a52-3b2d-4a8e-9d2c-0f1e2d3c4b5a -o "$tmp/tree" >/dev/null
answer="$(find "$tmp/tree" -name customizations.xml | head -n1)"
cp "$answer" "$corpus/answer_roundtrip/seed-example.xml"
cp "$answer" "$corpus/validate_answer/seed-example.xml"
i=0
while IFS= read -r f; do
  cp "$f" "$corpus/provxml/seed-$i.provxml"; i=$((i + 1))
done < <(find "$tmp/tree" -iname '*.provxml' | sort | head -n 3)

# Packages: our writer (XPRESS and stored) and wimlib-imagex captures of a tiny tree.
"$PPKG" build "$root/examples/bulk-enrollment.toml" --asset-dir "$root/examples" \
  --package-id 5b1f6a52-3b2d-4a8e-9d2c-0f1e2d3c4b5a -o "$tmp/ours.ppkg" >/dev/null
cp "$tmp/ours.ppkg" "$corpus/wim_read/seed-ours-xpress.wim"
"$PPKG" build "$root/examples/bulk-enrollment.toml" --asset-dir "$root/examples" --no-compress \
  --package-id 5b1f6a52-3b2d-4a8e-9d2c-0f1e2d3c4b5a -o "$tmp/ours-none.ppkg" >/dev/null
cp "$tmp/ours-none.ppkg" "$corpus/wim_read/seed-ours-none.wim"
mkdir -p "$tmp/src/Multivariant/0" "$tmp/src/Prov"
printf '<WindowsCustomizations/>\r\n' > "$tmp/src/Multivariant/0/customizations.xml"
head -c 3000 /dev/zero | tr '\0' 'x' > "$tmp/src/Prov/RunTime.xml"
for c in XPRESS none; do
  wimlib-imagex capture "$tmp/src" "$tmp/wl-$c.wim" tiny --compress="$c" --no-acls >/dev/null
  cp "$tmp/wl-$c.wim" "$corpus/wim_read/seed-wimlib-$(echo "$c" | tr A-Z a-z).wim"
done

# XPRESS: our encoder's output, and plain inputs for the round trip.
(cd "$here" && cargo run -q -j2 --example xpress_seeds -- "$corpus/xpress_decode")
cp "$corpus/answer_roundtrip/seed-example.xml" "$corpus/xpress_roundtrip/seed-xml"
head -c 2000 /dev/urandom > "$corpus/xpress_roundtrip/seed-random"
head -c 5000 /dev/zero > "$corpus/xpress_roundtrip/seed-zeros"

# DDF: a small hand-written CSP description in the DDF v2 shape.
cat > "$corpus/ddf/seed-small.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<MgmtTree xmlns:MSFT="http://schemas.microsoft.com/MobileDevice/DM">
  <VerDTD>1.2</VerDTD>
  <Node>
    <NodeName>Demo</NodeName>
    <Path>./Vendor/MSFT</Path>
    <DFProperties>
      <AccessType><Get /></AccessType>
      <DFFormat><node /></DFFormat>
      <Occurrence><One /></Occurrence>
      <Scope><Permanent /></Scope>
      <DFType><DDFName></DDFName></DFType>
    </DFProperties>
    <Node>
      <NodeName></NodeName>
      <DFProperties>
        <AccessType><Add /><Delete /><Get /></AccessType>
        <DFFormat><node /></DFFormat>
        <Occurrence><ZeroOrMore /></Occurrence>
        <DFTitle>Name</DFTitle>
        <DFType><DDFName></DDFName></DFType>
        <MSFT:DynamicNodeNaming><MSFT:UniqueName>Name</MSFT:UniqueName></MSFT:DynamicNodeNaming>
      </DFProperties>
      <Node>
        <NodeName>Mode</NodeName>
        <DFProperties>
          <AccessType><Add /><Get /><Replace /></AccessType>
          <DefaultValue>1</DefaultValue>
          <DFFormat><int /></DFFormat>
          <Occurrence><ZeroOrOne /></Occurrence>
          <DFType><MIME>text/plain</MIME></DFType>
          <MSFT:AllowedValues ValueType="ENUM">
            <MSFT:Enum><MSFT:Value>0</MSFT:Value><MSFT:ValueDescription>Off</MSFT:ValueDescription></MSFT:Enum>
            <MSFT:Enum><MSFT:Value>1</MSFT:Value><MSFT:ValueDescription>On</MSFT:ValueDescription></MSFT:Enum>
          </MSFT:AllowedValues>
        </DFProperties>
      </Node>
      <Node>
        <NodeName>Range</NodeName>
        <DFProperties>
          <AccessType><Replace /></AccessType>
          <DFFormat><int /></DFFormat>
          <MSFT:AllowedValues ValueType="Range"><MSFT:Value>[0-100]</MSFT:Value></MSFT:AllowedValues>
        </DFProperties>
      </Node>
    </Node>
  </Node>
</MgmtTree>
XML

# Certificates: the example CA (PEM and DER) and a PFX made with openssl (password "fuzz").
cp "$root/examples/assets/example-test-root-ca.pem" "$corpus/cert_pfx/seed-ca.pem"
openssl x509 -in "$root/examples/assets/example-test-root-ca.pem" -outform DER -out "$corpus/cert_pfx/seed-ca.der"
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 -subj /CN=fuzz 2>/dev/null
openssl pkcs12 -export -inkey "$tmp/k.pem" -in "$tmp/c.pem" -passout pass:fuzz -iter 1 -maciter \
  -out "$corpus/cert_pfx/seed-aes.pfx" 2>/dev/null
openssl pkcs12 -export -legacy -inkey "$tmp/k.pem" -in "$tmp/c.pem" -passout pass:fuzz -iter 1 \
  -out "$corpus/cert_pfx/seed-legacy.pfx" 2>/dev/null || true
echo "seeds written under $corpus"
ls -la "$corpus"/*/ | head -60
