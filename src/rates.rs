//! Exchange rates supplied as input: a JSON object from currency code to the number of units of
//! the table's currency that one unit of that currency is worth, e.g. for `rates fx in USD`:
//! `{"EUR": "1.0850", "GBP": "1.2710"}`. Rates are read exactly (strings recommended; JSON
//! numbers are read from their text, never through a float).

use crate::money::Currency;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Parses a rates file.
pub fn parse(text: &str) -> Result<BTreeMap<Currency, Decimal>, String> {
    let raw: BTreeMap<String, &RawValue> = serde_json::from_str(text)
        .map_err(|e| format!("a rates file is a JSON object of currency to rate: {e}"))?;
    let mut out = BTreeMap::new();
    for (code, v) in raw {
        let c = Currency::parse(&code)
            .ok_or_else(|| format!("`{code}` is not a currency merit knows"))?;
        let text = v.get();
        let text = serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string());
        let rate = Decimal::from_str_exact(text.trim())
            .map_err(|_| format!("the rate for {code} (`{text}`) is not a decimal number"))?;
        if rate <= Decimal::ZERO {
            return Err(format!("the rate for {code} must be positive"));
        }
        out.insert(c, rate);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_exact_and_checked() {
        let t = parse(r#"{"EUR": "1.0850", "GBP": 1.2710}"#).unwrap_or_default();
        assert_eq!(
            t.get(&Currency::parse("EUR").unwrap_or(Currency::USD))
                .map(|d| d.to_string())
                .as_deref(),
            Some("1.0850")
        );
        assert_eq!(
            t.get(&Currency::parse("GBP").unwrap_or(Currency::USD))
                .map(|d| d.to_string())
                .as_deref(),
            Some("1.2710")
        );
        assert!(parse(r#"{"XXX": "1"}"#).is_err());
        assert!(parse(r#"{"EUR": "-1"}"#).is_err());
        assert!(parse(r#"{"EUR": "abc"}"#).is_err());
        assert!(parse("[1]").is_err());
    }
}
