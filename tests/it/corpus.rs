//! The labelled call corpus (`../shared/data/calls/calls.jsonl`), offline
//! through `triage` and live through the webhooks: the owner's bar is lane
//! accuracy of 97% or better, no missed emergency, every safety script
//! and every first alert as labelled.

use nightdesk::config::Config;
use nightdesk::intake::corpus::Entry;
use nightdesk::intake::Channel;
use nightdesk::triage::{self, Outcome, Summary};

use super::helpers::{corpus, Server};

const MIN_LANE_ACCURACY: f64 = 0.97;

/// The owner's bar, checked over one run; every miss is listed.
fn check_bar(runs: &[(&Entry, Outcome)], summary: &Summary) {
    let report = summary.report();
    assert!(summary.labelled > 0, "no labelled case was scored");
    assert!(
        summary.accuracy() >= MIN_LANE_ACCURACY,
        "lane accuracy {:.1}% is under {:.0}%:\n{report}",
        100.0 * summary.accuracy(),
        100.0 * MIN_LANE_ACCURACY
    );
    assert!(
        summary.missed_emergencies.is_empty(),
        "missed emergencies {:?}:\n{report}",
        summary.missed_emergencies
    );

    let mut wrong = Vec::new();
    for (entry, out) in runs {
        let Some(expect) = &entry.expect else {
            continue;
        };
        if expect.safety_script.is_some() && out.safety_script != expect.safety_script {
            wrong.push(format!(
                "{}: script {:?}, expected {:?}",
                entry.id, out.safety_script, expect.safety_script
            ));
        }
        if expect.alert_to.is_some() && out.alert_to != expect.alert_to {
            wrong.push(format!(
                "{}: first alert to {:?}, expected {:?}",
                entry.id, out.alert_to, expect.alert_to
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "scripts or first alerts wrong:\n  {}\n{report}",
        wrong.join("\n  ")
    );
}

#[test]
fn triage_meets_the_bar_on_every_case() {
    let config = Config::embedded();
    let entries = corpus();
    let mut summary = Summary::default();
    let mut runs = Vec::new();
    for entry in &entries {
        let case = entry.case().unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        let business = config
            .business(&case.business)
            .unwrap_or_else(|| panic!("{}: no business {}", entry.id, case.business));
        let (assessment, decision) = triage::run(&case, business);
        let out = triage::outcome(&case, &assessment, &decision);
        summary.add(&out, entry.expect.as_ref());
        runs.push((entry, out));
    }
    assert_eq!(summary.cases, entries.len());
    check_bar(&runs, &summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_over_http_meets_the_bar() {
    let server = Server::start().await;
    let harness = &server.harness;
    // Every door: calls, texts, missed calls, voicemails and web forms.
    let entries: Vec<Entry> = corpus();
    let of = |channel: Channel| entries.iter().filter(|e| e.channel == channel).count();
    assert_eq!(
        [
            of(Channel::Voice),
            of(Channel::Sms),
            of(Channel::MissedCall),
            of(Channel::Voicemail),
            of(Channel::WebForm)
        ],
        [66, 27, 10, 13, 9],
        "the corpus's doors"
    );

    let mut summary = Summary::default();
    let mut runs = Vec::new();
    let mut script_late = Vec::new();
    let mut no_text_back = Vec::new();
    for entry in &entries {
        let texts_before = harness.standin.messages().len();
        let out = harness
            .play(entry)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", entry.id))
            .unwrap_or_else(|| panic!("{}: {:?} was not replayed", entry.id, entry.channel));
        summary.add(&out, entry.expect.as_ref());

        let scripted = entry
            .expect
            .as_ref()
            .is_some_and(|x| x.safety_script.is_some());
        if scripted && out.safety_script_first != Some(true) {
            script_late.push(format!(
                "{}: safety_script_first {:?}",
                entry.id, out.safety_script_first
            ));
        }
        if entry.channel == Channel::MissedCall {
            let texted = harness.standin.messages()[texts_before..]
                .iter()
                .any(|m| m.to == entry.from);
            if !texted {
                no_text_back.push(entry.id.clone());
            }
        }
        runs.push((entry, out));
    }

    assert_eq!(summary.cases, entries.len());
    assert!(
        script_late.is_empty(),
        "a safety script came after another question:\n  {}",
        script_late.join("\n  ")
    );
    assert!(
        no_text_back.is_empty(),
        "missed calls without a text-back to the caller: {no_text_back:?}"
    );
    check_bar(&runs, &summary);
}
