//! Simple charts as inline SVG, drawn on the server: no script, nothing
//! to load, readable on a phone. Labels go through `maud`, so they are
//! escaped like everything else.

use maud::{html, Markup};

/// One bar: a label, the whole height and the part drawn as urgent.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub total: f64,
    pub urgent: f64,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const PAD: f64 = 24.0;

/// A bar chart, urgent parts in red over the rest in blue; the first and
/// last labels are written under the axis.
pub fn bars(title: &str, bars: &[Bar]) -> Markup {
    let max = bars
        .iter()
        .map(|b| b.total)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * PAD) / n;
    let plot = HEIGHT - 2.0 * PAD;
    html! {
        svg role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1=(PAD) y1=(HEIGHT - PAD) x2=(WIDTH - PAD) y2=(HEIGHT - PAD) stroke="#9ca3af" {}
            text x=(PAD) y=(PAD - 8.0) font-size="12" fill="#6b7280" { "max " (max) }
            @for (i, b) in bars.iter().enumerate() {
                @let x = PAD + slot * i as f64 + slot * 0.1;
                @let w = (slot * 0.8).max(1.0);
                @let h = plot * b.total / max;
                @let u = plot * b.urgent.min(b.total) / max;
                rect x=(fmt(x)) y=(fmt(HEIGHT - PAD - h)) width=(fmt(w)) height=(fmt(h)) fill="#93c5fd" {
                    title { (b.label) ": " (b.total) }
                }
                @if u > 0.0 {
                    rect x=(fmt(x)) y=(fmt(HEIGHT - PAD - u)) width=(fmt(w)) height=(fmt(u)) fill="#dc2626" {}
                }
            }
            @if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
                text x=(PAD) y=(HEIGHT - 6.0) font-size="12" fill="#6b7280" { (first.label) }
                text x=(WIDTH - PAD) y=(HEIGHT - 6.0) font-size="12" fill="#6b7280" text-anchor="end" { (last.label) }
            }
        }
    }
}

/// Counts of values (milliseconds) in buckets with these upper edges
/// (seconds); the last bucket takes everything above.
pub fn histogram(values_ms: &[i64], edges_s: &[i64]) -> Vec<Bar> {
    let mut out: Vec<Bar> = edges_s
        .iter()
        .map(|e| Bar {
            label: format!("≤{e}s"),
            total: 0.0,
            urgent: 0.0,
        })
        .chain(std::iter::once(Bar {
            label: format!(">{}s", edges_s.last().unwrap_or(&0)),
            total: 0.0,
            urgent: 0.0,
        }))
        .collect();
    for &ms in values_ms {
        let i = edges_s
            .iter()
            .position(|&e| ms <= e * 1000)
            .unwrap_or(edges_s.len());
        out[i].total += 1.0;
    }
    out
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_by_upper_edge() {
        let h = histogram(&[0, 1000, 1001, 5000, 90_000], &[1, 5, 60]);
        let totals: Vec<f64> = h.iter().map(|b| b.total).collect();
        assert_eq!(totals, vec![2.0, 2.0, 0.0, 1.0]);
        assert_eq!(h[3].label, ">60s");
    }

    #[test]
    fn labels_are_escaped_in_the_svg() {
        let svg = bars(
            "<b>",
            &[Bar {
                label: "<script>".into(),
                total: 2.0,
                urgent: 1.0,
            }],
        )
        .into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
