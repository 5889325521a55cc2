//! Facts from a caller's words: what is happening, with the words it came
//! from, and whether the caller said it, denied it, doubted it or put it
//! in the past.
//!
//! The phrase catalogue lives in `phrases`; this module matches it against
//! tokens and judges each match by the words around it. Answers to a
//! yes-or-no question count for the fact that question asks about.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde::Serialize;

use super::phrases::{FactDef, DOUBTS, FACTS, NEGATORS, PAST, PAST_EVENT, STILL};
use super::text::{number, tokenize, Token};

/// How many words may come between two terms of one pattern.
const GAP: usize = 8;
/// The gap of ` . `: for weak words that only mean something close by.
const NEAR: usize = 3;
/// How far around a match the judging words are looked for.
const REACH: usize = 5;
/// Safety facts look further: "the detector beeped a couple of times and
/// then it stopped" puts the alarm in the past from nine words away.
const SAFETY_REACH: usize = 10;

/// Facts whose doubt matters: a caller unsure of one is an unclear-safety
/// case, and doubt said anywhere stands until the caller, asked directly,
/// says yes.
pub const SAFETY_FACTS: &[&str] = &[
    "gas_smell",
    "co_alarm",
    "electrical_fire",
    "water_near_electrical",
    "ceiling_sagging",
];

/// Facts that are events rather than states: "it sparked last night" is
/// over, while "the furnace quit last night" still leaves a cold house.
const EVENT_FACTS: &[&str] = &[
    "water_leaking",
    "burst_pipe",
    "heater_leaking",
    "water_coming_in",
    "cannot_stop_water",
];

/// One piece of a caller's words: the opening, or the answer to a slot.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    pub slot: Option<&'a str>,
    pub text: &'a str,
}

/// What the caller said of a fact at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Negated,
    Past,
    Unsure,
    Present,
}

/// One match: the fact, how it was said, and the words it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub fact: &'static str,
    pub polarity: Polarity,
    /// Which segment: `None` for the opening, else the slot name.
    pub slot: Option<String>,
    /// Byte range of the evidence in that segment's text.
    pub span: (usize, usize),
    pub words: String,
    /// Order of mention across the whole contact, for "first mentioned".
    #[serde(skip)]
    pub order: usize,
    /// The caller's yes or no to the question about this very fact.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
}

/// Every fact found in one contact's words.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub hits: Vec<Hit>,
}

/// The combined verdict on one fact across all the caller's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Absent,
    /// Said only of the past, or only with doubt.
    Doubtful,
    Present,
}

impl Facts {
    /// The verdict on `fact`: present wins over doubt, doubt over denial.
    pub fn state(&self, fact: &str) -> State {
        let hits = || self.hits.iter().filter(|h| h.fact == fact);
        let direct = |p: Polarity| hits().any(|h| h.polarity == p && h.direct);
        // Doubt said about a safety fact stands unless the caller, asked
        // directly, says yes, or says it for sure in the same breath as
        // the doubt ("it's hot to the touch and looks kind of melted").
        let doubted: Vec<&Option<String>> = hits()
            .filter(|h| h.polarity == Polarity::Unsure)
            .map(|h| &h.slot)
            .collect();
        let sure_beside_doubt =
            hits().any(|h| h.polarity == Polarity::Present && doubted.contains(&&h.slot));
        if SAFETY_FACTS.contains(&fact)
            && !doubted.is_empty()
            && !direct(Polarity::Present)
            && !sure_beside_doubt
        {
            return State::Doubtful;
        }
        // Something that happened and stopped is settled by a direct "no"
        // to whether it is happening now.
        let best = hits().map(|h| h.polarity).max();
        if best == Some(Polarity::Past) && direct(Polarity::Negated) {
            return State::Absent;
        }
        match best {
            Some(Polarity::Present) => State::Present,
            Some(Polarity::Unsure | Polarity::Past) => State::Doubtful,
            _ => State::Absent,
        }
    }

    /// Whether the caller said it, counting doubt as yes: for facts that
    /// are not hazards, a caller who thinks the pipe froze is believed.
    pub fn said(&self, fact: &str) -> bool {
        self.hits
            .iter()
            .any(|h| h.fact == fact && h.polarity >= Polarity::Unsure)
    }

    /// Where the fact was first said, for choosing the trade mentioned first.
    pub fn first_order(&self, fact: &str) -> Option<usize> {
        self.hits
            .iter()
            .filter(|h| h.fact == fact && h.polarity >= Polarity::Unsure)
            .map(|h| h.order)
            .min()
    }

    /// The first hit that supports the fact, as evidence.
    pub fn evidence(&self, fact: &str) -> Option<&Hit> {
        self.hits
            .iter()
            .filter(|h| h.fact == fact)
            .max_by_key(|h| (h.polarity, usize::MAX - h.order))
    }
}

/// A compiled pattern: terms in order, each a list of word sequences,
/// and before each term after the first, how many words may come between.
struct Pattern {
    terms: Vec<Term>,
    gaps: Vec<usize>,
}

/// One term: its alternatives, each a run of words, and the words any
/// alternative can begin with, so that a position no alternative can
/// start at is passed over without trying each one. Most of a call's
/// words begin nothing in a given pattern; the index makes triage
/// several times faster.
struct Term {
    alternatives: Vec<Vec<Word>>,
    /// Vocabulary ids of the exact first words, sorted.
    first_exact: Vec<u32>,
    first_prefix: Vec<String>,
    /// An alternative begins with a word only a test can match (an age,
    /// the owner's name, an area).
    first_special: bool,
}

impl Term {
    fn new(alternatives: Vec<Vec<Word>>, vocabulary: &mut HashMap<String, u32>) -> Term {
        let mut term = Term {
            first_exact: Vec::new(),
            first_prefix: Vec::new(),
            first_special: false,
            alternatives: Vec::new(),
        };
        for alt in &alternatives {
            match alt.first() {
                Some(Word::Exact(w)) => {
                    let next = vocabulary.len() as u32;
                    term.first_exact
                        .push(*vocabulary.entry(w.clone()).or_insert(next));
                }
                Some(Word::Prefix(p)) => term.first_prefix.push(p.clone()),
                Some(_) | None => term.first_special = true,
            }
        }
        term.first_exact.sort_unstable();
        term.first_exact.dedup();
        term.alternatives = alternatives;
        term
    }

    /// Whether some alternative could begin with the word at `at`.
    fn may_begin(&self, words: &Words<'_>, at: usize) -> bool {
        self.first_special
            || words.ids[at].is_some_and(|id| self.first_exact.binary_search(&id).is_ok())
            || self
                .first_prefix
                .iter()
                .any(|p| words.tokens[at].word.starts_with(p.as_str()))
    }
}

enum Word {
    Exact(String),
    Prefix(String),
    /// A number from 65 to 110 next to a person: an elderly occupant.
    Age,
    /// The owner's first name, from the business profile.
    OwnerName,
    /// An area over 1,000 square feet.
    AreaOver1000,
}

struct CompiledFact {
    def: &'static FactDef,
    patterns: Vec<Pattern>,
    vetoes: Vec<Pattern>,
}

/// The compiled catalogue, and the vocabulary of the words its terms
/// begin with: each token is looked up there once, and a term tests an
/// id instead of comparing strings.
struct Catalogue {
    facts: Vec<CompiledFact>,
    vocabulary: HashMap<String, u32>,
    /// Which (fact, pattern) pairs can begin at a word: by the word's
    /// vocabulary id, by a stem the word begins with, or anywhere (a
    /// pattern whose first term begins with an age, a name or an area).
    begins_exact: Vec<Vec<(usize, usize)>>,
    /// By the stem's first byte, so a word is tested only against stems
    /// that share it.
    begins_prefix: Vec<Vec<(String, usize, usize)>>,
    begins_anywhere: Vec<(usize, usize)>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut vocabulary = HashMap::new();
    let facts = FACTS
        .iter()
        .map(|def| CompiledFact {
            def,
            patterns: def
                .patterns
                .iter()
                .map(|p| compile(p, &mut vocabulary))
                .collect(),
            vetoes: def
                .vetoes
                .iter()
                .map(|p| compile(p, &mut vocabulary))
                .collect(),
        })
        .collect::<Vec<CompiledFact>>();
    let mut begins_exact = vec![Vec::new(); vocabulary.len()];
    let mut begins_prefix = vec![Vec::new(); 256];
    let mut begins_anywhere = Vec::new();
    for (f, fact) in facts.iter().enumerate() {
        for (p, pattern) in fact.patterns.iter().enumerate() {
            let first = &pattern.terms[0];
            for &id in &first.first_exact {
                begins_exact[id as usize].push((f, p));
            }
            for stem in &first.first_prefix {
                match stem.bytes().next() {
                    Some(first) => begins_prefix[usize::from(first)].push((stem.clone(), f, p)),
                    None => begins_anywhere.push((f, p)),
                }
            }
            if first.first_special {
                begins_anywhere.push((f, p));
            }
        }
    }
    Catalogue {
        facts,
        vocabulary,
        begins_exact,
        begins_prefix,
        begins_anywhere,
    }
});

/// A segment's tokens with their vocabulary ids, and the owner's first
/// name: what every match reads.
struct Words<'a> {
    tokens: &'a [Token],
    ids: Vec<Option<u32>>,
    owner: &'a str,
    /// (fact, pattern, start) for every position a pattern can begin at,
    /// sorted; `find` tries only these.
    begins: Vec<(usize, usize, usize)>,
}

impl<'a> Words<'a> {
    fn new(tokens: &'a [Token], owner: &'a str) -> Words<'a> {
        let ids: Vec<Option<u32>> = tokens
            .iter()
            .map(|t| CATALOGUE.vocabulary.get(t.word.as_str()).copied())
            .collect();
        let mut begins = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            if let Some(id) = ids[i] {
                begins.extend(
                    CATALOGUE.begins_exact[id as usize]
                        .iter()
                        .map(|&(f, p)| (f, p, i)),
                );
            }
            let first = token.word.bytes().next().map_or(0, usize::from);
            let stems = CATALOGUE.begins_prefix[first].iter();
            begins.extend(
                stems
                    .filter(|(stem, _, _)| token.word.starts_with(stem.as_str()))
                    .map(|&(_, f, p)| (f, p, i)),
            );
            begins.extend(CATALOGUE.begins_anywhere.iter().map(|&(f, p)| (f, p, i)));
        }
        begins.sort_unstable();
        begins.dedup();
        Words {
            tokens,
            ids,
            owner,
            begins,
        }
    }

    /// The (pattern, start) pairs of fact `f` worth trying, in order.
    fn begins_of(&self, f: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let from = self.begins.partition_point(|&(fact, _, _)| fact < f);
        self.begins[from..]
            .iter()
            .take_while(move |&&(fact, _, _)| fact == f)
            .map(|&(_, p, i)| (p, i))
    }
}

/// The names of every fact the catalogue knows, for checking rules.
pub fn names() -> impl Iterator<Item = &'static str> {
    FACTS.iter().map(|f| f.name)
}

/// The catalogue entry for `name`.
pub fn definition(name: &str) -> Option<&'static FactDef> {
    FACTS.iter().find(|f| f.name == name)
}

/// Compiles a catalogue pattern: ` . ` allows up to three words between
/// two terms, ` .. ` a few more, ` ... ` any number within the sentence.
fn compile(pattern: &str, vocabulary: &mut HashMap<String, u32>) -> Pattern {
    let mut pieces = Vec::new();
    let mut gaps = Vec::new();
    let mut rest = pattern;
    loop {
        let next = [(" ... ", usize::MAX), (" .. ", GAP), (" . ", NEAR)]
            .iter()
            .filter_map(|&(sep, gap)| rest.find(sep).map(|at| (at, sep.len(), gap)))
            .min_by_key(|&(at, len, _)| (at, usize::MAX - len));
        let Some((at, len, gap)) = next else { break };
        pieces.push(&rest[..at]);
        gaps.push(gap);
        rest = &rest[at + len..];
    }
    pieces.push(rest);
    let terms = pieces
        .into_iter()
        .map(|term| {
            let alternatives = term
                .split('|')
                .map(|alt| {
                    alt.split_whitespace()
                        .map(|w| match w {
                            "AGE" => Word::Age,
                            "OWNER_NAME" => Word::OwnerName,
                            "AREA_OVER_1000" => Word::AreaOver1000,
                            _ => match w.strip_suffix('*') {
                                Some(stem) => Word::Prefix(stem.to_string()),
                                None => Word::Exact(w.to_string()),
                            },
                        })
                        .collect()
                })
                .collect();
            Term::new(alternatives, vocabulary)
        })
        .collect();
    Pattern { terms, gaps }
}

/// What a slot's answer says of the fact its question asks about.
pub fn slot_fact(slot: &str) -> Option<&'static str> {
    Some(match slot {
        "gas_smell" => "gas_smell",
        "co_alarm" => "co_alarm",
        "sparks_or_smoke" => "electrical_fire",
        "water_near_electrical" => "water_near_electrical",
        "vulnerable_occupant" => "vulnerable",
        "utility_outage" => "utility_outage",
        "ceiling_sagging" => "ceiling_sagging",
        "water_coming_in_now" => "water_coming_in",
        "roof_open_to_sky" => "roof_open",
        "standing_water" => "standing_water",
        "can_stop_water" => "leak_stopped",
        _ => return None,
    })
}

/// Finds every fact in the segments. `owner_name` lets "can i talk to
/// karen" count as asking for the owner.
pub fn extract(segments: &[Segment<'_>], owner_name: &str) -> Facts {
    let owner = owner_name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase();
    let mut hits = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let tokens = tokenize(segment.text);
        let base = index * 10_000;
        let verdict = segment.slot.and_then(|slot| slot_verdict(slot, &tokens));
        if let Some((fact, polarity)) = verdict {
            hits.push(Hit {
                fact,
                polarity,
                slot: segment.slot.map(str::to_string),
                span: (0, segment.text.len()),
                words: segment.text.to_string(),
                order: base,
                direct: true,
            });
        }
        let words = Words::new(&tokens, &owner);
        for (f, fact) in CATALOGUE.facts.iter().enumerate() {
            // The direct answer to a question settles that question's fact.
            if verdict.is_some_and(|(f, _)| f == fact.def.name)
                || (fact.def.name == "leak_stopped"
                    && verdict.is_some()
                    && segment.slot == Some("can_stop_water"))
            {
                continue;
            }
            let event =
                SAFETY_FACTS.contains(&fact.def.name) || EVENT_FACTS.contains(&fact.def.name);
            let reach = if SAFETY_FACTS.contains(&fact.def.name) {
                SAFETY_REACH
            } else {
                REACH
            };
            for (start, end, negated_inside) in find(f, fact, &words) {
                // A robocall is a robocall whatever it denies ("this is
                // not a sales call").
                let polarity = if fact.def.name == "robocall" {
                    Polarity::Present
                } else if fact.def.name == "leak_stopped" && tried_and_failed(&tokens, start) {
                    // "can't find where to shut it off" is not a stopped
                    // leak, nor is "tried to turn the valve".
                    Polarity::Negated
                } else if fact.def.name == "leak_stopped" && !negated_inside {
                    // Stopping a leak is a finished act whose result is the
                    // present state: "it stopped" is not the past here.
                    match judge(&tokens, start, end, reach, event) {
                        Polarity::Past => Polarity::Present,
                        other => other,
                    }
                } else if negated_inside {
                    Polarity::Negated
                } else {
                    judge(&tokens, start, end, reach, event)
                };
                hits.push(Hit {
                    fact: fact.def.name,
                    polarity,
                    slot: segment.slot.map(str::to_string),
                    span: (tokens[start].start, tokens[end - 1].end),
                    words: segment.text[tokens[start].start..tokens[end - 1].end].to_string(),
                    order: base + start,
                    direct: false,
                });
            }
        }
    }
    Facts { hits }
}

/// The yes, no or not-sure at the head of an answer to a yes-or-no slot.
fn slot_verdict(slot: &str, tokens: &[Token]) -> Option<(&'static str, Polarity)> {
    let fact = slot_fact(slot)?;
    let words: Vec<&str> = tokens.iter().map(|t| t.word.as_str()).collect();
    let text = words.join(" ");
    if slot == "can_stop_water" {
        return can_stop_verdict(&text, &words);
    }
    // "I don't know" alone says nothing either way: it is not doubt about a
    // hazard, and must not make a call an unclear-safety case.
    let bare = [
        "i don't know",
        "don't know",
        "idk",
        "no idea",
        "i dunno",
        "dunno",
    ];
    if bare
        .iter()
        .any(|b| text.trim_end_matches(['.', '?', '!']).trim() == *b)
    {
        return None;
    }
    if DOUBT_SET.any_in(&text) {
        return Some((fact, Polarity::Unsure));
    }
    let head = &words[..words.len().min(4)];
    if head.iter().any(|w| {
        matches!(
            *w,
            "no" | "nope" | "nah" | "not" | "none" | "nobody" | "nothing"
        )
    }) {
        return Some((fact, Polarity::Negated));
    }
    if head.iter().any(|w| {
        matches!(
            *w,
            "yes" | "yeah" | "yep" | "yup" | "definitely" | "absolutely"
        )
    }) {
        return Some((fact, Polarity::Present));
    }
    // No yes or no, but the answer describes the very thing asked about
    // ("it's dripping a little in the garage"): that is a yes, unless it
    // is over.
    let denies = words.iter().any(|w| NEGATORS.contains(w));
    let describes = !denies
        && affirmatives(slot)
            .iter()
            .any(|a| words.iter().any(|w| w.starts_with(a)));
    if describes {
        let over = PAST_OR_EVENT_SET.any_in(&text);
        return Some((
            fact,
            if over {
                Polarity::Past
            } else {
                Polarity::Present
            },
        ));
    }
    None
}

/// Words that, in an answer to a slot's question, describe the thing the
/// question asks about.
fn affirmatives(slot: &str) -> &'static [&'static str] {
    match slot {
        "water_coming_in_now" => &["dripping", "leaking", "pouring", "coming", "wet"],
        "ceiling_sagging" => &[
            "sagging", "bulging", "drooping", "hanging", "bubbl", "dropping",
        ],
        "standing_water" => &["inch", "standing", "puddle", "flooded", "soaked"],
        "roof_open_to_sky" => &["hole", "sky", "daylight", "open"],
        "gas_smell" => &["smell", "rotten", "sulfur"],
        "co_alarm" => &["going", "beep", "sounding", "chirp", "alarm"],
        "sparks_or_smoke" => &["spark", "smok", "burn", "melt", "scorch"],
        "water_near_electrical" => &["outlet", "panel", "cord", "plug", "socket", "breaker"],
        _ => &[],
    }
}

fn can_stop_verdict(text: &str, words: &[&str]) -> Option<(&'static str, Polarity)> {
    let no_leak = [
        "nothing is leaking",
        "nothing's leaking",
        "it's not leaking",
        "nothing leaking",
        "no water coming out",
        "not leaking",
        "there's no water",
        "no leak",
    ];
    if no_leak.iter().any(|p| contains_phrase(text, p)) {
        return Some(("water_leaking", Polarity::Negated));
    }
    let head = &words[..words.len().min(3)];
    if head
        .iter()
        .any(|w| matches!(*w, "yes" | "yeah" | "yep" | "yup"))
        && !contains_phrase(text, "still")
    {
        return Some(("leak_stopped", Polarity::Present));
    }
    if head
        .iter()
        .any(|w| matches!(*w, "no" | "nope" | "nah" | "can't" | "cannot"))
    {
        return Some(("cannot_stop_water", Polarity::Present));
    }
    None
}

/// A list of phrases searched for in one pass: whether any occurs in a
/// text as whole words, the same answer as trying `contains_phrase` with
/// each in turn, without a fresh search per phrase.
struct PhraseSet(AhoCorasick);

impl PhraseSet {
    fn new(lists: &[&[&str]]) -> PhraseSet {
        let phrases = lists
            .iter()
            .flat_map(|l| l.iter())
            .filter(|p| !p.is_empty());
        // Built once from the catalogue's own short lists.
        PhraseSet(AhoCorasick::new(phrases).expect("the phrase lists compile"))
    }

    fn any_in(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        self.0.find_overlapping_iter(text).any(|m| {
            let before = m.start() == 0 || bytes[m.start() - 1] == b' ';
            let after = m.end() == text.len() || bytes[m.end()] == b' ';
            before && after
        })
    }
}

static DOUBT_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::new(&[DOUBTS]));
static PAST_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::new(&[PAST]));
static PAST_OR_EVENT_SET: LazyLock<PhraseSet> =
    LazyLock::new(|| PhraseSet::new(&[PAST_EVENT, PAST]));
static STILL_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::new(&[STILL]));

/// Whether `phrase` occurs in `text` as whole words (space separated).
fn contains_phrase(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    text.match_indices(phrase).any(|(at, _)| {
        let before = at == 0 || text.as_bytes()[at - 1] == b' ';
        let end = at + phrase.len();
        let after = end == text.len() || text.as_bytes()[end] == b' ';
        before && after
    })
}

/// Every match of the fact's patterns, as token ranges, less those vetoed.
/// Where matches overlap, the one that starts first wins, then the
/// longest: "no heat" beats "heat .. in the house" read as negated.
fn find(f: usize, fact: &CompiledFact, words: &Words<'_>) -> Vec<(usize, usize, bool)> {
    let tokens = words.tokens;
    let mut candidates: Vec<(usize, usize, bool)> = Vec::new();
    for (p, start) in words.begins_of(f) {
        if let Some((end, gaps)) = match_gaps(&fact.patterns[p], words, start) {
            // "roof .. leaking" must not match "roof nothing's leaking".
            let negated_inside = gaps
                .iter()
                .any(|&i| NEGATORS.contains(&tokens[i].word.as_str()));
            candidates.push((start, end, negated_inside));
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut found: Vec<(usize, usize, bool)> = Vec::new();
    for (start, end, negated_inside) in candidates {
        if found.iter().any(|&(s, e, _)| start < e && s < end) {
            continue;
        }
        let sentence = tokens[start].sentence;
        let vetoed = fact.vetoes.iter().any(|veto| {
            (0..tokens.len())
                .filter(|&i| tokens[i].sentence == sentence)
                .any(|i| match_gaps(veto, words, i).is_some())
        });
        if !vetoed {
            found.push((start, end, negated_inside));
        }
    }
    found
}

/// Matches `pattern` with its first term at `start`; returns the end and
/// the words skipped between terms.
fn match_gaps(pattern: &Pattern, words: &Words<'_>, start: usize) -> Option<(usize, Vec<usize>)> {
    let tokens = words.tokens;
    let sentence = tokens[start].sentence;
    let mut end = term_at(&pattern.terms[0], words, start)?;
    let mut gaps = Vec::new();
    for (term, &gap) in pattern.terms[1..].iter().zip(&pattern.gaps) {
        let (at, next) = (end..tokens.len().min(end.saturating_add(gap).saturating_add(1)))
            .take_while(|&i| tokens[i].sentence == sentence)
            .find_map(|i| term_at(term, words, i).map(|e| (i, e)))?;
        gaps.extend(end..at);
        end = next;
    }
    Some((end, gaps))
}

fn term_at(term: &Term, words: &Words<'_>, at: usize) -> Option<usize> {
    let (tokens, owner) = (words.tokens, words.owner);
    if at >= tokens.len() || !term.may_begin(words, at) {
        return None;
    }
    term.alternatives.iter().find_map(|alt| {
        let mut i = at;
        for word in alt {
            let token = tokens.get(i)?;
            if !word_matches(word, tokens, i, owner)
                || (i > at && token.sentence != tokens[at].sentence)
            {
                return None;
            }
            i += 1;
            let _ = token;
        }
        Some(i)
    })
}

fn word_matches(word: &Word, tokens: &[Token], i: usize, owner: &str) -> bool {
    let w = tokens[i].word.as_str();
    match word {
        Word::Exact(e) => w == e,
        Word::Prefix(p) => w.starts_with(p.as_str()),
        Word::OwnerName => !owner.is_empty() && w == owner,
        Word::Age => is_age(tokens, i),
        Word::AreaOver1000 => {
            number(w).is_some_and(|n| n >= 1000)
                && tokens
                    .get(i + 1)
                    .is_some_and(|t| matches!(t.word.as_str(), "sq" | "square" | "sqft"))
        }
    }
}

/// A number from 65 to 110 said of a person ("she's 88", "my dad's 84",
/// "90 years old").
fn is_age(tokens: &[Token], i: usize) -> bool {
    let Some(n) = number(&tokens[i].word) else {
        return false;
    };
    if !(65..=110).contains(&n) {
        return false;
    }
    let person = [
        "he's",
        "she's",
        "i'm",
        "mom",
        "mother",
        "dad",
        "dad's",
        "father",
        "husband",
        "wife",
        "grandma",
        "grandpa",
        "law",
        "years",
        "year",
        "aged",
        "mom's",
        "mother's",
        "father's",
        "husband's",
        "wife's",
        "age",
    ];
    let around = i.saturating_sub(2)..(i + 3).min(tokens.len());
    around
        .into_iter()
        .any(|j| j != i && person.contains(&tokens[j].word.as_str()))
        && !tokens.get(i + 1).is_some_and(|t| {
            matches!(
                t.word.as_str(),
                "degrees"
                    | "inside"
                    | "in"
                    | "out"
                    | "outside"
                    | "up"
                    | "down"
                    | "miles"
                    | "minutes"
                    | "percent"
            )
        })
}

/// Judges a match by the words around it in its sentence.
fn judge(tokens: &[Token], start: usize, end: usize, reach: usize, event: bool) -> Polarity {
    let sentence = tokens[start].sentence;
    let window = |from: usize, to: usize| -> String {
        tokens[from..to]
            .iter()
            .filter(|t| t.sentence == sentence)
            .map(|t| t.word.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let near = window(
        start.saturating_sub(REACH + 2),
        (end + REACH).min(tokens.len()),
    );
    let around = window(
        start.saturating_sub(reach + 2),
        (end + reach).min(tokens.len()),
    );
    let before = window(start.saturating_sub(3), start);
    let first = tokens[start].word.as_str();

    if contains_any(&before, &["don't think", "do not think"]) {
        return Polarity::Negated;
    }
    if DOUBT_SET.any_in(&near) {
        return Polarity::Unsure;
    }
    if !NEGATORS.contains(&first) && before.split(' ').any(|w| NEGATORS.contains(&w)) {
        return Polarity::Negated;
    }
    let past = if event {
        PAST_OR_EVENT_SET.any_in(&around)
    } else {
        PAST_SET.any_in(&around)
    };
    if past && !STILL_SET.any_in(&around) {
        return Polarity::Past;
    }
    Polarity::Present
}

/// Whether the words just before `start` say an attempt that failed or a
/// wish: "can't find where to", "tried to", "need to".
fn tried_and_failed(tokens: &[Token], start: usize) -> bool {
    let from = start.saturating_sub(6);
    let before: Vec<&str> = tokens[from..start]
        .iter()
        .map(|t| t.word.as_str())
        .collect();
    let before = before.join(" ");
    [
        "can't",
        "cannot",
        "couldn't",
        "unable",
        "don't know",
        "where to",
        "how to",
        "tried to",
        "trying to",
        "need to",
        "have to",
        "try to",
    ]
    .iter()
    .any(|p| contains_phrase(&before, p))
}

fn contains_any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_phrase(text, p))
}

/// Facts by name with their verdict, for the receipt.
pub fn summary(facts: &Facts) -> BTreeMap<&'static str, Polarity> {
    let mut out = BTreeMap::new();
    for hit in &facts.hits {
        let entry = out.entry(hit.fact).or_insert(hit.polarity);
        *entry = (*entry).max(hit.polarity);
    }
    out
}

#[cfg(test)]
mod phrase_set_tests {
    use super::*;

    /// The one-pass search answers as the phrase-by-phrase one does.
    #[test]
    fn a_phrase_set_answers_as_each_phrase_would() {
        let lists: &[&[&str]] = &[DOUBTS, PAST, PAST_EVENT, STILL];
        let texts = [
            "i think maybe i smell gas",
            "it sparked earlier but stopped",
            "not sure if that's gas",
            "the heat used to work",
            "mightily confused",
            "it's still leaking",
            "unsurely",
            "",
            "kind of a hissing sound maybe",
        ];
        for list in lists {
            let set = PhraseSet::new(&[list]);
            for text in texts {
                let each = list.iter().any(|p| contains_phrase(text, p));
                assert_eq!(set.any_in(text), each, "{text:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(opening: &str, fact: &str, want: State) {
        let facts = extract(
            &[Segment {
                slot: None,
                text: opening,
            }],
            "Karen Birch",
        );
        assert_eq!(
            facts.state(fact),
            want,
            "{fact} in {opening:?}: {:?}",
            facts.hits
        );
    }

    #[test]
    fn negation_doubt_and_the_past() {
        use State::*;
        let cases = [
            (
                "there's a strong gas smell by the furnace",
                "gas_smell",
                Present,
            ),
            (
                "i think maybe i smell gas when the furnace kicks on",
                "gas_smell",
                Doubtful,
            ),
            ("not sure if that's gas or just dust", "gas_smell", Doubtful),
            ("i don't smell gas", "gas_smell", Absent),
            (
                "it sparked earlier but stopped",
                "electrical_fire",
                Doubtful,
            ),
            (
                "it sparked when it popped and the burnt smell is still there",
                "electrical_fire",
                Present,
            ),
            ("i don't think it's sparking", "electrical_fire", Absent),
            ("no water on the floor", "standing_water", Absent),
            (
                "the co detector beeped twice and then it stopped",
                "co_alarm",
                Doubtful,
            ),
            (
                "our carbon monoxide alarm is going off it won't stop beeping",
                "co_alarm",
                Present,
            ),
            (
                "the furnace quit and it's fifteen below",
                "no_heat",
                Present,
            ),
            ("the water heater quit", "no_heat", Absent),
            (
                "my mother in law is ninety and lives with us",
                "vulnerable",
                Present,
            ),
            ("it's ninety six out", "vulnerable", Absent),
            ("can i talk to karen", "wants_owner", Present),
        ];
        for (text, fact, want) in cases {
            check(text, fact, want);
        }
    }

    #[test]
    fn a_slot_answer_settles_its_own_question() {
        let segments = [
            Segment {
                slot: None,
                text: "a pipe burst and water is spraying",
            },
            Segment {
                slot: Some("water_near_electrical"),
                text: "no the panel's on the far wall the water's going toward the floor drain",
            },
            Segment {
                slot: Some("can_stop_water"),
                text: "yes i closed the main it's stopped",
            },
        ];
        let facts = extract(&segments, "");
        assert_eq!(facts.state("water_near_electrical"), State::Absent);
        assert_eq!(facts.state("leak_stopped"), State::Present);
        let hit = facts.evidence("burst_pipe").unwrap();
        assert_eq!(hit.words, "pipe burst");
    }
}
