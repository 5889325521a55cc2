//! A local stand-in for the NWS API, serving the weather a test or a
//! replay sets: the same paths and shapes as api.weather.gov.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::intake::Weather;

/// A running stand-in; dropping it stops the server.
pub struct WeatherStandIn {
    pub base_url: String,
    now: Arc<Mutex<Weather>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WeatherStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WeatherStandIn {
    /// Starts on 127.0.0.1:0.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<WeatherStandIn> {
        let now: Arc<Mutex<Weather>> = Arc::default();
        let app = Router::new()
            .route("/points/{point}", get(points))
            .route("/stations/{id}/observations/latest", get(observation))
            .route("/gridpoints/{office}/{grid}/forecast/hourly", get(hourly))
            .route("/alerts/active", get(alerts))
            .with_state(now.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WeatherStandIn {
            base_url,
            now,
            task,
        })
    }

    /// Sets the weather every shop sees from now on.
    pub fn set(&self, weather: Weather) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = weather;
    }
}

type Shared = State<Arc<Mutex<Weather>>>;

fn read(state: &Shared) -> Weather {
    *state.0.lock().unwrap_or_else(|e| e.into_inner())
}

async fn points(Path(point): Path<String>) -> Json<Value> {
    Json(json!({
        "id": format!("https://api.weather.gov/points/{point}"),
        "type": "Feature",
        "properties": {
            "gridId": "STD", "gridX": 1, "gridY": 1,
            "forecastHourly": "https://api.weather.gov/gridpoints/STD/1,1/forecast/hourly",
            "observationStations": "https://api.weather.gov/gridpoints/STD/1,1/stations",
        }
    }))
}

async fn observation(state: Shared, Path(_id): Path<String>) -> Json<Value> {
    let value = read(&state).outdoor_temp_f.map(|f| (f - 32.0) * 5.0 / 9.0);
    Json(
        json!({"properties": {"temperature": {"unitCode": "wmoUnit:degC", "value": value, "qualityControl": "V"}}}),
    )
}

async fn hourly(state: Shared, Path((_o, _g)): Path<(String, String)>) -> Json<Value> {
    let value = read(&state).outdoor_temp_f;
    Json(
        json!({"properties": {"periods": [{"number": 1, "temperature": value, "temperatureUnit": "F"}]}}),
    )
}

async fn alerts(state: Shared) -> Json<Value> {
    let features = if read(&state).hurricane_warning {
        vec![json!({"properties": {
            "event": "Hurricane Warning", "status": "Actual", "messageType": "Alert",
            "eventCode": {"NationalWeatherService": ["HUW"]},
            "onset": "2000-01-01T00:00:00Z", "ends": null, "expires": "2100-01-01T00:00:00Z"
        }})]
    } else {
        Vec::new()
    };
    Json(json!({"type": "FeatureCollection", "features": features}))
}
