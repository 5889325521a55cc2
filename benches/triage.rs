//! Assessment plus decision per call, over the bundled corpus. The issue's
//! target is a median under 100 µs a call.

use criterion::{criterion_group, criterion_main, Criterion};

use nightdesk::config::Config;
use nightdesk::intake::corpus;

fn triage_corpus(c: &mut Criterion) {
    let config = Config::embedded();
    let text = include_str!("../data/calls/calls.jsonl");
    let cases: Vec<_> = corpus::parse(text)
        .unwrap()
        .iter()
        .map(|e| e.case().unwrap())
        .collect();
    // Warm the lazily built tables (ZIPs, phrase catalogue) outside the
    // measurement.
    for case in &cases {
        nightdesk::triage::triage(&config, case);
    }
    let mut i = 0;
    c.bench_function("triage one call (corpus round robin)", |b| {
        b.iter(|| {
            let case = &cases[i % cases.len()];
            i += 1;
            nightdesk::triage::triage(&config, case)
        })
    });
}

criterion_group!(benches, triage_corpus);
criterion_main!(benches);
