//! Coverage alarms: a trade with nobody on call in the coming week, or a
//! technician whose number cannot take texts, told to the owner before an
//! emergency finds the hole. `check` prints them; `serve` texts them to
//! the owner at start-up and each morning, once a day per business.

use jiff::{civil, Timestamp, ToSpan, Zoned};
use serde_json::json;
use tracing::{info, warn};

use crate::config::Business;
use crate::server::App;
use crate::store::{self, MessageRow, NewJob};

/// How far ahead a gap is looked for.
pub const DAYS: u32 = 7;
/// The local time of the daily check.
const DAILY_AT: civil::Time = civil::Time::constant(8, 0, 0, 0);

/// The alarms of a business at `now`, one plain sentence each: the
/// coverage gaps, then the technicians who cannot take texts.
pub fn alarms(business: &Business, now: Timestamp) -> Vec<String> {
    let mut found = gaps(business, now);
    for t in &business.schedule.technicians {
        if !t.takes_texts {
            found.push(format!(
                "{} cannot take texts at {}: alerts reach them only by a call",
                t.name, t.phone
            ));
        }
    }
    found
}

/// The stretches of the next [`DAYS`] with nobody on call, per trade.
pub fn gaps(business: &Business, now: Timestamp) -> Vec<String> {
    let mut found = Vec::new();
    for trade in &business.offered {
        for (from, to) in business.schedule.coverage_gaps(trade, now, DAYS) {
            found.push(format!(
                "nobody is on call for {trade} from {} to {}",
                when(&from),
                when(&to)
            ));
        }
    }
    found
}

fn when(z: &Zoned) -> String {
    z.strftime("%a %b %-d %H:%M").to_string()
}

/// The job of the check on the local date of `at`, run at `at`: one per
/// business per day, whoever queues it.
pub fn job(business: &Business, at: Timestamp) -> NewJob {
    let date = at.to_zoned(business.tz.clone()).date();
    NewJob {
        dedupe_key: format!("coverage:{}:{date}", business.id),
        kind: "coverage".into(),
        contact_id: format!("coverage:{}", business.id),
        payload: json!({"business": business.number, "date": date.to_string()}),
        run_at: at.as_millisecond(),
    }
}

/// The next daily check after `now`: 08:00 local tomorrow.
pub fn next_check(business: &Business, now: Timestamp) -> Timestamp {
    let local = now.to_zoned(business.tz.clone());
    let tomorrow = local.date().checked_add(1.day()).unwrap_or(local.date());
    tomorrow
        .to_datetime(DAILY_AT)
        .to_zoned(business.tz.clone())
        .map_or(now, |z| z.timestamp())
}

/// Queues today's check, to run now, for every business.
///
/// # Errors
///
/// When the store fails.
pub async fn queue_all(app: &App) -> Result<(), store::Error> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    for business in &app.config.businesses {
        tx.enqueue(&job(business, now), now.as_millisecond())
            .await?;
    }
    tx.commit().await?;
    app.jobs_ready.notify_one();
    Ok(())
}

/// Runs one business's check: texts the owner what is found (nothing when
/// all is covered) and queues tomorrow's.
///
/// # Errors
///
/// When the store fails; a text Twilio refuses is logged, not retried
/// forever: tomorrow's check says it again.
pub async fn run(app: &App, business: &Business, job_id: &str) -> Result<(), store::Error> {
    let now = app.clock.now();
    let found = alarms(business, now);
    let ms = now.as_millisecond();
    let mut tx = app.store.begin().await?;
    tx.enqueue(&job(business, next_check(business, now)), ms)
        .await?;
    tx.commit().await?;
    if found.is_empty() {
        return Ok(());
    }
    warn!(business_id = %business.id, alarms = found.len(), "on-call coverage has holes");
    let text = format!(
        "{} coverage check: {}. Fix the rotation or an override, then `nightdesk check`.",
        business.name,
        found.join("; ")
    );
    let (Some(twilio), false) = (&app.twilio, business.owner.phone.is_empty()) else {
        return Ok(());
    };
    let id = format!("m_{}", job_id.trim_start_matches("job_"));
    let contact = format!("coverage:{}", business.id);
    let mut tx = app.store.begin().await?;
    if tx.messages(&contact).await?.iter().any(|m| m.id == id) {
        // An earlier attempt got this far; one alarm a day is enough.
        return Ok(());
    }
    tx.message(&MessageRow {
        id: id.clone(),
        contact_id: contact,
        kind: "sms".into(),
        recipient: business.owner.phone.clone(),
        role: "owner".into(),
        body: text.clone(),
        provider_sid: None,
        status: "sending".into(),
        error_code: None,
        created_at: ms,
    })
    .await?;
    tx.commit().await?;
    let sent = twilio
        .send_message(&business.number, &business.owner.phone, &text, None, &[])
        .await;
    let mut tx = app.store.begin().await?;
    match sent {
        Ok(m) => {
            tx.message_sent(&id, Some(&m.sid), &m.status, None, app.clock.millis())
                .await?;
            info!(business_id = %business.id, "coverage alarm texted to the owner");
        }
        Err(e) => {
            tx.message_sent(
                &id,
                None,
                "failed",
                e.code().map(i64::from),
                app.clock.millis(),
            )
            .await?;
            warn!(business_id = %business.id, error = %e, "coverage alarm not sent");
        }
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_bundled_businesses_are_covered_and_the_daily_check_is_at_eight() {
        let config = Config::embedded();
        let b = config.business("+16125550100").unwrap();
        let now: Timestamp = "2026-12-04T15:00:00Z".parse().unwrap();
        // Ahmed's number is a landline (the businesses README): the one alarm.
        assert_eq!(
            alarms(b, now),
            ["Ahmed Yusuf cannot take texts at +16125550132: alerts reach them only by a call"]
        );
        let palmetto = config.business("+18135550100").unwrap();
        assert_eq!(alarms(palmetto, now), Vec::<String>::new());
        // 08:00 Chicago on Saturday; across the March change, still 08:00.
        assert_eq!(next_check(b, now).to_string(), "2026-12-05T14:00:00Z");
        let before_dst: Timestamp = "2026-03-07T15:00:00Z".parse().unwrap();
        assert_eq!(
            next_check(b, before_dst).to_string(),
            "2026-03-08T13:00:00Z"
        );
    }
}
