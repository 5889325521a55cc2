//! Reading TwiML into a small element tree, as Twilio does before running
//! a document. The stand-in's caller uses it to follow nightdesk's replies,
//! and tests use it to check a document's structure rather than its bytes.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::Error;

/// One element with its attributes (in document order), its text
/// (entities resolved, surrounding whitespace trimmed) and its children.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a whole document and returns its root element.
///
/// # Errors
///
/// [`Error::Twiml`] when the XML is not well formed, uses an unknown
/// entity, or has no root element.
///
/// ```
/// # use nightdesk::twilio::twiml_read::parse;
/// let root = parse("<Response><Say>a &amp; b</Say><Hangup/></Response>").unwrap();
/// assert_eq!(root.children[0].text, "a & b");
/// assert_eq!(root.children[1].name, "Hangup");
/// ```
pub fn parse(xml: &str) -> Result<Element, Error> {
    let mut reader = Reader::from_str(xml);
    // Open elements, innermost last; a closed element moves into its parent.
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;

    loop {
        match reader.read_event().map_err(twiml_error)? {
            Event::Start(start) => open.push(element(&start)?),
            Event::Empty(start) => close(&mut open, &mut root, element(&start)?),
            Event::End(_) => {
                let mut done = open
                    .pop()
                    .ok_or_else(|| Error::Twiml("unbalanced end tag".into()))?;
                done.text = done.text.trim().to_string();
                close(&mut open, &mut root, done);
            }
            Event::Text(text) => append(&mut open, &text.xml10_content()),
            Event::CData(data) => append(&mut open, &data.xml10_content()),
            Event::GeneralRef(reference) => {
                let resolved = resolve(&reference.xml10_content(), &reference)?;
                append(&mut open, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.ok_or_else(|| Error::Twiml("no root element".into()))
}

fn element(start: &BytesStart<'_>) -> Result<Element, Error> {
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| Error::Twiml(e.to_string()))?;
        let name = attr.key.as_ref().to_string();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(twiml_error)?;
        attrs.push((name, value.into_owned()));
    }
    Ok(Element {
        name: start.name().as_ref().to_string(),
        attrs,
        ..Element::default()
    })
}

fn close(open: &mut [Element], root: &mut Option<Element>, done: Element) {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn append(open: &mut [Element], text: &str) {
    if let Some(current) = open.last_mut() {
        current.text.push_str(text);
    }
}

fn resolve(name: &str, reference: &quick_xml::events::BytesRef<'_>) -> Result<String, Error> {
    if let Some(c) = reference.resolve_char_ref().map_err(twiml_error)? {
        return Ok(c.to_string());
    }
    resolve_predefined_entity(name)
        .map(str::to_string)
        .ok_or_else(|| Error::Twiml(format!("unknown entity &{name};")))
}

fn twiml_error(e: quick_xml::Error) -> Error {
    Error::Twiml(e.to_string())
}
