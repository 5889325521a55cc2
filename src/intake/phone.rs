//! Phone numbers in one form, E.164, whatever way they were written.
//!
//! libphonenumber's rules (through the `phonenumber` crate) decide what a
//! number is; nightdesk only picks the default region, the US, for numbers
//! written without a country code.

use phonenumber::{country, Mode};

/// The E.164 form of `text` ("(612) 555-0143" gives "+16125550143"), or
/// `None` when it is not a phone number at all.
pub fn normalize(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let number = phonenumber::parse(Some(country::Id::US), text).ok()?;
    // The 555-01XX range is reserved for fiction, and libphonenumber does
    // not call it valid; it is still a well-formed number, so accept any
    // number whose national part has the right length for its country.
    let e164 = number.format().mode(Mode::E164).to_string();
    let digits = e164.trim_start_matches('+');
    let plausible = if e164.starts_with("+1") {
        digits.len() == 11
    } else {
        (8..=15).contains(&digits.len())
    };
    plausible.then_some(e164)
}

/// The last four digits of a number, as a caller is read them back
/// ("+16125550143" gives "0143"); fewer when the number is shorter.
pub fn last_four(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_four_digits() {
        assert_eq!(last_four("+16125550143"), "0143");
        assert_eq!(last_four("(612) 555-0143"), "0143");
        assert_eq!(last_four("12"), "12");
        assert_eq!(last_four("anonymous"), "");
    }

    #[test]
    fn writes_every_form_as_e164() {
        let cases = [
            ("+16125550143", Some("+16125550143")),
            ("(612) 555-0143", Some("+16125550143")),
            ("612.555.0143", Some("+16125550143")),
            ("1-612-555-0143", Some("+16125550143")),
            ("555-0143", None),
            ("anonymous", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(normalize(text).as_deref(), want, "{text}");
        }
    }
}
