//! Barcode data: SSCCs and GS1 element strings are built here, by our own
//! code (and read back by the core's scan parser); the bars of a Code 128
//! symbol come from the `barcoders` crate.

use super::{Barcode, Symbology};
use crate::core::scan::gtin_check_digit;

/// Why an SSCC cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsccError {
    #[error("the GS1 company prefix {0:?} is not 6 to 11 digits")]
    Prefix(String),
    #[error("serial {serial} does not fit the {digits} digits left after the company prefix")]
    Serial { serial: u64, digits: usize },
}

/// A serial shipping container code: extension digit, company prefix,
/// serial reference (17 digits together), then the mod-10 check digit
/// (the same as a GTIN's).
pub fn sscc(extension: u8, prefix: &str, serial: u64) -> Result<String, SsccError> {
    if !(6..=11).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return Err(SsccError::Prefix(prefix.to_string()));
    }
    let digits = 16 - prefix.len();
    let serial_text = format!("{serial:0>digits$}");
    if serial_text.len() > digits {
        return Err(SsccError::Serial { serial, digits });
    }
    let body = format!("{}{prefix}{serial_text}", extension % 10);
    let check = gtin_check_digit(&body).ok_or_else(|| SsccError::Prefix(prefix.to_string()))?;
    Ok(format!("{body}{check}"))
}

/// Whether an 18-digit SSCC carries the right check digit.
pub fn sscc_is_valid(s: &str) -> bool {
    if s.len() != 18 || !s.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let (body, check) = s.split_at(17);
    gtin_check_digit(body).map(|c| c.to_string()) == Some(check.to_string())
}

/// The GS1 element string of an SSCC, in the bracketed human form
/// (`(00)` then the 18 digits) that scanners' text and the core's scan
/// parser both read.
pub fn sscc_element(sscc: &str) -> String {
    format!("(00){sscc}")
}

/// The symbol's modules (1 = bar, 0 = space, one narrow unit each), or
/// `None` when the data cannot be carried by Code 128.
pub fn modules(b: &Barcode) -> Option<Vec<u8>> {
    use barcoders::sym::code128::Code128;
    let input = match b.symbology {
        // Start C + FNC1 for the digits of a GS1 string (AI (00) and
        // the other fixed-length numeric AIs we print are all digits).
        Symbology::Gs1_128 => {
            let raw: String = b.data.chars().filter(|c| c.is_ascii_digit()).collect();
            if !raw.len().is_multiple_of(2) || raw.len() != b.data.len() - bracket_len(&b.data) {
                return None;
            }
            format!("\u{0106}\u{0179}{raw}")
        }
        // Set B carries printable ASCII.
        Symbology::Code128 => {
            if b.data.is_empty() || !b.data.chars().all(|c| (' '..='~').contains(&c)) {
                return None;
            }
            format!("\u{0181}{}", b.data)
        }
    };
    Code128::new(input).ok().map(|c| c.encode())
}

fn bracket_len(s: &str) -> usize {
    s.chars().filter(|c| matches!(c, '(' | ')')).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscc_check_digit_is_the_gs1_example() {
        // The GS1 General Specifications' example SSCC.
        let s = sscc(1, "0614141", 123456789).unwrap();
        assert_eq!(s, "106141411234567897");
        assert!(sscc_is_valid(&s));
        assert!(!sscc_is_valid("106141411234567898"));
    }

    #[test]
    fn a_serial_too_long_for_the_prefix_is_an_error() {
        assert!(matches!(
            sscc(0, "06141411234", 123456),
            Err(SsccError::Serial { .. })
        ));
        assert!(matches!(sscc(0, "12ab5", 1), Err(SsccError::Prefix(_))));
    }

    #[test]
    fn code128_symbols_start_and_stop_with_bars() {
        let b = Barcode {
            label: "bin".into(),
            symbology: Symbology::Code128,
            data: "A-01-01".into(),
        };
        let m = modules(&b).unwrap();
        assert_eq!(m.first(), Some(&1));
        // Stop pattern ends in a double-width bar.
        assert_eq!(&m[m.len() - 2..], &[1, 1]);
        let g = Barcode {
            label: "SSCC".into(),
            symbology: Symbology::Gs1_128,
            data: sscc_element("106141411234567897"),
        };
        // Start C, FNC1, 10 digit pairs, check, stop: 13 * 11 + 13 modules.
        assert_eq!(modules(&g).unwrap().len(), 13 * 11 + 13);
        let bad = Barcode {
            label: "x".into(),
            symbology: Symbology::Code128,
            data: "é".into(),
        };
        assert!(modules(&bad).is_none());
    }
}
