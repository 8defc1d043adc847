//! The ISO 4217 table: every active currency with its minor-unit exponent.
//!
//! Source: ISO 4217 "List one: currency, fund and precious metal codes" (SIX, amendments through 2025:
//! XCG replaces ANG, ZWG replaces ZWL, SLE replaces SLL). Codes whose minor unit is "N.A." (precious
//! metals, SDR, testing codes) are not money a card can be charged in and are left out.

/// `(code, exponent)`, sorted by code so lookups can binary-search.
// INVARIANT: sorted ascending by code, no duplicates (checked by a unit test).
pub(crate) const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// Looks a code up in the table; `None` for anything that is not an active ISO 4217 code
/// (lower case is not accepted: ISO codes are upper case on every processor API).
#[cfg(not(feature = "speed"))]
pub(crate) fn lookup(code: &str) -> Option<(&'static str, u8)> {
    CURRENCIES.binary_search_by(|(c, _)| (*c).cmp(code)).ok().and_then(|i| CURRENCIES.get(i)).copied()
}

/// Looks a code up in the table, as above (the feature `speed`, the Node build: a few more bytes).
#[cfg(feature = "speed")]
pub(crate) fn lookup(code: &str) -> Option<(&'static str, u8)> {
    // Every code is three bytes, so comparing them as numbers orders them as text does, without a
    // `memcmp` call per step (a currency is read for every amount of an input).
    let wanted = key(code)?;
    CURRENCIES
        .binary_search_by_key(&wanted, |(c, _)| key(c).unwrap_or(0))
        .ok()
        .and_then(|i| CURRENCIES.get(i))
        .copied()
}

/// A three-byte code as a number that sorts as the code does; `None` for any other length.
#[cfg_attr(not(feature = "speed"), allow(dead_code, reason = "only the speed build's lookup uses it"))]
fn key(code: &str) -> Option<u32> {
    match code.as_bytes() {
        &[a, b, c] => Some(u32::from_be_bytes([0, a, b, c])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(CURRENCIES.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
        // `lookup` compares codes as three-byte numbers.
        assert!(CURRENCIES.iter().all(|(c, _)| c.len() == 3 && key(c).is_some()));
    }

    #[test]
    fn known_exponents() {
        assert_eq!(lookup("JPY"), Some(("JPY", 0)));
        assert_eq!(lookup("EUR"), Some(("EUR", 2)));
        assert_eq!(lookup("KWD"), Some(("KWD", 3)));
        assert_eq!(lookup("CLF"), Some(("CLF", 4)));
        assert_eq!(lookup("usd"), None);
        assert_eq!(lookup("XAU"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("USDX"), None);
        assert_eq!(lookup("US"), None);
        assert!(CURRENCIES.iter().all(|&(c, e)| lookup(c) == Some((c, e))));
    }
}
