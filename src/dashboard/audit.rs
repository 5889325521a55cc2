//! "Audit my routing": the owner edits a draft of the route table and
//! sees, before saving anything, which of the last N days' contacts
//! would land in another lane. Each contact's stored conversation is
//! assessed again and routed by the current table and by the draft.

use axum::extract::{Query, State};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::Session;
use super::layout::{self, Nav};
use super::{business, days, Error, DAY_MS};
use crate::config::{self, Business, Problem, Route};
use crate::conversation::Conversation;
use crate::intake::Channel;
use crate::rules::Evaluator;
use crate::server::App;

/// At most this many contacts are re-run in one audit.
const MAX_CONTACTS: i64 = 5000;

/// One contact whose lane the draft changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub contact_id: String,
    pub opened_at: i64,
    pub summary: String,
    pub now: Routed,
    pub draft: Routed,
}

/// A lane and the row that chose it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Routed {
    pub lane: Option<String>,
    pub rule: Option<String>,
}

/// The lane each route table gives a conversation, as
/// `decision::decide` picks it: the first row whose condition holds. The
/// case is assessed once for all the tables. A missed call gets no lane.
pub fn route(tables: &[&[Route]], business: &Business, c: &Conversation) -> (Vec<Routed>, String) {
    let case = c.case();
    let a = crate::assessment::assess(&case, business);
    let vars = crate::assessment::variables(business, &case, &a);
    let evaluator = Evaluator::new(&vars);
    let routed: Vec<Routed> = tables
        .iter()
        .map(|routes| {
            if case.channel == Channel::MissedCall {
                return Routed::default();
            }
            let hit = routes
                .iter()
                .find(|r| evaluator.eval(&r.when).unwrap_or(false));
            Routed {
                lane: hit.map(|r| r.lane.clone()),
                rule: hit.map(|r| r.name.clone()),
            }
        })
        .collect();
    let decision = crate::decision::Decision {
        lane: routed.first().and_then(|r| r.lane.clone()),
        rule: None,
        rule_says: String::new(),
        passed_over: Vec::new(),
        safety_script: None,
        safety_words: None,
        alert: None,
        copy_owner: false,
        referral: None,
    };
    (routed, crate::record::receipt::summary(&a, &decision))
}

/// What an audit found.
#[derive(Debug, Default)]
pub struct Audit {
    pub checked: usize,
    pub unreadable: usize,
    pub changes: Vec<Change>,
}

async fn audit(app: &App, business: &Business, draft: &[Route], days: i64) -> Result<Audit, Error> {
    let now = app.clock.millis();
    let rows = app
        .store
        .audited_contacts(
            &business.number,
            now - days * DAY_MS,
            now + DAY_MS,
            MAX_CONTACTS,
        )
        .await?;
    let mut out = Audit::default();
    for row in rows {
        let Ok(c) = serde_json::from_str::<Conversation>(&row.state) else {
            out.unreadable += 1;
            continue;
        };
        out.checked += 1;
        let (mut routed, summary) = route(&[&business.routes, draft], business, &c);
        let (drafted, current) = (
            routed.pop().unwrap_or_default(),
            routed.pop().unwrap_or_default(),
        );
        if current.lane != drafted.lane {
            out.changes.push(Change {
                contact_id: row.id,
                opened_at: row.opened_at,
                summary,
                now: current,
                draft: drafted,
            });
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    b: Option<String>,
    days: Option<i64>,
}

pub async fn page(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<Markup, Error> {
    let business = business(&app, &session, q.b.as_deref())?;
    let draft = config::routes_toml(&business.routes);
    Ok(view(&session, business, days(q.days), &draft, None, None))
}

#[derive(Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    draft: String,
    days: Option<i64>,
}

pub async fn run(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
    Form(f): Form<AuditForm>,
) -> Result<Markup, Error> {
    session.check_csrf(&f.csrf)?;
    let business = business(&app, &session, q.b.as_deref())?;
    let days = days(f.days.or(q.days));
    match config::check_routes(&f.draft) {
        Err(problems) => Ok(view(
            &session,
            business,
            days,
            &f.draft,
            Some(&problems),
            None,
        )),
        Ok(draft) => {
            let found = audit(&app, business, &draft, days).await?;
            Ok(view(&session, business, days, &f.draft, None, Some(&found)))
        }
    }
}

fn view(
    session: &Session,
    business: &Business,
    days: i64,
    draft: &str,
    problems: Option<&[Problem]>,
    found: Option<&Audit>,
) -> Markup {
    let body = html! {
        h1 { "Audit my routing" }
        p.muted { "Edit the route table below and run it against your recent contacts. Nothing is saved: copy the rows into your profile once you like what you see." }
        @if let Some(problems) = problems {
            section.card #problems {
                h2.error { "The draft has " (problems.len()) " problem(s)" }
                ul { @for p in problems { li { code { (p.file) ":" (p.line) ":" (p.column) } ": " (p.message) br; span.muted { (p.help) } } } }
            }
        }
        @if let Some(a) = found {
            section.card #changes {
                h2 { (a.changes.len()) " of " (a.checked) " contacts would change lane" }
                @if a.unreadable > 0 { p.muted { (a.unreadable) " contacts could not be read and were skipped." } }
                @if !a.changes.is_empty() {
                    table.list {
                        thead { tr { th { "When" } th { "Now" } th { "With the draft" } th { "Summary" } } }
                        tbody {
                            @for c in &a.changes {
                                tr.changed {
                                    td { a href={ "/contacts/" (layout::urlenc(&c.contact_id)) } { (layout::local(c.opened_at, &business.tz)) } }
                                    td { (layout::lane(c.now.lane.as_deref())) br; span.muted { (c.now.rule.as_deref().unwrap_or("—")) } }
                                    td { (layout::lane(c.draft.lane.as_deref())) br; span.muted { (c.draft.rule.as_deref().unwrap_or("no row matched")) } }
                                    td.summary { (c.summary) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            form.stack method="post" action={ "/audit?b=" (layout::urlenc(&business.number)) } {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="days" { "Contacts of the last N days" }
                input #days type="number" name="days" min="1" max="366" value=(days);
                label for="draft" { "Route table draft ([[route]] rows)" }
                textarea #draft name="draft" spellcheck="false" { (draft) }
                button #run-audit type="submit" { "Run the audit" }
            }
        }
    };
    layout::page("Audit", session, business, Nav::Audit, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::intake::{Utterance, Weather};

    #[test]
    fn the_current_table_routes_as_the_decision_does() {
        let config = Config::embedded();
        let business = &config.businesses[0];
        let at: jiff::Timestamp = "2026-01-10T08:00:00Z".parse().unwrap();
        let (mut c, _) = Conversation::start(
            "c1".into(),
            business,
            Channel::Voice,
            "+16125550111".into(),
            at,
            Weather::default(),
        );
        c.words.push(Utterance {
            slot: None,
            text: "there is water pouring through the ceiling and it won't stop".into(),
        });
        let case = c.case();
        let a = crate::assessment::assess(&case, business);
        let d = crate::decision::decide(&case, business, &a);
        let everything_books = config::check_routes(
            "[[route]]\nname = \"all\"\nwhen = \"true\"\nlane = \"booking\"\n",
        )
        .unwrap();
        let (got, summary) = route(&[&business.routes, &everything_books], business, &c);
        assert_eq!((got[0].lane.clone(), got[0].rule.clone()), (d.lane, d.rule));
        assert_eq!(got[1].lane.as_deref(), Some("booking"));
        assert!(
            summary.ends_with(&format!("→ {}", got[0].lane.as_deref().unwrap())),
            "{summary}"
        );
    }
}
