//! Words as the matchers see them: lower case, numbers as digits, split
//! into tokens that remember where they came from.
//!
//! Speech recognisers and callers write the same thing many ways ("a/c",
//! "A.C.", "eighty four", "c o detector"). Folding those here keeps the
//! phrase catalogue short and the evidence spans exact.

/// One word of a caller's text, with its place in the original.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub word: String,
    /// Byte range in the segment's original text.
    pub start: usize,
    pub end: usize,
    /// Index of the sentence the word is in; speech has no punctuation, so
    /// a voice segment is usually one sentence.
    pub sentence: usize,
}

/// Splits `text` into normalised tokens.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut raw = Vec::new();
    let mut sentence = 0;
    let mut start = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next = chars.get(k + 1).map(|&(_, c)| c);
        let keeps_word = c.is_alphanumeric()
            || ((c == '\'' || c == '’')
                && start.is_some()
                && next.is_some_and(char::is_alphabetic))
            || (c == '/' && start.is_some() && next.is_some_and(char::is_alphabetic))
            || ((c == ',' || c == '.')
                && start.is_some()
                && next.is_some_and(|n| n.is_ascii_digit())
                && text[start.unwrap_or(i)..i]
                    .chars()
                    .all(|d| d.is_ascii_digit()));
        if keeps_word {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            raw.push((s, i, sentence));
        }
        if matches!(c, '.' | '!' | '?' | ';' | '\n') {
            sentence += 1;
        }
    }
    if let Some(s) = start {
        raw.push((s, text.len(), sentence));
    }
    let tokens = raw
        .into_iter()
        .map(|(start, end, sentence)| Token {
            word: fold(&text[start..end]),
            start,
            end,
            sentence,
        })
        .collect();
    join_spelled(number_words(tokens))
}

/// Lower case, straight apostrophes, and the common spellings of a few
/// words callers write differently.
fn fold(word: &str) -> String {
    // Most words are already plain lower-case ASCII: one copy, not three.
    let plain = word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && b != b',');
    let w = if plain {
        word.to_string()
    } else {
        word.to_lowercase().replace('’', "'").replace(',', "")
    };
    match w.as_str() {
        "a/c" | "ac's" => "ac".into(),
        "cant" => "can't".into(),
        "wont" => "won't".into(),
        "dont" => "don't".into(),
        "doesnt" => "doesn't".into(),
        "isnt" => "isn't".into(),
        "its" => "it's".into(),
        "theres" => "there's".into(),
        "im" => "i'm".into(),
        "nothings" => "nothing's".into(),
        "thats" => "that's".into(),
        "theyre" => "they're".into(),
        "whats" => "what's".into(),
        _ => w,
    }
}

/// Joins letters a recogniser spells out ("c o", "a c") into one word.
fn join_spelled(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if let Some(prev) = out.last_mut() {
            let pair = format!("{} {}", prev.word, t.word);
            let joined = match pair.as_str() {
                "c o" | "see oh" => Some("co"),
                "a c" => Some("ac"),
                _ => None,
            };
            if let Some(j) = joined {
                prev.word = j.to_string();
                prev.end = t.end;
                continue;
            }
        }
        out.push(t);
    }
    out
}

const UNITS: &[(&str, i64)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
];

const TENS: &[(&str, i64)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

fn unit(word: &str) -> Option<i64> {
    UNITS.iter().find(|(w, _)| *w == word).map(|&(_, n)| n)
}

fn tens(word: &str) -> Option<i64> {
    TENS.iter().find(|(w, _)| *w == word).map(|&(_, n)| n)
}

/// Rewrites "eighty four" as "84" and "ninety" as "90". Only numbers a
/// caller says about people, rooms and weather matter here; addresses are
/// parsed from the original words by the address module. "one" stays a
/// word: it is far more often a pronoun ("a new one") than a count.
fn number_words(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if let Some(n) = tens(&t.word) {
            let next_unit = tokens.get(i + 1).and_then(|u| {
                unit(&u.word)
                    .filter(|&v| (1..10).contains(&v))
                    .map(|v| (u, v))
            });
            if let Some((u, v)) = next_unit {
                out.push(Token {
                    word: (n + v).to_string(),
                    start: t.start,
                    end: u.end,
                    ..t.clone()
                });
                i += 2;
                continue;
            }
            out.push(Token {
                word: n.to_string(),
                ..t.clone()
            });
        } else if let Some(n) = unit(&t.word).filter(|&n| n != 1) {
            out.push(Token {
                word: n.to_string(),
                ..t.clone()
            });
        } else {
            out.push(t.clone());
        }
        i += 1;
    }
    out
}

/// Parses a token as a whole number.
pub fn number(word: &str) -> Option<i64> {
    word.parse().ok()
}

/// Whether a text message is written in capitals throughout, the way an
/// angry texter shouts.
pub fn shouting(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    letters.len() >= 20 && upper * 10 >= letters.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn folds_spellings_and_numbers() {
        assert_eq!(
            words("My A/C isn't cooling"),
            ["my", "ac", "isn't", "cooling"]
        );
        assert_eq!(words("dad's eighty four"), ["dad's", "84"]);
        assert_eq!(words("the c o detector"), ["the", "co", "detector"]);
        assert_eq!(words("about 1,800 sq ft"), ["about", "1800", "sq", "ft"]);
        assert_eq!(words("a new one"), ["a", "new", "one"]);
    }

    #[test]
    fn keeps_spans_and_sentences() {
        let t = tokenize("Pipe burst. Cant find it");
        assert_eq!(t[1].word, "burst");
        assert_eq!((t[1].start, t[1].end, t[1].sentence), (5, 10, 0));
        assert_eq!((t[2].word.as_str(), t[2].sentence), ("can't", 1));
    }

    #[test]
    fn shouting_needs_capitals_throughout() {
        assert!(shouting(
            "FURNACE IS OUT AGAIN. YOUR GUYS HAVE BEEN OUT TWICE"
        ));
        assert!(!shouting("AC not cooling at all, blowing room temp air"));
    }
}
