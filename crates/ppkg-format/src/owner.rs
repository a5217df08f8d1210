//! [`OwnerType`]: who a provisioning package is for, and so its precedence.
//!
//! Source: the `OwnerType` element of `PackageConfig` (the ADK's `PackageConfig.xsd`, six values,
//! matched case-insensitively) and the WIM XML `ALTITUDE` field WCD writes from it (FORMAT.md §2;
//! seen: OEM → 2000 in the Acer package, ITAdmin → 5000 in start_pins). When packages conflict,
//! the higher owner type wins, then the higher `Rank` (Microsoft's "How provisioning works in
//! Windows").

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The package owner type, lowest precedence first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum OwnerType {
    /// `Microsoft`, altitude 0.
    Microsoft,
    /// `SiliconVendor`, altitude 1000.
    SiliconVendor,
    /// `OEM`, altitude 2000.
    Oem,
    /// `SystemIntegrator`, altitude 3000.
    SystemIntegrator,
    /// `MobileOperator`, altitude 4000.
    MobileOperator,
    /// `ITAdmin`, altitude 5000: the owner type of packages an organization builds (WCD's
    /// default for "Provision desktop devices").
    #[default]
    ItAdmin,
}

impl OwnerType {
    /// Every owner type, lowest precedence first.
    pub const ALL: [OwnerType; 6] = [
        OwnerType::Microsoft,
        OwnerType::SiliconVendor,
        OwnerType::Oem,
        OwnerType::SystemIntegrator,
        OwnerType::MobileOperator,
        OwnerType::ItAdmin,
    ];

    /// The WIM XML `ALTITUDE` value: 0, 1000, … 5000.
    pub fn altitude(self) -> u32 {
        match self {
            OwnerType::Microsoft => 0,
            OwnerType::SiliconVendor => 1000,
            OwnerType::Oem => 2000,
            OwnerType::SystemIntegrator => 3000,
            OwnerType::MobileOperator => 4000,
            OwnerType::ItAdmin => 5000,
        }
    }

    /// The owner type written with this `ALTITUDE`, if it is one of the six.
    pub fn from_altitude(altitude: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.altitude() == altitude)
    }

    /// The name as WCD writes it in `customizations.xml` (`ITAdmin`, `OEM`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerType::Microsoft => "Microsoft",
            OwnerType::SiliconVendor => "SiliconVendor",
            OwnerType::Oem => "OEM",
            OwnerType::SystemIntegrator => "SystemIntegrator",
            OwnerType::MobileOperator => "MobileOperator",
            OwnerType::ItAdmin => "ITAdmin",
        }
    }
}

impl fmt::Display for OwnerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OwnerType {
    type Err = Error;

    /// Parses the six names case-insensitively, as `PackageConfig.xsd` allows (`itadmin`, `Oem`).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the value and the accepted names.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown OwnerType '{s}' (expected one of Microsoft, SiliconVendor, OEM, \
                     SystemIntegrator, MobileOperator, ITAdmin)"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_altitudes_round_trip() {
        for o in OwnerType::ALL {
            assert_eq!(o.to_string().parse::<OwnerType>().unwrap(), o);
            assert_eq!(o.as_str().to_lowercase().parse::<OwnerType>().unwrap(), o);
            assert_eq!(OwnerType::from_altitude(o.altitude()), Some(o));
        }
        assert_eq!(OwnerType::Oem.altitude(), 2000);
        assert_eq!(OwnerType::ItAdmin.altitude(), 5000);
        assert_eq!(OwnerType::from_altitude(2500), None);
        assert!("Admin".parse::<OwnerType>().is_err());
        assert!(OwnerType::Microsoft < OwnerType::ItAdmin);
    }
}
