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

/// A number said aloud and written out by speech recognition ("six one
/// two, five five five, oh one four three", "612 five five five 0143",
/// "double five"), in E.164; `None` when the words do not make a number.
/// Words other than digits ("it's", "my cell is") are passed over.
pub fn spoken(text: &str) -> Option<String> {
    let mut digits = String::new();
    let mut repeat = 1;
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        let digit = match word.as_str() {
            "zero" | "oh" | "o" => Some('0'),
            "one" => Some('1'),
            "two" => Some('2'),
            "three" => Some('3'),
            "four" => Some('4'),
            "five" => Some('5'),
            "six" => Some('6'),
            "seven" => Some('7'),
            "eight" => Some('8'),
            "nine" => Some('9'),
            "double" => {
                repeat = 2;
                continue;
            }
            "triple" => {
                repeat = 3;
                continue;
            }
            w if w.chars().all(|c| c.is_ascii_digit()) => {
                digits.push_str(w);
                repeat = 1;
                continue;
            }
            _ => None,
        };
        if let Some(d) = digit {
            digits.extend(std::iter::repeat_n(d, repeat));
        }
        repeat = 1;
    }
    if !(10..=11).contains(&digits.len()) {
        return None;
    }
    normalize(&digits)
}

/// The last four digits of a number, as a caller is read them back
/// ("+16125550143" gives "0143"); fewer when the number is shorter.
pub fn last_four(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// " at the number ending in 0143", or nothing when there is no number
/// to name (a withheld caller ID): for sentences that promise a callback.
pub fn at_number(number: &str) -> String {
    let last4 = last_four(number);
    if last4.len() < 4 {
        String::new()
    } else {
        format!(" at the number ending in {last4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_said_aloud() {
        let table = [
            (
                "six one two five five five zero one four three",
                Some("+16125550143"),
            ),
            (
                "it's 612 five five five oh one four three",
                Some("+16125550143"),
            ),
            (
                "six one two, double five five, oh one four three",
                Some("+16125550143"),
            ),
            ("1 612 555 0143", Some("+16125550143")),
            ("same number", None),
            ("five five five", None),
        ];
        for (text, want) in table {
            assert_eq!(spoken(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn a_withheld_number_is_not_named() {
        assert_eq!(at_number("+16125550143"), " at the number ending in 0143");
        assert_eq!(at_number(""), "");
        assert_eq!(at_number("anonymous"), "");
    }

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
