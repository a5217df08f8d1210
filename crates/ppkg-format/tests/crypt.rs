//! Package encryption (`ppkg_format::crypt`), checked against OpenSSL and the real WCD package.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use ppkg_format::crypt::{self, Password, FEED_BLOCK, IV_LEN, MAC_LEN};
use ppkg_format::ErrorKind;
use proptest::prelude::*;

/// A minimal WIM-shaped byte string: a 208-byte header (magic, header size, version 1.13) whose
/// XML resource header says the file is `208 + body.len()` bytes, then `body`.
fn fake_wim(body: &[u8]) -> Vec<u8> {
    let mut wim = vec![0u8; 208];
    wim[..8].copy_from_slice(b"MSWIM\0\0\0");
    wim[8..12].copy_from_slice(&208u32.to_le_bytes());
    wim[12..16].copy_from_slice(&0x0001_0D00u32.to_le_bytes());
    wim[16..20].copy_from_slice(&0x0002_0082u32.to_le_bytes());
    wim[20..24].copy_from_slice(&32768u32.to_le_bytes());
    let size = body.len() as u64;
    wim[72..79].copy_from_slice(&size.to_le_bytes()[..7]);
    wim[80..88].copy_from_slice(&208u64.to_le_bytes());
    wim[88..96].copy_from_slice(&size.to_le_bytes());
    wim.extend_from_slice(body);
    wim
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn encrypt_vec(plain: &[u8], password: &Password, iv: [u8; 16]) -> Vec<u8> {
    let mut out = Vec::new();
    let n = crypt::encrypt(plain, &mut out, password, iv).expect("encrypt");
    assert_eq!(n, out.len() as u64);
    out
}

fn decrypt_vec(enc: &[u8], password: &Password) -> ppkg_format::Result<Vec<u8>> {
    let mut out = Vec::new();
    let n = crypt::decrypt(Cursor::new(enc), &mut out, password)?;
    assert_eq!(n, out.len() as u64);
    Ok(out)
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p.to_str().expect("utf-8 temp path").to_string()
}

#[test]
fn layout_matches_openssl_aes_and_hmac() {
    if !ppkg_testdata::tool("openssl") {
        return;
    }
    let password = Password::new("Abc123xyz").unwrap();
    let key_hex = hex(b"Abc123xyz\0\0\0\0\0\0\0");
    let iv = [0x5au8; 16];
    // 1000 bytes: not a multiple of 160, so the last block is padded (to 1120).
    let wim = fake_wim(&noise(792, 1));
    assert_eq!(wim.len(), 1000);
    let enc = encrypt_vec(&wim, &password, iv);
    assert_eq!(enc.len(), IV_LEN + 1120 + MAC_LEN);
    assert_eq!(enc.len() as u64, crypt::encrypted_len(1000));
    assert_eq!(&enc[..16], &iv);
    let ct = &enc[IV_LEN..enc.len() - MAC_LEN];
    let tag = &enc[enc.len() - MAC_LEN..];

    let dir = tempfile::tempdir().unwrap();
    let ct_path = write(dir.path(), "ct.bin", ct);
    // OpenSSL decrypts our ciphertext to the WIM plus zero padding.
    let plain = openssl(&[
        "enc",
        "-d",
        "-aes-128-cbc",
        "-nopad",
        "-K",
        &key_hex,
        "-iv",
        &hex(&iv),
        "-in",
        &ct_path,
    ]);
    let mut padded = wim.clone();
    padded.resize(1120, 0);
    assert_eq!(plain, padded);
    // And encrypts the padded WIM to our ciphertext.
    let padded_path = write(dir.path(), "padded.bin", &padded);
    let ct2 = openssl(&[
        "enc",
        "-aes-128-cbc",
        "-nopad",
        "-K",
        &key_hex,
        "-iv",
        &hex(&iv),
        "-in",
        &padded_path,
    ]);
    assert_eq!(ct2, ct);
    // The trailer is HMAC-SHA256 of the ciphertext only (HMAC_COVERS_IV = false), keyed with
    // the zero-padded password.
    const { assert!(!crypt::HMAC_COVERS_IV) };
    let mac = openssl(&[
        "dgst",
        "-sha256",
        "-mac",
        "hmac",
        "-macopt",
        &format!("hexkey:{key_hex}"),
        "-hex",
        &ct_path,
    ]);
    let mac = String::from_utf8(mac).unwrap();
    assert!(mac.trim_end().ends_with(&hex(tag)), "{mac} vs {}", hex(tag));

    // And back: our decryption trims the padding.
    assert_eq!(decrypt_vec(&enc, &password).unwrap(), wim);
}

#[test]
fn decrypts_what_openssl_encrypted() {
    if !ppkg_testdata::tool("openssl") {
        return;
    }
    let key_hex = hex(b"Zz9Zz9Zz9Zz9Zz9Z");
    let iv = noise(16, 7);
    let wim = fake_wim(&noise(4000 - 208, 9));
    let mut padded = wim.clone();
    padded.resize(crypt::padded_len(wim.len() as u64) as usize, 0);
    let dir = tempfile::tempdir().unwrap();
    let padded_path = write(dir.path(), "padded.bin", &padded);
    let ct = openssl(&[
        "enc",
        "-aes-128-cbc",
        "-nopad",
        "-K",
        &key_hex,
        "-iv",
        &hex(&iv),
        "-in",
        &padded_path,
    ]);
    let ct_path = write(dir.path(), "ct.bin", &ct);
    let mac = openssl(&[
        "dgst",
        "-sha256",
        "-mac",
        "hmac",
        "-macopt",
        &format!("hexkey:{key_hex}"),
        "-binary",
        &ct_path,
    ]);
    let mut enc = iv.clone();
    enc.extend_from_slice(&ct);
    enc.extend_from_slice(&mac);
    let password = Password::new("Zz9Zz9Zz9Zz9Zz9Z").unwrap();
    assert_eq!(decrypt_vec(&enc, &password).unwrap(), wim);
}

#[test]
fn real_package_round_trips_byte_identical() {
    let Some(path) = ppkg_testdata::reference_file("ppkg/start_pins.ppkg") else {
        return;
    };
    let wim = std::fs::read(&path).unwrap();
    assert!(!crypt::is_encrypted(&wim));
    let password = Password::generate().unwrap();
    let enc = encrypt_vec(&wim, &password, crypt::random_iv().unwrap());
    assert!(crypt::is_encrypted(&enc));
    assert_eq!(enc.len() as u64, crypt::encrypted_len(wim.len() as u64));
    // The real WIM's header gives its true end: the file length.
    assert_eq!(
        crypt::wim_end_from_header(&wim[..208]).unwrap(),
        wim.len() as u64
    );
    let back = decrypt_vec(&enc, &password).unwrap();
    assert!(back == wim, "decrypted package differs from the original");
}

#[test]
fn package_written_by_write_wim_round_trips_and_stays_valid() {
    use ppkg_format::wim::{write_wim, ImageTree, WimReader, WriteOptions};

    let mut tree = ImageTree::new();
    tree.add_file("Multivariant/0/customizations.xml", noise(70_000, 21))
        .unwrap();
    tree.add_file("CommonSettings/1/AnswerFile.xml", "<Settings/>")
        .unwrap();
    let mut wim = Cursor::new(Vec::new());
    let opts = WriteOptions::deterministic([5; 16], 1);
    write_wim(&mut wim, &tree, &Default::default(), &opts).unwrap();
    let wim = wim.into_inner();
    assert_eq!(
        crypt::wim_end_from_header(&wim).unwrap(),
        wim.len() as u64,
        "the header's resource ends give the true WIM length"
    );

    let password = Password::new("Writer2026").unwrap();
    let enc = encrypt_vec(&wim, &password, [0x11; 16]);
    let back = decrypt_vec(&enc, &password).unwrap();
    assert!(back == wim, "decrypted WIM differs from the written one");
    WimReader::new(Cursor::new(&back)).expect("decrypted WIM opens");
    if ppkg_testdata::tool("wimlib-imagex") {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "back.wim", &back);
        let out = Command::new("wimlib-imagex")
            .args(["verify", &path])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wimlib-imagex verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), so that
/// the timing is not skewed by other processes on a busy machine; wall-clock elsewhere.
fn cpu_ns(wall: std::time::Instant) -> u128 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| wall.elapsed().as_nanos())
}

/// Throughput of encryption and of the two-pass decryption, in CPU time (run with
/// `--ignored --nocapture`; build with `--release` for representative numbers).
#[test]
#[ignore = "timing only"]
fn throughput() {
    let wim = fake_wim(&noise(64 << 20, 13));
    let password = Password::new("Throughput1").unwrap();
    let wall = std::time::Instant::now();
    let t0 = cpu_ns(wall);
    let enc = encrypt_vec(&wim, &password, [1; 16]);
    let t1 = cpu_ns(wall);
    let mut sink = std::io::sink();
    crypt::verify_mac(&mut Cursor::new(&enc), &password).unwrap();
    let t2 = cpu_ns(wall);
    crypt::decrypt(Cursor::new(&enc), &mut sink, &password).unwrap();
    let t3 = cpu_ns(wall);
    let mib = wim.len() as f64 / (1 << 20) as f64;
    let rate = |ns: u128| mib / (ns as f64 / 1e9);
    println!(
        "over {mib:.0} MiB (CPU time): encrypt {:.0} MiB/s; HMAC check alone {:.0} MiB/s; \
         decrypt (HMAC pass + decryption pass) {:.0} MiB/s",
        rate(t1 - t0),
        rate(t2 - t1),
        rate(t3 - t2)
    );
}

#[test]
fn streams_through_files_larger_than_one_chunk() {
    // 200 KiB + 3: several 80 KiB chunks and a padded tail, through real files.
    let wim = fake_wim(&noise(200 * 1024 + 3, 3));
    let dir = tempfile::tempdir().unwrap();
    let enc_path = dir.path().join("x.ppkg");
    let password = Password::new("LongerPassword16").unwrap();
    {
        let out = std::fs::File::create(&enc_path).unwrap();
        crypt::encrypt(&wim[..], std::io::BufWriter::new(out), &password, [1; 16]).unwrap();
    }
    let mut file = std::fs::File::open(&enc_path).unwrap();
    let mut back = Vec::new();
    let n = crypt::decrypt(&mut file, &mut back, &password).unwrap();
    assert_eq!(n, wim.len() as u64);
    assert!(back == wim);
}

#[test]
fn wrong_password_is_an_hmac_mismatch_and_writes_nothing() {
    let wim = fake_wim(&noise(500, 5));
    let enc = encrypt_vec(&wim, &Password::new("Right1234").unwrap(), [3; 16]);
    let mut out = Vec::new();
    let e = crypt::decrypt(
        Cursor::new(&enc),
        &mut out,
        &Password::new("Wrong1234").unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::Decrypt("wrong password or tampered file: HMAC mismatch".into())
    );
    assert!(
        out.is_empty(),
        "nothing may be written before the HMAC is checked"
    );
    assert!(!e.to_string().contains("Wrong1234"));
    assert!(!e.to_string().contains("Right1234"));
}

#[test]
fn every_flipped_byte_is_reported() {
    let password = Password::new("Flip1234").unwrap();
    let wim = fake_wim(&noise(300, 11));
    let enc = encrypt_vec(&wim, &password, [9; 16]);
    // Every position: the IV (not covered by the HMAC, caught by the header check), the
    // ciphertext and the HMAC itself.
    for i in 0..enc.len() {
        let mut bad = enc.clone();
        bad[i] ^= 0x01;
        let e = decrypt_vec(&bad, &password).expect_err("flipped byte must fail");
        assert!(
            matches!(e.kind(), ErrorKind::Decrypt(_)),
            "byte {i}: unexpected error {e}"
        );
        if i >= IV_LEN {
            assert!(e.to_string().contains("HMAC mismatch"), "byte {i}: {e}");
        } else {
            assert!(e.offset().is_some(), "byte {i}: {e}");
        }
    }
}

#[test]
fn truncated_and_foreign_inputs_are_clear_errors() {
    let password = Password::new("Trunc1234").unwrap();
    let enc = encrypt_vec(&fake_wim(&noise(100, 2)), &password, [4; 16]);
    for cut in [0, 10, 47, enc.len() - 1, enc.len() - 16] {
        let e = decrypt_vec(&enc[..cut], &password).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decrypt(_)), "cut {cut}: {e}");
    }
    // A plain WIM handed to decrypt: not an encrypted package (or an HMAC mismatch).
    let plain = fake_wim(&noise(100 + 208 + 8, 2));
    assert!(decrypt_vec(&plain, &password).is_err());
    // Empty input cannot be encrypted.
    let e = crypt::encrypt(&[][..], Vec::new(), &password, [0; 16]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e}");
}

#[test]
fn non_wim_content_needs_decrypt_padded() {
    let password = Password::new("Padded123").unwrap();
    let data = b"not a WIM at all".repeat(20);
    let enc = encrypt_vec(&data, &password, [6; 16]);
    let e = decrypt_vec(&enc, &password).unwrap_err();
    assert!(e.to_string().contains("not a WIM"), "{e}");
    let mut out = Vec::new();
    crypt::decrypt_padded(Cursor::new(&enc), &mut out, &password).unwrap();
    let mut expected = data.clone();
    expected.resize(crypt::padded_len(data.len() as u64) as usize, 0);
    assert_eq!(out, expected);
}

#[test]
fn padding_must_be_zero() {
    // A WIM whose header claims less than the data: the extra non-zero bytes are reported,
    // never silently dropped.
    let mut wim = fake_wim(&noise(100, 8));
    wim[72] = 50; // XML size 50 instead of 100
    let password = Password::new("Zeros1234").unwrap();
    let enc = encrypt_vec(&wim, &password, [2; 16]);
    let e = decrypt_vec(&enc, &password).unwrap_err();
    assert!(
        e.to_string().contains("non-zero byte in the padding"),
        "{e}"
    );
}

#[test]
fn decrypts_from_the_current_position() {
    let password = Password::new("Offset123").unwrap();
    let wim = fake_wim(&noise(64, 4));
    let mut data = b"prefix".to_vec();
    data.extend(encrypt_vec(&wim, &password, [8; 16]));
    let mut cur = Cursor::new(&data);
    cur.set_position(6);
    let mut out = Vec::new();
    crypt::decrypt(&mut cur, &mut out, &password).unwrap();
    assert_eq!(out, wim);
}

fn password_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{8,16}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        pw in password_strategy(),
        iv in any::<[u8; 16]>(),
    ) {
        let password = Password::new(&pw).unwrap();
        let wim = fake_wim(&body);
        let enc = encrypt_vec(&wim, &password, iv);
        prop_assert_eq!(enc.len() as u64, crypt::encrypted_len(wim.len() as u64));
        prop_assert_eq!((enc.len() - IV_LEN - MAC_LEN) % FEED_BLOCK, 0);
        prop_assert_eq!(decrypt_vec(&enc, &password).unwrap(), wim);
    }

    #[test]
    fn raw_round_trip(data in proptest::collection::vec(any::<u8>(), 1..1000)) {
        let password = Password::new("RawData1").unwrap();
        let enc = encrypt_vec(&data, &password, [0; 16]);
        let mut out = Vec::new();
        crypt::decrypt_padded(Cursor::new(&enc), &mut out, &password).unwrap();
        prop_assert_eq!(&out[..data.len()], &data[..]);
        prop_assert!(out[data.len()..].iter().all(|&b| b == 0));
        prop_assert_eq!(out.len() as u64, crypt::padded_len(data.len() as u64));
    }

    #[test]
    fn random_input_is_an_error_not_a_panic(data in proptest::collection::vec(any::<u8>(), 0..700)) {
        let password = Password::new("Random123").unwrap();
        prop_assert!(decrypt_vec(&data, &password).is_err());
        let mut out = Vec::new();
        prop_assert!(crypt::decrypt_padded(Cursor::new(&data), &mut out, &password).is_err());
        let _ = crypt::wim_end_from_header(&data);
    }

    #[test]
    fn password_accepts_exactly_the_rule(s in "\\PC{0,20}") {
        let ok = (8..=16).contains(&s.chars().count())
            && s.chars().all(|c| c.is_ascii_alphanumeric());
        prop_assert_eq!(Password::new(&s).is_ok(), ok);
    }
}
