//! The National Weather Service API (api.weather.gov): the outdoor
//! temperature at the shop and whether a hurricane or tropical storm
//! warning is in effect there.
//!
//! The latest station observation is read first (always metric), the
//! hourly forecast when the station did not report; warnings come from
//! the active alerts at the shop's point. Answers are cached a few
//! minutes per shop: the weather does not change between two turns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::intake::Weather;

/// How long an answer is reused, by the server's clock.
const FRESH: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("weather service: {0}")]
    Http(#[from] reqwest::Error),
    #[error("weather service answered {status}")]
    Status { status: u16 },
    #[error("weather service answer lacks {0}")]
    Shape(&'static str),
}

/// A client for the NWS API at `base` (a stand-in in tests).
#[derive(Clone, Debug)]
pub struct Nws {
    base: String,
    http: reqwest::Client,
    cache: Arc<Mutex<HashMap<String, (Timestamp, Weather)>>>,
}

impl Nws {
    /// # Errors
    ///
    /// When the HTTP client cannot be built.
    pub fn new(base: &str) -> Result<Nws, Error> {
        let http = reqwest::Client::builder()
            .user_agent("(nightdesk, ops@nightdesk.example)")
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(4))
            .build()?;
        Ok(Nws {
            base: base.trim_end_matches('/').to_string(),
            http,
            cache: Arc::default(),
        })
    }

    /// The weather at `(lat, lon)` now, from the cache when fresh.
    ///
    /// # Errors
    ///
    /// When the service cannot be reached or answers something unusable;
    /// the caller falls back to what it knew.
    pub async fn current(
        &self,
        shop: (f64, f64),
        station: Option<&str>,
        now: Timestamp,
    ) -> Result<Weather, Error> {
        let point = format!("{:.4},{:.4}", shop.0, shop.1).replace(".0000", "");
        if let Some((at, w)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&point)
        {
            if now.duration_since(*at).abs() < FRESH {
                return Ok(*w);
            }
        }
        let temperature = self.temperature(&point, station).await?;
        let warning = self.hurricane_warning(&point, now).await?;
        let weather = Weather {
            outdoor_temp_f: temperature,
            hurricane_warning: warning,
        };
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(point, (now, weather));
        Ok(weather)
    }

    /// GETs a path (or an absolute URL of the real service, whose path is
    /// taken, so links in answers work against a stand-in too).
    async fn get(&self, path_or_url: &str) -> Result<Value, Error> {
        let path = match path_or_url.find("://") {
            Some(i) => path_or_url[i + 3..]
                .find('/')
                .map_or("/", |j| &path_or_url[i + 3 + j..]),
            None => path_or_url,
        };
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Accept", "application/geo+json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(Error::Status {
                status: response.status().as_u16(),
            });
        }
        Ok(response.json().await?)
    }

    async fn temperature(&self, point: &str, station: Option<&str>) -> Result<Option<f64>, Error> {
        let points = self.get(&format!("/points/{point}")).await?;
        let props = &points["properties"];
        let station = match station {
            Some(s) => s.to_string(),
            None => {
                let list = props["observationStations"]
                    .as_str()
                    .ok_or(Error::Shape("observationStations"))?;
                let stations = self.get(list).await?;
                stations["features"][0]["properties"]["stationIdentifier"]
                    .as_str()
                    .ok_or(Error::Shape("a station"))?
                    .to_string()
            }
        };
        let observed = self
            .get(&format!("/stations/{station}/observations/latest"))
            .await?;
        if let Some(f) = fahrenheit(&observed["properties"]["temperature"]) {
            return Ok(Some(f));
        }
        // The station did not report: the current hour of the forecast.
        let hourly = props["forecastHourly"]
            .as_str()
            .ok_or(Error::Shape("forecastHourly"))?;
        let forecast = self.get(hourly).await?;
        Ok(fahrenheit(
            &forecast["properties"]["periods"][0]["temperature"],
        ))
    }

    async fn hurricane_warning(&self, point: &str, now: Timestamp) -> Result<bool, Error> {
        let alerts = self.get(&format!("/alerts/active?point={point}")).await?;
        let features = alerts["features"].as_array().cloned().unwrap_or_default();
        Ok(features.iter().any(|f| in_effect(&f["properties"], now)))
    }
}

/// °F from an NWS temperature: an integer (°F, forecasts in US units) or a
/// `{unitCode, value}` quantity in °C or °F; `None` when the value is null.
pub fn fahrenheit(v: &Value) -> Option<f64> {
    if let Some(f) = v.as_f64() {
        return Some(f);
    }
    let value = v["value"].as_f64()?;
    let unit = v["unitCode"].as_str().unwrap_or("");
    let unit = unit.rsplit(':').next().unwrap_or(unit);
    match unit {
        "degC" => Some(value * 9.0 / 5.0 + 32.0),
        "degF" => Some(value),
        _ => None,
    }
}

/// Whether an alert is a hurricane or tropical storm warning in effect at
/// `now`, per the NWS's own fields.
pub fn in_effect(p: &Value, now: Timestamp) -> bool {
    let event = p["event"].as_str().unwrap_or("");
    let code = p["eventCode"]["NationalWeatherService"][0]
        .as_str()
        .unwrap_or("");
    let kind = matches!(event, "Hurricane Warning" | "Tropical Storm Warning")
        || matches!(code, "HUW" | "TRW");
    let time = |k: &str| p[k].as_str().and_then(|t| t.parse::<Timestamp>().ok());
    let started = time("onset")
        .or_else(|| time("effective"))
        .is_none_or(|t| t <= now);
    let running = match (time("ends"), time("expires")) {
        (Some(ends), _) => now < ends,
        (None, Some(expires)) => now < expires,
        (None, None) => true,
    };
    kind && p["status"] == "Actual" && p["messageType"] != "Cancel" && started && running
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/weather/");
        serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
    }

    #[test]
    fn converts_at_the_tier_bounds() {
        let c = |v: f64| {
            fahrenheit(&serde_json::json!({"unitCode": "wmoUnit:degC", "value": v})).unwrap()
        };
        assert!(c(-17.8) <= 0.0);
        assert!(c(-17.7) > 0.0);
        assert_eq!(fahrenheit(&serde_json::json!(28)), Some(28.0));
        assert_eq!(
            fahrenheit(&serde_json::json!({"unitCode": "wmoUnit:degC", "value": null})),
            None
        );
        let observed = fixture("stations-KMSP-observations-latest.json");
        let f = fahrenheit(&observed["properties"]["temperature"]).unwrap();
        assert!((f - (-14.98)).abs() < 0.01, "{f}");
    }

    #[test]
    fn reads_warnings_in_effect() {
        let cold = fixture("alerts-active-point-44.9778,-93.265.extreme-cold.json");
        let at: Timestamp = "2026-01-03T08:40:00Z".parse().unwrap();
        assert!(!cold["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| in_effect(&f["properties"], at)));
        let hurricane = serde_json::json!({
            "event": "Hurricane Warning", "status": "Actual", "messageType": "Update",
            "onset": "2026-09-28T05:00:00-04:00", "ends": null, "expires": "2026-09-28T17:00:00-04:00"
        });
        assert!(in_effect(
            &hurricane,
            "2026-09-28T12:00:00Z".parse().unwrap()
        ));
        assert!(!in_effect(
            &hurricane,
            "2026-09-29T12:00:00Z".parse().unwrap()
        ));
    }
}
