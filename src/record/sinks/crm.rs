//! A CRM sink: the caller as a contact, the job as a deal, each receipt
//! version as a note on both. [`Crm`] is what a CRM or field-service
//! system must offer; [`Hubspot`] is the first (HubSpot CRM v3).
//!
//! Every record carries nightdesk's ids in properties the owner adds to
//! their portal (`nightdesk_contact_id` on deals, `nightdesk_receipt_id`
//! on notes), so each write searches first and a retry after a timeout
//! finds what the lost answer had created.

use serde_json::{json, Value};

use super::{Delivery, Error, Written};
use crate::twilio::Secret;

/// The caller as the CRM should know them.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub phone: String,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub zip: String,
}

/// The job: one per nightdesk contact, whatever its receipt version.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub contact_id: String,
    pub receipt_id: String,
    pub name: String,
    pub description: String,
}

/// One receipt version, as a note.
#[derive(Debug, Clone)]
pub struct NewNote {
    pub receipt_id: String,
    pub at: String,
    pub html: String,
}

/// What nightdesk needs from a CRM. Each `find_*` answers from what an
/// earlier, perhaps unacknowledged, `create_*` left there.
#[allow(async_fn_in_trait)]
pub trait Crm {
    /// The CRM's id of the person with this phone (E.164), if any.
    async fn find_person(&self, phone: &str) -> Result<Option<String>, Error>;
    async fn create_person(&self, p: &NewContact) -> Result<String, Error>;
    /// The job opened for a nightdesk contact, if any.
    async fn find_job(&self, contact_id: &str) -> Result<Option<String>, Error>;
    async fn create_job(&self, job: &NewJob, person: &str) -> Result<String, Error>;
    /// The note written for a receipt version, if any.
    async fn find_note(&self, receipt_id: &str) -> Result<Option<String>, Error>;
    async fn create_note(&self, note: &NewNote, person: &str, job: &str) -> Result<String, Error>;
}

/// Writes one receipt version: person, job and note, each found before
/// it is created.
///
/// # Errors
///
/// As the CRM's calls.
pub async fn record(crm: &impl Crm, d: &Delivery<'_>) -> Result<Written, Error> {
    let r = d.receipt;
    if crm.find_note(&r.receipt_id).await?.is_some() {
        return Ok(Written::AlreadyThere);
    }
    let phone = r.caller.callback_number.clone();
    let found = if phone.is_empty() {
        None
    } else {
        crm.find_person(&phone).await?
    };
    let person = match found {
        Some(id) => id,
        None => crm.create_person(&new_contact(d)).await?,
    };
    let job = match crm.find_job(&r.contact_id).await? {
        Some(id) => id,
        None => {
            let trade = r.trade.clone().unwrap_or_else(|| "call".into());
            let who = r.caller.name.clone().unwrap_or_else(|| "caller".into());
            let job = NewJob {
                contact_id: r.contact_id.clone(),
                receipt_id: r.receipt_id.clone(),
                name: format!("{trade} - {who} ({})", r.contact_id),
                description: r.issue.summary.clone(),
            };
            crm.create_job(&job, &person).await?
        }
    };
    let at = jiff::Timestamp::from_millisecond(d.now_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let note = NewNote {
        receipt_id: r.receipt_id.clone(),
        at,
        html: note_html(d),
    };
    crm.create_note(&note, &person, &job).await?;
    Ok(Written::New)
}

fn new_contact(d: &Delivery<'_>) -> NewContact {
    let r = d.receipt;
    let name = r.caller.name.clone().unwrap_or_default();
    let (first, last) = name
        .trim()
        .split_once(' ')
        .map_or((name.trim(), ""), |(a, b)| (a, b.trim()));
    NewContact {
        phone: r.caller.callback_number.clone(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        address: r
            .address
            .normalised
            .clone()
            .or_else(|| r.address.heard.clone())
            .unwrap_or_default(),
        zip: r.address.zip.clone().unwrap_or_default(),
    }
}

/// The note's body: limited HTML, caller text escaped.
fn note_html(d: &Delivery<'_>) -> String {
    let r = d.receipt;
    let said: Vec<String> = r.issue.words.iter().map(|(_, w)| escape(w)).collect();
    let lane = r.lane.as_deref().unwrap_or("open");
    let rule = r.rule.as_deref().unwrap_or("none");
    format!(
        "<p><b>nightdesk {}</b>: {}</p><p>Lane {} (rule {}), urgency {}.</p><p>Said: {}</p>",
        escape(&r.receipt_id),
        escape(&r.issue.summary),
        escape(lane),
        escape(rule),
        r.urgency.score,
        said.join(" / ")
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// HubSpot CRM v3 with a private app token.
#[derive(Debug)]
pub struct Hubspot {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

/// HubSpot's association type ids (HUBSPOT_DEFINED, direction matters).
const DEAL_TO_CONTACT: i64 = 3;
const NOTE_TO_CONTACT: i64 = 202;
const NOTE_TO_DEAL: i64 = 214;

impl Hubspot {
    pub fn new(http: reqwest::Client, api_base: &str, token: Secret) -> Hubspot {
        Hubspot {
            http,
            base: api_base.trim_end_matches('/').to_string(),
            token,
        }
    }

    async fn call(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let url = format!("{}{path}", self.base);
        let sent = self
            .http
            .post(url)
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await;
        let r = sent.map_err(|e| Error::from_reqwest("hubspot", &e))?;
        let status = r.status();
        let hint = super::retry_after(&r);
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        // A 409 names the record that already exists; the caller decides.
        if status.as_u16() == 409 {
            let message = answer["message"].as_str().unwrap_or("");
            if let Some(id) = message
                .rsplit("Existing ID: ")
                .next()
                .filter(|id| id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty())
            {
                return Ok(json!({"id": id}));
            }
        }
        let category = answer["category"]
            .as_str()
            .or(answer["errorType"].as_str())
            .unwrap_or("");
        let what = format!("hubspot {path} {category}");
        Err(Error::from_status(what.trim(), status, hint.as_deref()))
    }

    async fn search(
        &self,
        object: &str,
        property: &[&str],
        value: &str,
    ) -> Result<Option<String>, Error> {
        let groups: Vec<Value> = property
            .iter()
            .map(|p| json!({"filters": [{"propertyName": p, "operator": "EQ", "value": value}]}))
            .collect();
        let body = json!({"filterGroups": groups, "properties": ["hs_object_id"], "limit": 1});
        let found = self
            .call(&format!("/crm/v3/objects/{object}/search"), &body)
            .await?;
        Ok(found["results"]
            .get(0)
            .and_then(|r| r["id"].as_str())
            .map(str::to_string))
    }

    async fn create(
        &self,
        object: &str,
        properties: Value,
        to: &[(&str, i64)],
    ) -> Result<String, Error> {
        let associations: Vec<Value> = to
            .iter()
            .map(|(id, kind)| json!({"to": {"id": id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": kind}]}))
            .collect();
        let made = self
            .call(
                &format!("/crm/v3/objects/{object}"),
                &json!({"properties": properties, "associations": associations}),
            )
            .await?;
        made["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::retry(format!("hubspot {object}: no id in the answer")))
    }
}

impl Crm for Hubspot {
    async fn find_person(&self, phone: &str) -> Result<Option<String>, Error> {
        self.search("contacts", &["phone", "mobilephone"], phone)
            .await
    }

    async fn create_person(&self, p: &NewContact) -> Result<String, Error> {
        let properties = json!({
            "firstname": p.first_name, "lastname": p.last_name, "phone": p.phone,
            "address": p.address, "zip": p.zip, "lifecyclestage": "lead",
        });
        self.create("contacts", properties, &[]).await
    }

    async fn find_job(&self, contact_id: &str) -> Result<Option<String>, Error> {
        self.search("deals", &["nightdesk_contact_id"], contact_id)
            .await
    }

    async fn create_job(&self, job: &NewJob, person: &str) -> Result<String, Error> {
        let properties = json!({
            "dealname": job.name, "pipeline": "default", "dealstage": "appointmentscheduled",
            "description": job.description, "nightdesk_contact_id": job.contact_id,
            "nightdesk_receipt_id": job.receipt_id,
        });
        self.create("deals", properties, &[(person, DEAL_TO_CONTACT)])
            .await
    }

    async fn find_note(&self, receipt_id: &str) -> Result<Option<String>, Error> {
        self.search("notes", &["nightdesk_receipt_id"], receipt_id)
            .await
    }

    async fn create_note(&self, note: &NewNote, person: &str, job: &str) -> Result<String, Error> {
        let properties = json!({"hs_timestamp": note.at, "hs_note_body": note.html, "nightdesk_receipt_id": note.receipt_id});
        self.create(
            "notes",
            properties,
            &[(person, NOTE_TO_CONTACT), (job, NOTE_TO_DEAL)],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_text_is_escaped_in_the_note() {
        assert_eq!(
            escape("<script>alert('x')</script> & co"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"
        );
    }
}
