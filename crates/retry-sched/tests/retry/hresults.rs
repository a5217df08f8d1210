//! The HRESULT decoder against the documented codes (field case B26 and the issue's list).

use proptest::prelude::*;
use retry_sched::hresult::{known_codes, Source};
use retry_sched::{Category, HResult, RetryClass};

/// B26: facility 0x19 decodes as an HTTP status, 0x8007xxxx as a Win32 code, 0x8018xxxx get
/// MDM-enrollment labels, CERT_E_EXPIRED is labelled, an unknown code comes back as raw hex.
#[test]
fn decode_enrollment_hresults() {
    let cases: [(u32, Option<&str>, RetryClass); 7] = [
        (
            0x8019_0190,
            Some("HTTP_E_STATUS_BAD_REQUEST"),
            RetryClass::LikelyPermanent,
        ),
        (
            0x8019_0194,
            Some("HTTP_E_STATUS_NOT_FOUND"),
            RetryClass::LikelyPermanent,
        ),
        (
            0x8007_00B7,
            Some("ERROR_ALREADY_EXISTS"),
            RetryClass::Transient,
        ),
        (
            0x8007_0525,
            Some("ERROR_NO_SUCH_USER"),
            RetryClass::WaitsForLogon,
        ),
        (
            0x8018_0014,
            Some("MENROLL_E_DEVICENOTSUPPORTED"),
            RetryClass::LikelyPermanent,
        ),
        (
            0x8018_002B,
            Some("MENROLL_E_MDM_NOT_CONFIGURED"),
            RetryClass::Transient,
        ),
        (
            0x800B_0101,
            Some("CERT_E_EXPIRED"),
            RetryClass::LikelyPermanent,
        ),
    ];
    for (code, name, class) in cases {
        let d = HResult(code).decode();
        println!("{d}");
        assert_eq!(d.name, name, "{d}");
        assert_eq!(d.class, class, "{d}");
        assert!(d.to_string().starts_with(&format!("0x{code:08X}")));
    }
    assert_eq!(HResult(0x8019_0190).http_status(), Some(400));
    assert_eq!(HResult(0x8019_0194).http_status(), Some(404));
    assert_eq!(HResult(0x8007_00B7).win32(), Some(183));
    assert_eq!(HResult(0x8007_0525).win32(), Some(1317));
    // Not in the table: decoded by facility.
    let d = HResult(0x8019_01F9).decode(); // HTTP 505
    assert_eq!((d.name, d.meaning.as_str()), (None, "HTTP status 505"));
    assert_eq!(d.class, RetryClass::Transient);
    let d = HResult(0x8007_04D5).decode(); // Win32 1237
    assert_eq!(d.meaning, "Win32 error 1237");
    let d = HResult(0x8018_00FF).decode();
    assert!(d.meaning.contains("MDM enrollment error"), "{d}");
    let d = HResult(0xC00C_E015).decode();
    assert_eq!(d.category, Category::Payload);
    let d = HResult(0x1234_5678).decode();
    assert_eq!(d.meaning, "success code 0x12345678");
    let d = HResult(0x8765_4321).decode();
    assert_eq!(d.meaning, "unknown code 0x87654321");
    assert_eq!(d.name, None);
}

/// The issue's list: each documented code, its name and class.
#[test]
fn issue_codes_are_classed() {
    use RetryClass::*;
    let want = [
        (0x8018_0014, "MENROLL_E_DEVICENOTSUPPORTED", LikelyPermanent),
        (0x8018_002B, "MENROLL_E_MDM_NOT_CONFIGURED", Transient),
        (
            0x8018_0027,
            "MENROLL_E_CERTPOLICY_PRIVATEKEYCREATION_FAILED",
            LikelyPermanent,
        ),
        (0x8019_0190, "HTTP_E_STATUS_BAD_REQUEST", LikelyPermanent),
        (0x8007_0525, "ERROR_NO_SUCH_USER", WaitsForLogon),
        (0x8007_00B7, "ERROR_ALREADY_EXISTS", Transient),
        (0x8018_0010, "MENROLL_E_CONNECTIVITY", Transient),
        (0x8018_0017, "MENROLL_E_INMAINTENANCE", Transient),
        (0x8018_0018, "MENROLL_E_USERLICENSE", LikelyPermanent),
        (
            0x8018_0026,
            "MENROLL_E_DEVICE_MANAGEMENT_BLOCKED",
            LikelyPermanent,
        ),
        (0x8018_002A, "MENROLL_E_USER_CANCELED", WaitsForLogon),
        (
            0x8018_000A,
            "MENROLL_E_DEVICE_ALREADY_ENROLLED",
            LikelyPermanent,
        ),
        (0xCAA1_0001, "need user sign-in", WaitsForLogon),
    ];
    for (code, name, class) in want {
        let d = HResult(code).decode();
        assert_eq!((d.name, d.class), (Some(name), class), "{d}");
        assert!(d.source.is_some());
    }
}

/// Every MENROLL_E_* value MDMRegistration.h documents is in the table (0x80180001-0x80180031,
/// less the gaps the header leaves: 0x0C, 0x11 which is a success code, 0x2C-0x2F).
#[test]
fn menroll_family_is_complete() {
    let documented: Vec<u32> = (0x01..=0x31u32)
        .filter(|c| ![0x0C, 0x11, 0x2C, 0x2D, 0x2E, 0x2F].contains(c))
        .map(|c| 0x8018_0000 | c)
        .collect();
    for code in documented {
        let d = HResult(code).decode();
        assert!(d.name.is_some_and(|n| n.starts_with("MENROLL_E_")), "{d}");
    }
    let from_header = known_codes()
        .iter()
        .filter(|k| k.source == Source::MdmRegistrationH)
        .count();
    assert!(from_header >= 50, "{from_header}");
}

proptest! {
    /// Decoding never panics, always names the code in hex, and parsing the Display or decimal
    /// form gives the code back.
    #[test]
    fn decode_any_code(code in any::<u32>()) {
        let hr = HResult(code);
        let d = hr.decode();
        let hex = format!("0x{code:08X}");
        prop_assert!(d.to_string().starts_with(&hex));
        prop_assert_eq!(hr.to_string().parse::<HResult>().unwrap(), hr);
        // Exactly eight digits read as hex (the Windows dialog form); every failure code has
        // ten decimal digits, so its decimal form is never ambiguous.
        let dec = code.to_string();
        if dec.len() != 8 {
            prop_assert_eq!(dec.parse::<HResult>().unwrap(), hr);
        }
        prop_assert_eq!(hr.class(), d.class);
    }
}
