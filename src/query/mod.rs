//! View-models: typed rows read from the state for screens, reports and
//! (later) `depot serve`, with no ratatui in them. Each is a plain
//! function of the state (and the day), or a cache keyed by what it was
//! built from.

pub mod ap;
pub mod audit;
pub mod cash;
pub mod finance;
pub mod lookup;
pub mod order;
pub mod sale;
pub mod supplier;

pub use crate::core::types::format_amount;
use crate::core::types::Currency;
use rust_decimal::Decimal;

/// An amount in a currency, as every screen shows it: the currency's
/// minor unit, thousands separated ("1,234.50"; "1,235" in JPY).
pub fn money(amount: Decimal, currency: &Currency) -> String {
    format_amount(amount, currency.minor_units())
}

/// A unit price as every screen shows it: the currency's minor unit, and
/// the price's own further decimals (at most four) when it has them, so
/// that "12.345" is not shown as 12.35 beside an amount it does not give.
pub fn unit_price(price: Decimal, currency: &Currency) -> String {
    let dp = crate::core::types::decimals_used(price)
        .min(crate::core::validate::PRICE_DECIMALS_MAX)
        .max(currency.minor_units());
    format_amount(price, dp)
}

/// A quantity without trailing zeros ("12", "2.5").
pub fn qty(q: Decimal) -> String {
    let n = q.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}
