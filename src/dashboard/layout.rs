//! The page shell every dashboard page shares: a phone-first layout, the
//! navigation, the business picker for agency users and the logout form.

use jiff::tz::TimeZone;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::auth::Session;
use crate::config::Business;

/// The dashboard's whole stylesheet: small enough to inline, so a page is
/// one request on a slow phone connection.
const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
header{background:#14213d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none;padding:.25rem .1rem}
header a.on{border-bottom:2px solid #fca311}
header .brand{font-weight:700;margin-right:auto}
header form{display:inline;margin:0}
header select,header button{font:inherit;font-size:.9rem}
main{padding:1rem;max-width:1200px;margin:0 auto}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
section.card{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;color:#555}
a{color:#1d4ed8}
.lane{display:inline-block;padding:.05rem .45rem;border-radius:4px;font-size:.85rem;font-weight:600;background:#e5e7eb}
.lane-emergency{background:#fee2e2;color:#991b1b}.lane-human{background:#ffedd5;color:#9a3412}
.lane-priority{background:#fef9c3;color:#854d0e}.lane-booking{background:#dbeafe;color:#1e40af}
.lane-decline{background:#ede9fe;color:#5b21b6}.lane-drop{background:#e5e7eb;color:#374151}
.muted{color:#6b7280;font-size:.9rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1rem}
.big{font-size:2rem;font-weight:700}
.words{white-space:pre-wrap;background:#f9fafb;border-left:3px solid #fca311;padding:.4rem .6rem;margin:.3rem 0}
.notice{background:#fff;padding:1rem;border-radius:8px}
.error{color:#991b1b}
.changed{background:#fff7ed}
form.stack label{display:block;margin:.5rem 0 .2rem}
input,textarea,select,button{font:inherit}
input[type=text],input[type=email],input[type=password],input[type=number],textarea{width:100%;padding:.45rem;border:1px solid #cbd5e1;border-radius:6px}
textarea{min-height:18rem;font-family:ui-monospace,monospace;font-size:.85rem}
button{background:#14213d;color:#fff;border:0;border-radius:6px;padding:.5rem 1rem;margin-top:.6rem}
svg{max-width:100%;height:auto;max-height:240px}
@media (max-width:640px){
 table.list thead{display:none}
 table.list tr{display:block;border-bottom:1px solid #e3e6ea;padding:.4rem 0}
 table.list td{display:inline-block;border:0;padding:.1rem .4rem}
 table.list td.summary{display:block}
 main{padding:.6rem}
}
"#;

/// A page with no navigation: login and errors.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (meta(title)) }
            body {
                header { span.brand { "nightdesk" } }
                main { (body) }
            }
        }
    }
}

fn meta(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        meta name="referrer" content="no-referrer";
        title { (title) " · nightdesk" }
        style { (PreEscaped(CSS)) }
    }
}

/// Which section of the navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Contacts,
    Numbers,
    Audit,
    Worth,
}

/// A signed-in page: navigation, business picker, logout, then `body`.
pub fn page(title: &str, session: &Session, business: &Business, nav: Nav, body: Markup) -> Markup {
    let b = &business.number;
    let link = |path: &str, name: &str, me: Nav| {
        html! { a class=@if nav == me { "on" } href={ (path) "?b=" (urlenc(b)) } { (name) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (meta(title)) }
            body {
                header {
                    span.brand { (business.name) }
                    (link("/contacts", "Contacts", Nav::Contacts))
                    (link("/numbers", "Numbers", Nav::Numbers))
                    (link("/audit", "Audit routing", Nav::Audit))
                    (link("/worth", "Worth", Nav::Worth))
                    @if session.user.businesses.len() > 1 {
                        form method="get" action="" {
                            select name="b" aria-label="Business" onchange="this.form.submit()" {
                                @for number in &session.user.businesses {
                                    option value=(number) selected[number == b] { (number) }
                                }
                            }
                            noscript { button type="submit" { "Go" } }
                        }
                    }
                    form method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        button type="submit" { "Log out" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A query-string value, percent-encoded.
pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A time in the business's zone, as an owner reads it.
pub fn local(ms: i64, tz: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(tz.clone())
            .strftime("%a %b %-d, %H:%M")
            .to_string(),
        Err(_) => "—".into(),
    }
}

/// An RFC 3339 time from a receipt, in the business's zone.
pub fn local_text(rfc3339: &str, tz: &TimeZone) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(tz.clone())
            .strftime("%b %-d, %H:%M:%S")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// A lane as a coloured label.
pub fn lane(lane: Option<&str>) -> Markup {
    match lane {
        Some(l) => html! { span class={ "lane lane-" (l) } { (l) } },
        None => html! { span.lane { "text-back" } },
    }
}

/// Milliseconds as an owner reads a duration.
pub fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) if ms < 120_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) => format!("{:.1} min", ms as f64 / 60_000.0),
    }
}
