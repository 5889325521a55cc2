//! A draft route table: the `[[route]]` rows an owner edits in the
//! dashboard before saving them, checked exactly as `check` checks the
//! rows of a whole profile, with the same problems.

use serde::Deserialize;

use super::build::check_route_rows;
use super::file::RouteEntry;
use super::{Problem, Route, Severity};

/// The name a draft's problems carry in place of a file name.
const DRAFT: &str = "draft";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Draft {
    #[serde(default)]
    route: Vec<RouteEntry>,
}

/// Checks a draft route table written as TOML `[[route]]` rows.
///
/// ```
/// let rows = "[[route]]\nname = \"all\"\nwhen = \"true\"\nlane = \"booking\"\n";
/// assert_eq!(nightdesk::config::check_routes(rows).unwrap().len(), 1);
/// let problems = nightdesk::config::check_routes("[[route]]\nname = \"x\"\nwhen = \"true\"\nlane = \"emergncy\"\n").unwrap_err();
/// assert_eq!(problems[0].line, 4);
/// ```
///
/// # Errors
///
/// Every problem found, as `draft:line:column`, when any is an error.
pub fn check_routes(text: &str) -> Result<Vec<Route>, Vec<Problem>> {
    let draft: Draft = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().to_string();
            return Err(vec![Problem::at(
                DRAFT,
                text,
                offset,
                message,
                "write [[route]] rows with name, when, lane and says".into(),
            )]);
        }
    };
    let (routes, problems) = check_route_rows(DRAFT, text, &draft.route);
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(problems);
    }
    Ok(routes)
}

/// A route table written back as TOML rows, for the owner to edit.
pub fn routes_toml(routes: &[Route]) -> String {
    let mut out = String::new();
    for r in routes {
        out.push_str("[[route]]\n");
        out.push_str(&format!("name = {}\n", toml_string(&r.name)));
        out.push_str(&format!("when = {}\n", toml_string(r.when.source())));
        out.push_str(&format!("lane = {}\n", toml_string(&r.lane)));
        if !r.says.is_empty() {
            out.push_str(&format!("says = {}\n", toml_string(&r.says)));
        }
        out.push('\n');
    }
    out
}

/// A TOML basic string, escaped by the `toml` crate itself.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_bundled_route_tables_round_trip() {
        let config = Config::embedded();
        for b in &config.businesses {
            let text = routes_toml(&b.routes);
            let again = check_routes(&text).unwrap_or_else(|p| panic!("{}: {p:?}", b.id));
            let names: Vec<&str> = again.iter().map(|r| r.name.as_str()).collect();
            let want: Vec<&str> = b.routes.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, want);
        }
    }

    #[test]
    fn problems_point_into_the_draft() {
        let text = "[[route]]\nname = \"all\"\nwhen = \"true\"\nlane = \"booking\"\n\n[[route]]\nname = \"late\"\nwhen = \"hazard\"\nlane = \"emergency\"\n";
        let problems = check_routes(text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].file.as_str(), problems[0].line), ("draft", 7));
        assert!(
            problems[0].message.contains("can never match"),
            "{}",
            problems[0].message
        );

        let problems =
            check_routes("[[route]]\nname = \"x\"\nwhen = \"no_such_fact\"\nlane = \"booking\"\n")
                .unwrap_err();
        assert!(
            problems[0].message.contains("unknown fact"),
            "{}",
            problems[0].message
        );

        let problems = check_routes(
            "[[route]]\nname = \"x\"\nwhen = \"true\"\nlane = \"booking\"\nspeed = 3\n",
        )
        .unwrap_err();
        assert_eq!(problems[0].line, 5);
    }
}
