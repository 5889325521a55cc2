//! The weather at the shop: the outdoor temperature and whether a
//! hurricane or tropical storm warning is in effect. The server reads it
//! through one `WeatherSource`; `replay` and the tests set it per case.

use std::sync::{Arc, Mutex};

use crate::intake::Weather;

/// Where the weather comes from.
#[derive(Clone, Debug)]
pub enum WeatherSource {
    /// Nothing known: the rules see no temperature and no warning.
    Unknown,
    /// Set by `replay` and the tests to each case's context.
    Set(Arc<Mutex<Weather>>),
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

    /// The weather now at the shop `(lat, lon)`.
    pub async fn current(&self, _shop: (f64, f64)) -> Weather {
        match self {
            WeatherSource::Unknown => Weather::default(),
            WeatherSource::Set(cell) => *cell.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }
}
