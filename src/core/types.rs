//! Value types shared by the whole core: codes, currencies, money and
//! quantity validation, and the rounding policy.
//!
//! Money and quantities are `rust_decimal::Decimal`, never floats. A code is
//! the human key of a master-data record (SKU, customer code, bin code...).

use rust_decimal::prelude::*;
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest code we accept (SKU, customer, bin, account...).
pub const CODE_LEN_MAX: usize = 32;
/// The longest free text we accept in a name or description.
pub const TEXT_LEN_MAX: usize = 200;
/// The largest quantity a single line may carry, in base units.
pub const QTY_MAX: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The largest amount a single line may carry, in document currency.
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12
/// Quantities carry at most this many decimals whatever the unit says.
pub const QTY_DECIMALS_MAX: u32 = 4;
/// Rates (FX, percentages) carry at most this many decimals.
pub const RATE_DECIMALS_MAX: u32 = 8;

/// Why `s` is not a decimal as depot writes them, or `None`: an optional
/// `-`, digits, and optionally a point followed by digits (`"10"`,
/// `"-0.5"`, `"1234.5678"`). No exponent (`"1E2"`), no `+`, no bare point
/// (`".5"`, `"5."`), no spaces, no thousands separators. The one grammar
/// of `depot exec` and of every import, so a value means the same
/// wherever it is typed.
pub fn decimal_problem(s: &str) -> Option<&'static str> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    // An exponent only where one is written (`1E2`, `2.5e-3`): "7 CASE"
    // and "ten" are not numbers with an exponent.
    let exponent = digits.split_once(['e', 'E']).is_some_and(|(m, x)| {
        let x = x.strip_prefix(['-', '+']).unwrap_or(x);
        let (i, f) = m.split_once('.').unwrap_or((m, "0"));
        all_digits(i) && all_digits(f) && all_digits(x)
    });
    if exponent {
        return Some("is not a decimal number (write it without exponent)");
    }
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return Some("is not a decimal number (digits and a decimal point, e.g. 12.50)");
    }
    None
}

/// Parse a decimal written in the one grammar of [`decimal_problem`].
pub fn parse_decimal(s: &str) -> Result<Decimal, &'static str> {
    if let Some(p) = decimal_problem(s) {
        return Err(p);
    }
    Decimal::from_str(s).map_err(|_| "is not a decimal number (too many digits)")
}

/// A master-data code: 1..=32 characters of `A-Z a-z 0-9 . _ - /`.
pub use super::code::Code;

/// A code from any text: `"WH1".to_code()`, `entity.to_code()` (a `&str`,
/// `String` or `Code`), for keys built to look a map up.
pub trait ToCode {
    fn to_code(&self) -> Code;
}

impl ToCode for str {
    fn to_code(&self) -> Code {
        Code::new(self)
    }
}

/// Why a code or text field is not acceptable (used by `Rejection`).
pub fn code_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("is empty");
    }
    if value.chars().count() > CODE_LEN_MAX {
        return Some("is longer than 32 characters");
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
    {
        return Some("may only hold letters, digits and . _ - /");
    }
    None
}

/// Why a free-text field is not acceptable.
pub fn text_problem(value: &str, required: bool) -> Option<&'static str> {
    if required && value.trim().is_empty() {
        return Some("is empty");
    }
    if value.chars().count() > TEXT_LEN_MAX {
        return Some("is longer than 200 characters");
    }
    if value.chars().any(|c| c.is_control()) {
        return Some("holds control characters");
    }
    None
}

/// An ISO 4217 currency code, three upper-case letters. Held inline (a
/// `Code`, not a `String`): every document, journal entry and price
/// carries one, and copying a `String` allocated each time. Encoded as
/// the same string either way.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(pub Code);

impl Currency {
    pub fn new(code: &str) -> Currency {
        Currency(code.to_code())
    }

    /// Whether this is a well-formed currency code we know the minor unit of.
    pub fn is_valid(&self) -> bool {
        self.0.len() == 3 && self.0.chars().all(|c| c.is_ascii_uppercase())
    }

    /// Decimals of the currency's minor unit (ISO 4217). Unknown codes get 2.
    ///
    /// Matched byte by byte (a decision tree on the three letters): every
    /// rounding asks, and a match on the string compared it with each of
    /// the sixteen codes in turn, a `memcmp` each.
    pub fn minor_units(&self) -> u32 {
        match self.0.as_bytes() {
            b"JPY" | b"KRW" | b"CLP" | b"ISK" | b"VND" | b"XAF" | b"XOF" | b"UGX" | b"PYG" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"TND" | b"JOD" | b"IQD" | b"LYD" => 3,
            _ => 2,
        }
    }

    /// The smallest amount of this currency (0.01 for USD, 1 for JPY).
    pub fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.minor_units())
    }

    /// Round an amount to this currency's minor unit, half away from zero.
    pub fn round(&self, amount: Decimal) -> Decimal {
        round_half_away(amount, self.minor_units())
    }

    /// Money to this currency's minor unit by the default policy (half
    /// away from zero), its scale kept as `round_dp` keeps it (61.7 stays
    /// 61.7): an order's line values, open values and credit figures, to
    /// the yen or the fils as its invoice rounds them (they were rounded
    /// to two decimals whatever the currency, and half to even before
    /// that, so 5 x 12.345 put 61.72 on the order and 61.73 on the invoice).
    pub fn cents(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_units(), RoundingStrategy::MidpointAwayFromZero)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in a currency. Arithmetic on amounts is plain `Decimal`
/// arithmetic; a `Money` is what crosses a document boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        let amount = currency.round(amount);
        Money { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            format_amount(self.amount, self.currency.minor_units()),
            self.currency
        )
    }
}

/// A quantity in a named unit (the base unit of an item unless said otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qty {
    pub value: Decimal,
    pub unit: Code,
}

/// Round half away from zero to `dp` decimals: the default policy.
pub fn round_half_away(value: Decimal, dp: u32) -> Decimal {
    let mut r = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// Decimals actually used by a value (trailing zeros do not count).
pub fn decimals_used(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Format an amount with a thousands separator and exactly `dp` decimals,
/// the way a clerk reads it: `5,000.00`.
pub fn format_amount(value: Decimal, dp: u32) -> String {
    let r = round_half_away(value, dp);
    let s = r.abs().to_string();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_half_away(dec!(15.675), 2), dec!(15.68));
        assert_eq!(round_half_away(dec!(-15.675), 2), dec!(-15.68));
        assert_eq!(round_half_away(dec!(123.2727), 2), dec!(123.27));
        assert_eq!(round_half_away(dec!(4.9091), 2), dec!(4.91));
        assert_eq!(round_half_away(dec!(2.5), 0), dec!(3));
        assert_eq!(Currency::new("JPY").round(dec!(100.5)), dec!(101));
        assert_eq!(Currency::new("KWD").round(dec!(1.0005)), dec!(1.001));
    }

    #[test]
    fn formats_amounts_for_people() {
        assert_eq!(format_amount(dec!(5000), 2), "5,000.00");
        assert_eq!(format_amount(dec!(312.4), 2), "312.40");
        assert_eq!(format_amount(dec!(-1234567.891), 2), "-1,234,567.89");
        assert_eq!(format_amount(dec!(0), 0), "0");
        assert_eq!(format_amount(dec!(999), 2), "999.00");
    }

    #[test]
    fn codes_are_checked() {
        assert!(code_problem("A-100/2").is_none());
        assert!(code_problem("").is_some());
        assert!(code_problem("has space").is_some());
        assert!(code_problem(&"X".repeat(33)).is_some());
    }

    #[test]
    fn decimals_used_ignores_trailing_zeros() {
        assert_eq!(decimals_used(dec!(1.500)), 1);
        assert_eq!(decimals_used(dec!(1.005)), 3);
        assert_eq!(decimals_used(dec!(10)), 0);
    }

    /// ISO 4217's minor units for the currencies that do not have two,
    /// and two for every other code (known or not, and for a code not
    /// in upper case or not of three letters).
    #[test]
    fn minor_units_follow_iso_4217() {
        let none = [
            "JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG",
        ];
        let three = ["BHD", "KWD", "OMR", "TND", "JOD", "IQD", "LYD"];
        for c in none {
            assert_eq!(Currency::new(c).minor_units(), 0, "{c}");
            assert_eq!(Currency::new(c).minor_unit(), dec!(1), "{c}");
        }
        for c in three {
            assert_eq!(Currency::new(c).minor_units(), 3, "{c}");
            assert_eq!(Currency::new(c).minor_unit(), dec!(0.001), "{c}");
        }
        for c in [
            "USD", "EUR", "GBP", "CAD", "MXN", "JPX", "JP", "JPYY", "jpy", "", "KW", "BHDX",
        ] {
            assert_eq!(Currency::new(c).minor_units(), 2, "{c:?}");
        }
        assert_eq!(Currency::new("JPY").round(dec!(1234.5)), dec!(1235));
        assert_eq!(Currency::new("KWD").round(dec!(1.2345)), dec!(1.235));
        assert_eq!(Currency::new("USD").round(dec!(-1.005)), dec!(-1.01));
    }

    #[test]
    fn amount_max_is_one_trillion() {
        assert_eq!(AMOUNT_MAX, dec!(1_000_000_000_000));
        assert_eq!(QTY_MAX, dec!(1_000_000_000));
    }

    #[test]
    fn an_exponent_is_named_only_where_one_is_written() {
        for e in ["1E2", "2.5e-3", "-1e+5"] {
            assert_eq!(
                decimal_problem(e),
                Some("is not a decimal number (write it without exponent)"),
                "{e}"
            );
        }
        // "7 CASE" was answered "write it without exponent".
        for other in ["7 CASE", "ten", "e", "1e", "E5", "12.50 EUR"] {
            let p = decimal_problem(other).unwrap_or_default();
            assert!(p.contains("digits and a decimal point"), "{other}: {p}");
        }
        assert_eq!(decimal_problem("-12.50"), None);
    }
}
