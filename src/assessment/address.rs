//! Turns a caller's service address, as a speech recogniser heard it or as
//! someone typed it, into USPS-normalised parts. Kept apart from the dialog
//! so the same rules read a voice turn, a voicemail transcript, a text
//! message and a web form, and can say when an address cannot be fixed
//! without asking again.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::area::{zip_table, ZipInfo};

/// A service address in USPS form: uppercase, standard abbreviations, the
/// house number and ZIP as digits. A part the caller did not give is `None`;
/// nothing is invented except a state implied by the ZIP or the city.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub number: Option<String>,
    pub predirectional: Option<String>,
    pub street: Option<String>,
    pub suffix: Option<String>,
    pub postdirectional: Option<String>,
    pub unit_type: Option<String>,
    pub unit: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    /// The box number of a PO Box: a mail drop, not a place to send anyone.
    pub po_box: Option<String>,
}

/// Why the words cannot be read as one address without asking the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unclear {
    #[error("no house number was given")]
    NoHouseNumber,
    #[error("no street follows the house number")]
    NoStreet,
    #[error("the caller offered alternatives for the same part")]
    Alternatives,
    #[error("a direction could end the street or begin the city")]
    DirectionalOrCity,
    #[error("the house number and a numbered street run together")]
    NumberStreetBoundary,
}

/// Parses an address, spoken or written, and returns its best reading.
///
/// Use [`try_parse`] where an unclear address should be asked again.
pub fn parse(input: &str) -> Address {
    read(input).address
}

/// Parses an address, or says why its words allow more than one reading
/// (or none), so that the dialog can ask again rather than guess.
///
/// # Errors
///
/// An [`Unclear`] naming what is missing or ambiguous.
pub fn try_parse(input: &str) -> Result<Address, Unclear> {
    let reading = read(input);
    match reading.unclear {
        Some(unclear) => Err(unclear),
        None => Ok(reading.address),
    }
}

/// The last five-digit ZIP in free text, written or spoken digit by digit.
/// Phone numbers (they run to more digits), house numbers (a number
/// followed by a street) and unit, box or route numbers are passed over.
pub fn find_zip(text: &str) -> Option<String> {
    zip_spots(&tokens(text).toks, 0).pop().map(|(_, zip)| zip)
}

// ---------------------------------------------------------------------------
// USPS tables

struct Tables {
    suffixes: HashMap<String, String>,
    /// Designator variant → (abbreviation, whether a number must follow).
    units: HashMap<String, (String, bool)>,
    directionals: HashMap<String, String>,
    /// State names and codes → code.
    states: HashMap<String, String>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| Tables {
    suffixes: table(include_str!("../../data/geo/usps-suffixes.csv"), 0, 2),
    units: csv_rows(include_str!("../../data/geo/usps-secondary-units.csv"))
        .map(|r| (r[0].clone(), (r[1].clone(), r[3] == "true")))
        .collect(),
    directionals: table(include_str!("../../data/geo/usps-directionals.csv"), 0, 1),
    states: {
        let mut states = table(include_str!("../../data/geo/usps-states.csv"), 0, 1);
        let codes: Vec<String> = states.values().cloned().collect();
        states.extend(codes.into_iter().map(|c| (c.clone(), c)));
        states
    },
});

fn csv_rows(text: &'static str) -> impl Iterator<Item = Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .into_records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
}

fn table(text: &'static str, key: usize, value: usize) -> HashMap<String, String> {
    csv_rows(text)
        .map(|r| (r[key].clone(), r[value].clone()))
        .collect()
}

/// Every city name of the ZIP table, keyed as [`city_key`] spells it, with
/// how many ZIPs of each state carry it.
static CITIES: LazyLock<HashMap<String, Vec<(String, u32)>>> = LazyLock::new(|| {
    let mut cities: HashMap<String, Vec<(String, u32)>> = HashMap::new();
    for row in zip_table().iter() {
        for name in row.city_names() {
            let states = cities.entry(city_key(&raw_words(name))).or_default();
            match states.iter_mut().find(|(state, _)| *state == row.state) {
                Some((_, count)) => *count += 1,
                None => states.push((row.state.clone(), 1)),
            }
        }
    }
    cities
});

fn suffix(word: &str) -> Option<&'static str> {
    TABLES.suffixes.get(word).map(String::as_str)
}

fn directional(word: &str) -> Option<&'static str> {
    TABLES.directionals.get(word).map(String::as_str)
}

fn unit_designator(word: &str) -> Option<(&'static str, bool)> {
    TABLES
        .units
        .get(word)
        .map(|(abbr, range)| (abbr.as_str(), *range))
}

// ---------------------------------------------------------------------------
// Words and numbers

const DIGITS: [&str; 10] = [
    "ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE",
];
const TEENS: [&str; 10] = [
    "TEN",
    "ELEVEN",
    "TWELVE",
    "THIRTEEN",
    "FOURTEEN",
    "FIFTEEN",
    "SIXTEEN",
    "SEVENTEEN",
    "EIGHTEEN",
    "NINETEEN",
];
const TENS: [&str; 8] = [
    "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY",
];
const UNIT_ORDINALS: [&str; 9] = [
    "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH",
];
const TEEN_ORDINALS: [&str; 10] = [
    "TENTH",
    "ELEVENTH",
    "TWELFTH",
    "THIRTEENTH",
    "FOURTEENTH",
    "FIFTEENTH",
    "SIXTEENTH",
    "SEVENTEENTH",
    "EIGHTEENTH",
    "NINETEENTH",
];
const TENS_ORDINALS: [&str; 8] = [
    "TWENTIETH",
    "THIRTIETH",
    "FORTIETH",
    "FIFTIETH",
    "SIXTIETH",
    "SEVENTIETH",
    "EIGHTIETH",
    "NINETIETH",
];

/// Sounds a recogniser writes down that carry no address.
const DISFLUENCIES: [&str; 8] = ["UH", "UHH", "UM", "UMM", "ER", "ERM", "HMM", "MM"];

fn index_of(list: &[&str], word: &str) -> Option<u32> {
    list.iter().position(|w| *w == word).map(|i| i as u32)
}

fn digit_value(word: &str) -> Option<u32> {
    index_of(&DIGITS, word).filter(|d| *d > 0)
}

fn unit_ordinal(word: Option<&String>) -> Option<u32> {
    word.and_then(|w| index_of(&UNIT_ORDINALS, w))
        .map(|i| i + 1)
}

fn is_number_word(word: &str) -> bool {
    index_of(&DIGITS, word).is_some()
        || index_of(&TEENS, word).is_some()
        || index_of(&TENS, word).is_some()
        || word == "OH"
}

/// A cardinal from one to ninety-nine at `words[i]`: (value, words used).
/// A tens word followed by an ordinal belongs to the ordinal ("thirty
/// eighth"), so it is not taken here.
fn cardinal_at(words: &[String], i: usize) -> Option<(u32, usize)> {
    let word = words.get(i)?;
    if let Some(t) = index_of(&TENS, word) {
        if unit_ordinal(words.get(i + 1)).is_some() {
            return None;
        }
        let tens = (t + 2) * 10;
        return match words.get(i + 1).and_then(|w| digit_value(w)) {
            Some(d) => Some((tens + d, 2)),
            None => Some((tens, 1)),
        };
    }
    index_of(&TEENS, word)
        .map(|t| (t + 10, 1))
        .or_else(|| digit_value(word).map(|d| (d, 1)))
}

/// One group of a spoken number: a digit, a pair ("forty five"), or a
/// whole "fourteen hundred and five" / "six thousand twelve". Returns the
/// digits, the words used, and whether the group closes the number.
fn group_at(words: &[String], i: usize, first: bool) -> Option<(String, usize, bool)> {
    let word = words.get(i)?;
    let next = words.get(i + 1).map(String::as_str);
    let scale = matches!(next, Some("HUNDRED" | "THOUSAND"));
    if word == "ZERO" || (word == "OH" && (!first || next.is_some_and(is_number_word))) {
        return Some(("0".to_string(), 1, false));
    }
    let (small, used) = if word == "A" && scale {
        (1, 1)
    } else {
        cardinal_at(words, i)?
    };
    let mut at = i + used;
    match words.get(at).map(String::as_str) {
        Some("HUNDRED") if first => {
            at += 1;
            let (rest, n) = and_cardinal(words, at);
            Some(((small * 100 + rest).to_string(), at + n - i, true))
        }
        Some("THOUSAND") if first => {
            at += 1;
            let mut value = small * 1000;
            if let Some((h, n)) = cardinal_at(words, at) {
                if words.get(at + n).is_some_and(|w| w == "HUNDRED") {
                    value += h * 100;
                    at += n + 1;
                }
            }
            let (rest, n) = and_cardinal(words, at);
            Some(((value + rest).to_string(), at + n - i, true))
        }
        _ if small < 10 && used == 1 => Some((small.to_string(), used, false)),
        _ => Some((format!("{small:02}"), used, false)),
    }
}

/// The "and five" or "twelve" that may close a hundred or thousand.
fn and_cardinal(words: &[String], at: usize) -> (u32, usize) {
    let skip = usize::from(words.get(at).is_some_and(|w| w == "AND"));
    match cardinal_at(words, at + skip) {
        Some((value, n)) => (value, skip + n),
        None => (0, 0),
    }
}

/// A spoken number starting at `words[i]`: its digits and the words used.
/// Groups are read as callers say them, so "twelve forty five" is 1245,
/// "thirty eight oh five" 3805 and "five five four oh three" 55403.
fn number_at(words: &[String], i: usize) -> Option<(String, usize)> {
    let mut digits = String::new();
    let mut at = i;
    while let Some((group, used, closes)) = group_at(words, at, at == i) {
        digits.push_str(&group);
        at += used;
        if closes {
            break;
        }
    }
    (at > i).then_some((digits, at - i))
}

/// A spoken ordinal at `words[i]` ("thirty eighth", "fourth"): its value,
/// the words used, and whether it began with a tens word.
fn ordinal_at(words: &[String], i: usize) -> Option<(u32, usize, bool)> {
    let word = words.get(i)?;
    if let Some(t) = index_of(&TENS, word) {
        let unit = unit_ordinal(words.get(i + 1))?;
        return Some(((t + 2) * 10 + unit, 2, true));
    }
    unit_ordinal(Some(word))
        .or_else(|| index_of(&TEEN_ORDINALS, word).map(|t| t + 10))
        .or_else(|| index_of(&TENS_ORDINALS, word).map(|t| (t + 2) * 10))
        .map(|n| (n, 1, false))
}

fn ordinal_text(n: u32) -> String {
    let ending = match (n % 10, n % 100) {
        (_, 11..=13) => "TH",
        (1, _) => "ST",
        (2, _) => "ND",
        (3, _) => "RD",
        _ => "TH",
    };
    format!("{n}{ending}")
}

// ---------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// A number, as digits, written or spoken.
    Num(String),
    /// A numbered street or floor: `38TH`.
    Ordinal(String),
    Comma,
}

impl Tok {
    fn word(&self) -> Option<&str> {
        match self {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    fn is(&self, text: &str) -> bool {
        self.word() == Some(text)
    }

    /// The text a name keeps of this token.
    fn text(&self) -> &str {
        match self {
            Tok::Word(w) | Tok::Num(w) | Tok::Ordinal(w) => w,
            Tok::Comma => ",",
        }
    }
}

struct Tokens {
    toks: Vec<Tok>,
    /// A house number ran into a numbered street: "thirty eight twenty
    /// eighth" is 38 28TH or 3820 8TH.
    boundary_unclear: bool,
}

/// Uppercase words with punctuation settled: commas kept as `,`, `#`
/// split off, apostrophes dropped, and dots either joining initials
/// ("S.W." → SW, "P.O." → PO) or separating words ("P.O.Box").
fn raw_words(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut piece = String::new();
    for ch in input.to_uppercase().chars().chain([' ']) {
        match ch {
            '\'' | '’' => {}
            ',' | ';' | '#' => {
                push_piece(&mut words, &mut piece);
                words.push(if ch == '#' { "#" } else { "," }.to_string());
            }
            c if c.is_alphanumeric() || c == '.' || c == '-' => piece.push(c),
            _ => push_piece(&mut words, &mut piece),
        }
    }
    words.retain(|w| !DISFLUENCIES.contains(&w.as_str()));
    words
}

fn push_piece(words: &mut Vec<String>, piece: &mut String) {
    let trimmed = piece.trim_matches('-');
    let parts: Vec<&str> = trimmed.split('.').filter(|p| !p.is_empty()).collect();
    if parts.len() > 1 && parts.iter().all(|p| p.chars().count() == 1) {
        words.push(parts.concat());
    } else {
        words.extend(parts.iter().map(|p| p.to_string()));
    }
    piece.clear();
}

fn tokens(input: &str) -> Tokens {
    let words = raw_words(input);
    let mut toks = Vec::new();
    let mut boundary_unclear = false;
    let mut last_number: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        let (tok, used) = if word == "," {
            (Tok::Comma, 1)
        } else if let Some(tok) = written_number(word) {
            (tok, 1)
        } else if let Some((n, used, compound)) = ordinal_at(&words, i) {
            if compound && last_number.is_some_and(|(_, end)| end == i) {
                let (start, _) = last_number.unwrap_or_default();
                boundary_unclear |= number_could_take_tens(&words[start..=i]);
            }
            (Tok::Ordinal(ordinal_text(n)), used)
        } else if let Some((digits, used)) = number_at(&words, i) {
            last_number = Some((i, i + used));
            (Tok::Num(digits), used)
        } else {
            (Tok::Word(word.clone()), 1)
        };
        toks.push(tok);
        i += used;
    }
    Tokens {
        toks,
        boundary_unclear,
    }
}

/// Whether the words of a house number plus the tens word of the street
/// after it still read as one house number of at most five digits.
fn number_could_take_tens(words: &[String]) -> bool {
    number_at(words, 0).is_some_and(|(digits, used)| used == words.len() && digits.len() <= 5)
}

/// Digits as typed: `1245`, ZIP+4 `55406-1234` (kept to five), `41ST`.
fn written_number(word: &str) -> Option<Tok> {
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (digits, rest) = word.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let plus4 = rest
        .strip_prefix('-')
        .is_some_and(|r| r.len() == 4 && r.bytes().all(|b| b.is_ascii_digit()));
    match rest {
        "" => Some(Tok::Num(digits.to_string())),
        _ if plus4 && digits.len() == 5 => Some(Tok::Num(digits.to_string())),
        "ST" | "ND" | "RD" | "TH" => Some(Tok::Ordinal(word.to_string())),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// ZIPs

/// Words after which a number belongs to a unit, a box or a route.
fn numbers_the_word_before(word: &str) -> bool {
    // A state code wins over a designator: "FL 33609" is Florida.
    let unit = unit_designator(word).is_some_and(|(abbr, range)| range && abbr != "#")
        && !TABLES.states.contains_key(word);
    unit || matches!(
        word,
        "#" | "BOX" | "ROAD" | "RD" | "HIGHWAY" | "HWY" | "ROUTE" | "RTE" | "FM" | "SR" | "CR"
    )
}

/// Positions and values of the five-digit numbers at or after `from` that
/// can be ZIPs, in order.
fn zip_spots(toks: &[Tok], from: usize) -> Vec<(usize, String)> {
    let mut spots = Vec::new();
    for (i, tok) in toks.iter().enumerate().skip(from) {
        let Tok::Num(digits) = tok else { continue };
        let numbered = i > 0 && toks[i - 1].word().is_some_and(numbers_the_word_before);
        // A known ZIP after a house number is a ZIP even when a town that
        // looks like a street follows it ("33572 apollo beach").
        let after_house_number = toks[..i].iter().any(|t| matches!(t, Tok::Num(_)));
        let known = super::area::zip_table().get(digits).is_some();
        let street_follows = starts_street(&toks[i + 1..]) && !(known && after_house_number);
        if digits.len() == 5 && !numbered && !street_follows {
            spots.push((i, digits.clone()));
        }
    }
    spots
}

/// Whether the tokens after a number read as a street, making the number
/// a house number: "12045 north main street", "12045 main st".
fn starts_street(rest: &[Tok]) -> bool {
    match rest.first() {
        Some(Tok::Ordinal(_)) => true,
        Some(Tok::Word(w)) if directional(w).is_some() => true,
        Some(Tok::Word(_)) => rest
            .iter()
            .skip(1)
            .take(4)
            .take_while(|t| matches!(t, Tok::Word(_)))
            .any(|t| t.word().and_then(suffix).is_some()),
        _ => false,
    }
}

/// "three three six oh nine or three three six two nine", "north or south".
fn offers_alternatives(toks: &[Tok]) -> bool {
    let zip = |t: &Tok| matches!(t, Tok::Num(d) if d.len() == 5);
    let dir = |t: &Tok| t.word().and_then(directional).is_some();
    toks.windows(3)
        .any(|w| w[1].is("OR") && ((zip(&w[0]) && zip(&w[2])) || (dir(&w[0]) && dir(&w[2]))))
}

// ---------------------------------------------------------------------------
// Reading an address

struct Reading {
    address: Address,
    unclear: Option<Unclear>,
}

fn read(input: &str) -> Reading {
    let Tokens {
        toks,
        boundary_unclear,
    } = tokens(input);
    let mut unclear = boundary_unclear.then_some(Unclear::NumberStreetBoundary);
    if offers_alternatives(&toks) {
        unclear = Some(Unclear::Alternatives);
    }

    if let Some((po_box, after)) = po_box(&toks) {
        let tail = tail(&toks, after);
        let city = (!tail.words.is_empty()).then(|| city_words(&tail.words));
        let mut address = Address {
            po_box: Some(po_box),
            ..Address::default()
        };
        settle_place(&mut address, city, tail);
        return Reading { address, unclear };
    }

    let Some(house) = (0..toks.len()).find(|&i| house_number_at(&toks, i)) else {
        let zip = zip_spots(&toks, 0).pop().map(|(_, zip)| zip);
        let address = Address {
            zip,
            ..Address::default()
        };
        return Reading {
            address,
            unclear: Some(Unclear::NoHouseNumber),
        };
    };

    let tail = tail(&toks, house + 1);
    let zip_row = tail.zip.as_deref().and_then(|z| zip_table().get(z));
    let state = tail
        .state
        .clone()
        .or_else(|| zip_row.map(|r| r.state.clone()));
    let split = split_city(&tail.words, zip_row, state.as_deref());
    if split.unclear {
        unclear = unclear.or(Some(Unclear::DirectionalOrCity));
    }

    let street = street(&split.street);
    if street.name.is_empty() {
        unclear = unclear.or(Some(Unclear::NoStreet));
    }
    let mut address = Address {
        number: Some(toks[house].text().to_string()),
        predirectional: street.predir,
        street: Some(street.name).filter(|s| !s.is_empty()),
        suffix: street.suffix,
        postdirectional: street.postdir,
        unit_type: street.unit_type,
        unit: street.unit,
        ..Address::default()
    };
    settle_place(&mut address, split.city, tail);
    Reading { address, unclear }
}

/// Whether `toks[i]` can be a house number: not a phone number (seven or
/// more digits, or 612 555 0143 in groups) and not the last word said.
fn house_number_at(toks: &[Tok], i: usize) -> bool {
    let len = |j: usize| match toks.get(j) {
        Some(Tok::Num(digits)) => digits.len(),
        _ => 0,
    };
    let phone = [3, 3, 4];
    let in_phone = (0..3).any(|k| i >= k && (0..3).all(|m| len(i - k + m) == phone[m]));
    len(i) > 0 && len(i) <= 6 && !in_phone && i + 1 < toks.len()
}

/// "p o box", "post office box", "box #": the box number and where the
/// words after it start.
fn po_box(toks: &[Tok]) -> Option<(String, usize)> {
    let at = toks.iter().position(|t| t.is("BOX") || t.is("POBOX"))?;
    let mut i = at + 1;
    while toks
        .get(i)
        .is_some_and(|t| t.is("#") || t.is("NUMBER") || t.is("NO"))
    {
        i += 1;
    }
    match toks.get(i) {
        Some(Tok::Num(digits)) => Some((digits.clone(), i + 1)),
        _ => None,
    }
}

/// What follows the house number, with the ZIP and state taken off its end.
struct Tail {
    zip: Option<String>,
    state: Option<String>,
    words: Vec<Tok>,
}

/// Splits off the ZIP (the last one said wins, and whatever follows the
/// first one is a correction, not address) and then a state at the end.
fn tail(toks: &[Tok], start: usize) -> Tail {
    let spots = zip_spots(toks, start);
    let end = spots.first().map_or(toks.len(), |(at, _)| *at);
    let mut zip = spots.last().map(|(_, zip)| zip.clone());
    let mut words = toks[start..end].to_vec();
    trim_commas(&mut words);

    if zip.is_none() {
        zip = lost_leading_zero(&mut words);
    }
    let state = take_state(&mut words);
    trim_commas(&mut words);
    Tail { zip, state, words }
}

fn trim_commas(words: &mut Vec<Tok>) {
    while words.last() == Some(&Tok::Comma) {
        words.pop();
    }
}

/// A four-digit ZIP after a state ("NORWALK CT 6851") that lost its
/// leading zero in a spreadsheet.
fn lost_leading_zero(words: &mut Vec<Tok>) -> Option<String> {
    let [.., Tok::Word(state), Tok::Num(digits)] = words.as_slice() else {
        return None;
    };
    let code = TABLES.states.get(state)?;
    let zip = format!("0{digits}");
    if digits.len() != 4 || zip_table().get(&zip)?.state != *code {
        return None;
    }
    words.pop();
    Some(zip)
}

/// Takes a state name or code off the end of the words, keeping at least
/// one word before it. A code that is also a direction ("NE") is left as
/// the direction.
fn take_state(words: &mut Vec<Tok>) -> Option<String> {
    for n in (1..=4).rev() {
        if words.len() <= n {
            continue;
        }
        let name = joined(&words[words.len() - n..]);
        let Some(code) = TABLES.states.get(&name) else {
            continue;
        };
        if n == 1 && directional(&name).is_some() {
            return None;
        }
        words.truncate(words.len() - n);
        return Some(code.clone());
    }
    None
}

fn joined(toks: &[Tok]) -> String {
    toks.iter().map(Tok::text).collect::<Vec<_>>().join(" ")
}

/// Fills the city, state and ZIP: a slip in the city is fixed from the
/// ZIP, and a state not said comes from the ZIP or the city.
fn settle_place(address: &mut Address, city: Option<String>, tail: Tail) {
    let zip_row = tail.zip.as_deref().and_then(|z| zip_table().get(z));
    let city = match (city, zip_row) {
        (Some(city), Some(row)) => Some(fix_city(city, row)),
        (city, _) => city,
    };
    address.state = tail
        .state
        .or_else(|| zip_row.map(|row| row.state.clone()))
        .or_else(|| city.as_deref().and_then(likeliest_state));
    address.city = city;
    address.zip = tail.zip;
}

/// "CHICAG" → CHICAGO, "SAINT PETE" → SAINT PETERSBURG: a city that is not
/// one of the ZIP's names but begins exactly one of them.
fn fix_city(city: String, row: &ZipInfo) -> String {
    let names: Vec<String> = row.city_names().map(|n| city_key(&raw_words(n))).collect();
    if names.contains(&city) {
        return city;
    }
    let mut starts: Vec<&String> = names.iter().filter(|n| n.starts_with(&city)).collect();
    starts.sort();
    starts.dedup();
    if city.len() < 4 {
        return city;
    }
    match starts.as_slice() {
        [only] => only.to_string(),
        _ => city,
    }
}

/// The state with the most ZIPs that carry this city name.
fn likeliest_state(city: &str) -> Option<String> {
    let states = CITIES.get(city)?;
    states
        .iter()
        .max_by_key(|(_, count)| *count)
        .map(|(state, _)| state.clone())
}

// ---------------------------------------------------------------------------
// Street and city

/// City words as USPS city names spell them out.
fn expand_city_word(word: &str) -> &str {
    match word {
        "ST" => "SAINT",
        "STE" => "SAINTE",
        "FT" => "FORT",
        "PT" => "POINT",
        "MT" => "MOUNT",
        "N" => "NORTH",
        "S" => "SOUTH",
        "E" => "EAST",
        "W" => "WEST",
        other => other,
    }
}

fn city_key<S: AsRef<str>>(words: &[S]) -> String {
    let words: Vec<&str> = words.iter().map(|w| expand_city_word(w.as_ref())).collect();
    words.join(" ")
}

/// A city as said, with any leading "in" or "at" dropped.
fn city_words(toks: &[Tok]) -> String {
    let words: Vec<&str> = toks
        .iter()
        .filter(|t| **t != Tok::Comma)
        .map(Tok::text)
        .skip_while(|w| matches!(*w, "IN" | "AT"))
        .collect();
    city_key(&words)
}

struct CitySplit {
    street: Vec<Tok>,
    city: Option<String>,
    unclear: bool,
}

/// Splits "street [unit] city" where the city begins. A comma settles it;
/// otherwise the longest ending that is one of the ZIP's city names, then
/// the longest that is a known city of the state after a plausible end of
/// street, then whatever follows the last suffix, direction or unit.
fn split_city(words: &[Tok], zip: Option<&ZipInfo>, state: Option<&str>) -> CitySplit {
    if let Some(split) = split_at_comma(words) {
        return split;
    }
    let w: Vec<Tok> = words
        .iter()
        .filter(|t| **t != Tok::Comma)
        .cloned()
        .collect();
    let split = |k: usize, unclear: bool| CitySplit {
        street: w[..k].to_vec(),
        city: (k < w.len()).then(|| city_words(&w[k..])),
        unclear,
    };

    if let Some(row) = zip {
        let names: Vec<String> = row.city_names().map(|n| city_key(&raw_words(n))).collect();
        let is_name = |k: usize| names.contains(&city_words(&w[k..]));
        if let Some(k) = (1..w.len()).find(|&k| all_words(&w[k..]) && is_name(k)) {
            return split(k, direction_or_city(&w, k, is_name));
        }
    }

    let known = |k: usize| known_city(&city_words(&w[k..]), state) && plausible_city(&w[k..]);
    if let Some(k) = (1..w.len()).find(|&k| all_words(&w[k..]) && known(k) && street_ends(&w[..k]))
    {
        return split(k, direction_or_city(&w, k, known));
    }

    let end = (1..=w.len()).rev().find(|&k| {
        let city = &w[k..];
        street_ends_firmly(&w[..k]) && (city.is_empty() || all_words(city) && plausible_city(city))
    });
    split(end.unwrap_or(w.len()), false)
}

fn split_at_comma(words: &[Tok]) -> Option<CitySplit> {
    let comma = words.iter().rposition(|t| *t == Tok::Comma)?;
    let city = &words[comma + 1..];
    let first = city.first()?.word()?;
    let unit_or_direction = first == "#"
        || unit_designator(first).is_some()
        || (city.len() == 1 && directional(first).is_some());
    if unit_or_direction || !all_words(city) {
        return None;
    }
    let street = words[..comma]
        .iter()
        .filter(|t| **t != Tok::Comma)
        .cloned()
        .collect();
    Some(CitySplit {
        street,
        city: Some(city_words(city)),
        unclear: false,
    })
}

fn all_words(toks: &[Tok]) -> bool {
    toks.iter().all(|t| matches!(t, Tok::Word(w) if w != "#"))
}

fn known_city(key: &str, state: Option<&str>) -> bool {
    CITIES
        .get(key)
        .is_some_and(|states| state.is_none_or(|state| states.iter().any(|(s, _)| s == state)))
}

/// A lone suffix, direction or letter is not taken for a city, even where
/// a town has that name (North East, Maryland).
fn plausible_city(city: &[Tok]) -> bool {
    if directional(&joined(city)).is_some() {
        return false;
    }
    match city {
        [only] => only
            .word()
            .is_some_and(|w| w.len() > 1 && suffix(w).is_none() && directional(w).is_none()),
        _ => true,
    }
}

/// "… avenue south saint paul": the direction may end the street or begin
/// the city. Unclear when the city read both ways is a valid name.
fn direction_or_city(w: &[Tok], k: usize, valid: impl Fn(usize) -> bool) -> bool {
    let leads = w[k].word().and_then(directional).is_some();
    let after_suffix = w[k - 1].word().and_then(suffix).is_some();
    leads && after_suffix && k + 1 < w.len() && valid(k + 1)
}

/// Whether a street may end here: on a suffix, direction, unit or route
/// number, or anywhere in a street said without a suffix.
fn street_ends(street: &[Tok]) -> bool {
    street_ends_firmly(street)
        || street
            .last()
            .and_then(Tok::word)
            .and_then(directional)
            .is_some()
        || !street.iter().any(|t| t.word().and_then(suffix).is_some())
}

fn street_ends_firmly(street: &[Tok]) -> bool {
    let last_is = |f: fn(&str) -> bool| street.last().and_then(Tok::word).is_some_and(f);
    let before_last_is_suffix =
        street.len() >= 2 && street[street.len() - 2].word().and_then(suffix).is_some();
    (street.len() >= 2 && last_is(|w| suffix(w).is_some()))
        || (before_last_is_suffix && last_is(|w| directional(w).is_some()))
        || unit_at_end(street).is_some()
        || route_at_end(street).is_some()
}

#[derive(Debug, Default)]
struct Street {
    predir: Option<String>,
    name: String,
    suffix: Option<String>,
    postdir: Option<String>,
    unit_type: Option<String>,
    unit: Option<String>,
}

/// Reads "[predir] name [suffix] [postdir] [unit]" from the words between
/// the house number and the city. Only the last suffix word is a suffix:
/// HYDE PARK AVE, 20TH STREET DR.
fn street(words: &[Tok]) -> Street {
    let mut s = words.to_vec();
    let mut street = Street::default();

    if let Some((start, unit_type, unit)) = unit_at_end(&s) {
        street.unit_type = Some(unit_type);
        street.unit = unit;
        s.truncate(start);
    }

    if let Some((dir, n)) =
        direction_at(&s, s.len().saturating_sub(2)).filter(|(_, n)| *n == 2 && s.len() > 2)
    {
        street.postdir = Some(dir);
        s.truncate(s.len() - n);
    } else if let Some((dir, _)) =
        direction_at(&s, s.len().saturating_sub(1)).filter(|_| s.len() > 1)
    {
        street.postdir = Some(dir);
        s.pop();
    }

    let route = route_at_end(&s);
    if let Some((start, _)) = &route {
        s.truncate(*start);
    } else if s.len() > 1 {
        if let Some(abbr) = s.last().and_then(Tok::word).and_then(suffix) {
            street.suffix = Some(abbr.to_string());
            s.pop();
        }
    }

    if let Some((dir, n)) = direction_at(&s, 0) {
        if s.len() > n || route.is_some() {
            street.predir = Some(dir);
            s.drain(..n);
        }
    }

    let mut name: Vec<String> = s.iter().map(|t| name_word(t.text()).to_string()).collect();
    name.extend(route.map(|(_, r)| r));
    street.name = name.join(" ");
    street
}

/// Honorifics inside a name take their USPS abbreviations (DR MARTIN
/// LUTHER KING JR); everything else stays as said.
fn name_word(word: &str) -> &str {
    match word {
        "DOCTOR" => "DR",
        "JUNIOR" => "JR",
        "SENIOR" => "SR",
        other => other,
    }
}

/// A direction of one or two words ("NORTH EAST", "SW") at `at`.
fn direction_at(s: &[Tok], at: usize) -> Option<(String, usize)> {
    let word = |i: usize| s.get(i).and_then(Tok::word);
    if let (Some(a), Some(b)) = (word(at), word(at + 1)) {
        if let Some(dir) = directional(&format!("{a} {b}")) {
            return Some((dir.to_string(), 2));
        }
    }
    word(at).and_then(directional).map(|d| (d.to_string(), 1))
}

/// A unit at the end of the street words: its start, type and identifier.
fn unit_at_end(s: &[Tok]) -> Option<(usize, String, Option<String>)> {
    (1..s.len()).find_map(|start| unit(&s[start..]).map(|(ty, id)| (start, ty, id)))
}

/// Reads a whole unit: "APT 3B", "apartment three b", "# 2510", "suite
/// nineteen hundred", "41ST FLOOR", "apartment c as in charlie", "LOWER".
fn unit(t: &[Tok]) -> Option<(String, Option<String>)> {
    if t[0].is("#") {
        return unit_id(&t[1..]).map(|id| ("#".to_string(), Some(id)));
    }
    if let [Tok::Ordinal(floor), Tok::Word(w)] = t {
        let (abbr, _) = unit_designator(w)?;
        let digits = floor.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        return Some((abbr.to_string(), Some(digits.to_string())));
    }

    let two = t.get(1).map(|b| format!("{} {}", t[0].text(), b.text()));
    let (abbr, range, used) = match two.as_deref().and_then(unit_designator) {
        Some((abbr, range)) => (abbr, range, 2),
        None => {
            let (abbr, range) = unit_designator(t[0].word()?)?;
            (abbr, range, 1)
        }
    };
    let rest = &t[used..];
    if !range {
        return rest.is_empty().then(|| (abbr.to_string(), None));
    }
    let skip = usize::from(
        rest.first()
            .is_some_and(|r| r.is("#") || r.is("NUMBER") || r.is("NO")),
    );
    unit_id(&rest[skip..]).map(|id| (abbr.to_string(), Some(id)))
}

/// A unit's identifier, which must use up all the words given.
fn unit_id(t: &[Tok]) -> Option<String> {
    let letter = |tok: &Tok| {
        tok.word()
            .filter(|w| w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()))
            .map(str::to_string)
    };
    match t {
        [Tok::Num(n)] => Some(n.clone()),
        [Tok::Num(n), l] => letter(l).map(|l| format!("{n}{l}")),
        [l] if letter(l).is_some() => letter(l),
        [l, a, i, _] if a.is("AS") && i.is("IN") => letter(l),
        [Tok::Word(w)]
            if w.chars().any(|c| c.is_ascii_digit()) && w.chars().all(char::is_alphanumeric) =>
        {
            Some(w.clone())
        }
        _ => None,
    }
}

/// Numbered routes, named in full: the route name is the street.
const ROUTES: [(&[&str], &str); 19] = [
    (&["COUNTY", "ROAD"], "COUNTY ROAD"),
    (&["COUNTY", "RD"], "COUNTY ROAD"),
    (&["CO", "RD"], "COUNTY ROAD"),
    (&["COUNTY", "HIGHWAY"], "COUNTY HIGHWAY"),
    (&["STATE", "ROAD"], "STATE ROAD"),
    (&["STATE", "RD"], "STATE ROAD"),
    (&["STATE", "HIGHWAY"], "STATE HIGHWAY"),
    (&["STATE", "HWY"], "STATE HIGHWAY"),
    (&["STATE", "ROUTE"], "STATE ROUTE"),
    (&["US", "HIGHWAY"], "US HIGHWAY"),
    (&["US", "HWY"], "US HIGHWAY"),
    (&["US", "ROUTE"], "US ROUTE"),
    (&["HIGHWAY"], "HIGHWAY"),
    (&["HWY"], "HIGHWAY"),
    (&["ROUTE"], "ROUTE"),
    (&["RTE"], "ROUTE"),
    (&["FM"], "FM"),
    (&["SR"], "STATE ROAD"),
    (&["INTERSTATE"], "INTERSTATE"),
];

/// A numbered or lettered route closing the street words ("US HIGHWAY 19",
/// "COUNTY ROAD B"): where it starts and its name.
fn route_at_end(s: &[Tok]) -> Option<(usize, String)> {
    let id = match s.last()? {
        Tok::Num(n) => n.clone(),
        Tok::Word(w) if w.len() <= 2 && w.chars().all(|c| c.is_ascii_alphabetic()) => w.clone(),
        _ => return None,
    };
    let body = &s[..s.len() - 1];
    (0..body.len()).find_map(|start| {
        let words: Vec<&str> = body[start..].iter().map(Tok::text).collect();
        ROUTES
            .iter()
            .find(|(prefix, _)| *prefix == words.as_slice())
            .map(|(_, name)| (start, format!("{name} {id}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a file of the shared data set from the main crate (`shared/`
    /// beside it) or from a scratch crate one level deeper.
    fn shared_data(name: &str) -> String {
        let root = env!("CARGO_MANIFEST_DIR");
        ["..", "../.."]
            .iter()
            .map(|up| format!("{root}/{up}/shared/data/geo/{name}"))
            .find_map(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_else(|| panic!("shared/data/geo/{name} not found"))
    }

    #[derive(Deserialize)]
    struct Case {
        id: String,
        input: String,
        expected: Option<Address>,
        tags: Vec<String>,
    }

    /// Whether `try_parse` gives the expected address, or declines when
    /// the data set says the input cannot be settled without asking.
    fn check(input: &str, expected: Option<&Address>) -> Result<(), String> {
        match (try_parse(input), expected) {
            (Ok(got), Some(want)) if got == *want => Ok(()),
            (Err(_), None) => Ok(()),
            (got, want) => Err(format!("got {got:?}\n    want {want:?}")),
        }
    }

    #[test]
    fn spoken_and_written_data_set() {
        let text = shared_data("addresses-spoken.jsonl");
        let cases: Vec<Case> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut exact = 0;
        for case in &cases {
            match check(&case.input, case.expected.as_ref()) {
                Ok(()) => exact += 1,
                Err(why) => println!("{} {:?} {:?}\n    {why}", case.id, case.tags, case.input),
            }
        }
        let settled: Vec<&Case> = cases.iter().filter(|c| c.expected.is_some()).collect();
        let best = settled
            .iter()
            .filter(|c| Some(parse(&c.input)) == c.expected)
            .count();
        println!(
            "exact: {exact}/{}; parse alone: {best}/{}",
            cases.len(),
            settled.len()
        );
        assert_eq!(cases.len(), 128);
        assert!(exact >= 120, "exact parses fell to {exact}/128");
    }

    /// An address from `field=value` pairs, the rest `None`.
    fn address(fields: &[(&str, &str)]) -> Address {
        let map: HashMap<&str, &str> = fields.iter().copied().collect();
        let json = serde_json::to_string(&map).unwrap();
        serde_json::from_str(&json).unwrap()
    }

    fn check_all(cases: &[(&str, &[(&str, &str)])]) {
        for (input, fields) in cases {
            check(input, Some(&address(fields))).unwrap_or_else(|why| panic!("{input:?}: {why}"));
        }
    }

    #[test]
    fn spoken_numbers() {
        let cases: [(&str, &str); 12] = [
            ("twelve forty five", "1245"),
            ("thirty eight oh five", "3805"),
            ("two six oh one", "2601"),
            ("three oh oh one", "3001"),
            ("ten five oh one", "10501"),
            ("fourteen hundred", "1400"),
            ("nineteen hundred and five", "1905"),
            ("a hundred twelve", "112"),
            ("six thousand twelve", "6012"),
            ("eighteen thousand and ten", "18010"),
            ("twenty seven thousand one hundred", "27100"),
            ("one zero zero zero one", "10001"),
        ];
        for (spoken, digits) in cases {
            let input = format!("{spoken} main street");
            assert_eq!(parse(&input).number.as_deref(), Some(digits), "{spoken}");
        }
    }

    #[test]
    fn ordinal_streets_and_their_boundary() {
        check_all(&[
            (
                "one oh one east thirty eighth street",
                &[
                    ("number", "101"),
                    ("predirectional", "E"),
                    ("street", "38TH"),
                    ("suffix", "ST"),
                ],
            ),
            (
                "thirty five forty two thirty second avenue",
                &[("number", "3542"), ("street", "32ND"), ("suffix", "AVE")],
            ),
            (
                "2168 East 88th Drive",
                &[
                    ("number", "2168"),
                    ("predirectional", "E"),
                    ("street", "88TH"),
                    ("suffix", "DR"),
                ],
            ),
        ]);
        // 38 28TH AVE or 3820 8TH AVE: only the caller can say.
        assert_eq!(
            try_parse("thirty eight twenty eighth avenue south"),
            Err(Unclear::NumberStreetBoundary)
        );
    }

    #[test]
    fn units() {
        check_all(&[
            (
                "two six oh one lake street apartment three b",
                &[
                    ("number", "2601"),
                    ("street", "LAKE"),
                    ("suffix", "ST"),
                    ("unit_type", "APT"),
                    ("unit", "3B"),
                ],
            ),
            (
                "forty one oh one cedar avenue apartment number five",
                &[
                    ("number", "4101"),
                    ("street", "CEDAR"),
                    ("suffix", "AVE"),
                    ("unit_type", "APT"),
                    ("unit", "5"),
                ],
            ),
            (
                "12 howard avenue apartment c as in charlie",
                &[
                    ("number", "12"),
                    ("street", "HOWARD"),
                    ("suffix", "AVE"),
                    ("unit_type", "APT"),
                    ("unit", "C"),
                ],
            ),
            (
                "123 Main St Apt #4",
                &[
                    ("number", "123"),
                    ("street", "MAIN"),
                    ("suffix", "ST"),
                    ("unit_type", "APT"),
                    ("unit", "4"),
                ],
            ),
            (
                "972 Donnelly Ave SW # 2",
                &[
                    ("number", "972"),
                    ("street", "DONNELLY"),
                    ("suffix", "AVE"),
                    ("postdirectional", "SW"),
                    ("unit_type", "#"),
                    ("unit", "2"),
                ],
            ),
            (
                "205 Michigan Avenue 41st Floor",
                &[
                    ("number", "205"),
                    ("street", "MICHIGAN"),
                    ("suffix", "AVE"),
                    ("unit_type", "FL"),
                    ("unit", "41"),
                ],
            ),
            (
                "forty two oh one eighteenth avenue south upstairs",
                &[
                    ("number", "4201"),
                    ("street", "18TH"),
                    ("suffix", "AVE"),
                    ("postdirectional", "S"),
                    ("unit_type", "UPPR"),
                ],
            ),
        ]);
    }

    #[test]
    fn directionals() {
        check_all(&[
            (
                "twenty eight hundred central avenue north east",
                &[
                    ("number", "2800"),
                    ("street", "CENTRAL"),
                    ("suffix", "AVE"),
                    ("postdirectional", "NE"),
                ],
            ),
            (
                "985 Cox Ave., S.W., Atlanta, Georgia 30310",
                &[
                    ("number", "985"),
                    ("street", "COX"),
                    ("suffix", "AVE"),
                    ("postdirectional", "SW"),
                    ("city", "ATLANTA"),
                    ("state", "GA"),
                    ("zip", "30310"),
                ],
            ),
            (
                "239 South 500 East",
                &[
                    ("number", "239"),
                    ("predirectional", "S"),
                    ("street", "500"),
                    ("postdirectional", "E"),
                ],
            ),
            (
                "2 North Street",
                &[("number", "2"), ("street", "NORTH"), ("suffix", "ST")],
            ),
        ]);
        assert_eq!(
            try_parse("two oh one first avenue north or south"),
            Err(Unclear::Alternatives)
        );
        assert_eq!(
            try_parse("eight hundred concord street south saint paul"),
            Err(Unclear::DirectionalOrCity)
        );
    }

    #[test]
    fn cities_states_and_zips() {
        check_all(&[
            (
                "eight fifty selby avenue st paul minnesota five five one oh four",
                &[
                    ("number", "850"),
                    ("street", "SELBY"),
                    ("suffix", "AVE"),
                    ("city", "SAINT PAUL"),
                    ("state", "MN"),
                    ("zip", "55104"),
                ],
            ),
            (
                "forty six ten lexington shoreview",
                &[
                    ("number", "4610"),
                    ("street", "LEXINGTON"),
                    ("city", "SHOREVIEW"),
                    ("state", "MN"),
                ],
            ),
            (
                "1 E. Wacker Dr., Chicag, IL 60601",
                &[
                    ("number", "1"),
                    ("predirectional", "E"),
                    ("street", "WACKER"),
                    ("suffix", "DR"),
                    ("city", "CHICAGO"),
                    ("state", "IL"),
                    ("zip", "60601"),
                ],
            ),
            (
                "3 MAIN ST NORWALK CT 6851",
                &[
                    ("number", "3"),
                    ("street", "MAIN"),
                    ("suffix", "ST"),
                    ("city", "NORWALK"),
                    ("state", "CT"),
                    ("zip", "06851"),
                ],
            ),
            (
                "twenty nine twenty dupont avenue fifty five four oh eight",
                &[
                    ("number", "2920"),
                    ("street", "DUPONT"),
                    ("suffix", "AVE"),
                    ("state", "MN"),
                    ("zip", "55408"),
                ],
            ),
        ]);
    }

    #[test]
    fn self_correction_takes_the_last_zip() {
        let got = parse(
            "twenty two forty one marshall avenue saint paul \
             five five one oh five no sorry five five one oh four",
        );
        assert_eq!(
            (got.zip.as_deref(), got.city.as_deref()),
            (Some("55104"), Some("SAINT PAUL"))
        );
        assert_eq!(
            find_zip("my zip is 55406 no sorry 55407"),
            Some("55407".to_string())
        );
        let two = "thirty one hundred bay to bay boulevard tampa \
                   three three six oh nine or three three six two nine";
        assert_eq!(try_parse(two), Err(Unclear::Alternatives));
    }

    #[test]
    fn find_zip_passes_over_phones_and_house_numbers() {
        let cases: [(&str, Option<&str>); 8] = [
            ("my zip is five five four oh six", Some("55406")),
            ("call me at 612 555 0143, the zip is 55406", Some("55406")),
            ("six one two five five five oh one four three", None),
            ("612-555-0143", None),
            ("3805 Chicago Ave", None),
            ("12045 main street", None),
            ("12045 Main St, Anoka MN 55303-1234", Some("55303")),
            ("apartment 10501 and box 55440", None),
        ];
        for (text, zip) in cases {
            assert_eq!(find_zip(text).as_deref(), zip, "{text}");
        }
    }

    #[test]
    fn po_boxes_and_missing_parts() {
        let got = parse("p o box twelve forty five minneapolis minnesota five five four four oh");
        assert_eq!((got.po_box.as_deref(), got.number), (Some("1245"), None));
        assert_eq!(
            try_parse("i'm on the corner of franklin and cedar"),
            Err(Unclear::NoHouseNumber)
        );
        let two_places =
            "my house is on grand avenue but the leak is at my rental on selby avenue eight fifty";
        assert_eq!(try_parse(two_places), Err(Unclear::NoHouseNumber));
    }
}
