//! The weather at the shop: the outdoor temperature and whether a
//! hurricane or tropical storm warning is in effect. The server reads it
//! through one `WeatherSource`; `replay` and the tests set it per case.

pub mod nws;
pub mod standin;

use std::sync::{Arc, Mutex};

use crate::intake::Weather;

/// Where the weather comes from.
#[derive(Clone, Debug)]
pub enum WeatherSource {
    /// Nothing known: the rules see no temperature and no warning.
    Unknown,
    /// Set by unit tests directly.
    Set(Arc<Mutex<Weather>>),
    /// The National Weather Service (or its stand-in), with the last good
    /// answer kept for when it fails.
    Nws(nws::Nws, Arc<Mutex<Weather>>),
}

impl WeatherSource {
    pub fn settable() -> WeatherSource {
        WeatherSource::Set(Arc::new(Mutex::new(Weather::default())))
    }

    /// Sets the weather a `Set` source reports.
    pub fn set(&self, weather: Weather) {
        if let WeatherSource::Set(cell) = self {
            *cell.lock().unwrap_or_else(|e| e.into_inner()) = weather;
        }
    }

    /// The NWS at `base` (https://api.weather.gov in production).
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built.
    pub fn nws(base: &str) -> Result<WeatherSource, nws::Error> {
        Ok(WeatherSource::Nws(nws::Nws::new(base)?, Arc::default()))
    }

    /// The weather now at the shop `(lat, lon)`. A failing service leaves
    /// the last good answer in force, with a warning in the log.
    pub async fn current(
        &self,
        shop: (f64, f64),
        station: Option<&str>,
        now: jiff::Timestamp,
    ) -> Weather {
        match self {
            WeatherSource::Unknown => Weather::default(),
            WeatherSource::Set(cell) => *cell.lock().unwrap_or_else(|e| e.into_inner()),
            WeatherSource::Nws(client, last) => match client.current(shop, station, now).await {
                Ok(w) => {
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = w;
                    w
                }
                Err(e) => {
                    tracing::warn!(error = %e, "weather unavailable; using the last known");
                    *last.lock().unwrap_or_else(|e| e.into_inner())
                }
            },
        }
    }
}
