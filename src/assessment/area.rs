//! The ZIP table and the service-area decision: is the caller's ZIP one the
//! contractor serves? Kept apart from address parsing because it owns the
//! embedded ZIP data and the geometry, and because a ZIP can come from a
//! text message or a form as well as from a parsed address.

use std::collections::HashSet;
use std::sync::LazyLock;

use geo::{Closest, ClosestPoint, Distance, HaversineMeasure, Intersects, MultiPolygon, Point};

/// The Earth radius in statute miles that the service lists were built with.
const EARTH_RADIUS_MILES: f64 = 3958.8;

const ZIPS_CSV: &str = include_str!("../../data/geo/zips.csv");

static ZIP_TABLE: LazyLock<ZipTable> = LazyLock::new(|| ZipTable::parse(ZIPS_CSV));

/// Why a service area could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    /// The GeoJSON text did not parse; the file must be fixed.
    #[error("invalid geojson: {0}")]
    GeoJson(#[source] Box<geojson::Error>),
    /// The GeoJSON holds a geometry other than a polygon.
    #[error("unsupported geometry {0} in service area; expected Polygon or MultiPolygon")]
    UnsupportedGeometry(&'static str),
    /// The GeoJSON holds no polygon at all.
    #[error("service area geojson holds no polygon")]
    NoPolygon,
    /// A line of a ZIP list is not a five-digit ZIP.
    #[error("line {line}: {text:?} is not a five-digit zip")]
    BadZip { line: usize, text: String },
}

impl From<geojson::Error> for AreaError {
    fn from(error: geojson::Error) -> Self {
        AreaError::GeoJson(Box::new(error))
    }
}

/// Where a ZIP's point comes from; only Census points describe a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordSource {
    /// The internal point of the 2021 Census ZCTA: inside the ZIP's area.
    CensusZcta2021,
    /// A package point: often a post office or a county centre.
    Zipcodes,
    /// No point at all.
    None,
}

/// The USPS kind of a ZIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipType {
    Standard,
    PoBox,
    Unique,
    Military,
}

/// One row of the ZIP table.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipInfo {
    pub zip: String,
    /// The USPS preferred city, as the source spells it (`Saint Paul`).
    pub city: String,
    pub state: String,
    pub county: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub coord_source: CoordSource,
    /// IANA time zone; `None` only for military ZIPs.
    pub timezone: Option<String>,
    pub zip_type: ZipType,
    /// False for retired ZIPs that the source still lists.
    pub active: bool,
    /// True when the ZIP is a 2021 Census ZCTA (covers addresses).
    pub zcta: bool,
    /// Other city names USPS accepts for this ZIP.
    pub acceptable_cities: Vec<String>,
}

impl ZipInfo {
    /// The ZIP's Census point as (lat, lon), the only point fit to measure
    /// a service area with; `None` for package points and missing ones.
    pub fn census_point(&self) -> Option<(f64, f64)> {
        match (self.coord_source, self.lat, self.lon) {
            (CoordSource::CensusZcta2021, Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        }
    }

    /// The preferred city followed by the acceptable ones.
    pub fn city_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.city.as_str()).chain(self.acceptable_cities.iter().map(String::as_str))
    }
}

/// Every US ZIP code, sorted by ZIP.
#[derive(Debug)]
pub struct ZipTable {
    rows: Vec<ZipInfo>,
}

/// The ZIP table embedded in the binary, parsed on first use.
pub fn zip_table() -> &'static ZipTable {
    &ZIP_TABLE
}

impl ZipTable {
    /// Parses `zips.csv`. The file is embedded and checked by the tests, so
    /// a malformed row is skipped rather than reported.
    fn parse(text: &str) -> ZipTable {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut rows = Vec::with_capacity(text.len() / 100);
        while reader.read_record(&mut record).unwrap_or(false) {
            rows.extend(zip_info(&record));
        }
        rows.sort_unstable_by(|a, b| a.zip.cmp(&b.zip));
        ZipTable { rows }
    }

    /// The row of a five-digit ZIP, if the table has it.
    pub fn get(&self, zip: &str) -> Option<&ZipInfo> {
        let at = self
            .rows
            .binary_search_by(|row| row.zip.as_str().cmp(zip))
            .ok()?;
        Some(&self.rows[at])
    }

    /// All rows, in ZIP order.
    pub fn iter(&self) -> impl Iterator<Item = &ZipInfo> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn zip_info(record: &csv::StringRecord) -> Option<ZipInfo> {
    let field = |i: usize| record.get(i).unwrap_or("");
    let text = |i: usize| Some(field(i).to_string()).filter(|s| !s.is_empty());
    let coord_source = match field(6) {
        "census_zcta_2021" => CoordSource::CensusZcta2021,
        "zipcodes" => CoordSource::Zipcodes,
        _ => CoordSource::None,
    };
    let zip_type = match field(8) {
        "PO BOX" => ZipType::PoBox,
        "UNIQUE" => ZipType::Unique,
        "MILITARY" => ZipType::Military,
        _ => ZipType::Standard,
    };
    let acceptable_cities = field(11)
        .split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Some(ZipInfo {
        zip: text(0)?,
        city: field(1).to_string(),
        state: field(2).to_string(),
        county: field(3).to_string(),
        lat: field(4).parse().ok(),
        lon: field(5).parse().ok(),
        coord_source,
        timezone: text(7),
        zip_type,
        active: field(9) == "true",
        zcta: field(10) == "true",
        acceptable_cities,
    })
}

/// Great-circle miles between two (lat, lon) points: the haversine formula
/// with the Earth radius the service lists were built with (3958.8 mi).
pub fn miles_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    HaversineMeasure::new(EARTH_RADIUS_MILES).distance(lon_lat(a), lon_lat(b))
}

fn lon_lat((lat, lon): (f64, f64)) -> Point<f64> {
    Point::new(lon, lat)
}

/// One way a contractor draws the service area.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaRule {
    /// An explicit list of five-digit ZIPs.
    Zips(HashSet<String>),
    /// Every ZIP whose Census point is within `miles` of the shop (lat, lon).
    Radius { shop: (f64, f64), miles: f64 },
    /// Every ZIP whose Census point is inside or on the polygon
    /// (x = longitude, y = latitude).
    Polygon(MultiPolygon<f64>),
}

impl AreaRule {
    /// Reads a ZIP list: one ZIP a line; blank lines and `#` comments are
    /// skipped.
    ///
    /// # Errors
    ///
    /// [`AreaError::BadZip`] names the first line that is not five digits.
    pub fn zips_from_list(text: &str) -> Result<AreaRule, AreaError> {
        let mut zips = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.len() != 5 || !line.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AreaError::BadZip {
                    line: i + 1,
                    text: line.to_string(),
                });
            }
            zips.insert(line.to_string());
        }
        Ok(AreaRule::Zips(zips))
    }
}

/// Reads the polygons of a GeoJSON FeatureCollection, Feature or bare
/// Geometry. GeoJSON orders positions [lon, lat], which is the x, y order
/// that [`AreaRule::Polygon`] expects.
///
/// # Errors
///
/// [`AreaError::GeoJson`] when the text is not GeoJSON,
/// [`AreaError::UnsupportedGeometry`] for points, lines and the like, and
/// [`AreaError::NoPolygon`] when nothing is left.
pub fn polygon_from_geojson(text: &str) -> Result<MultiPolygon<f64>, AreaError> {
    let parsed = text.parse::<geojson::GeoJson>().map_err(AreaError::from)?;
    let geometries: Vec<geojson::Geometry> = match parsed {
        geojson::GeoJson::Geometry(geometry) => vec![geometry],
        geojson::GeoJson::Feature(feature) => feature.geometry.into_iter().collect(),
        geojson::GeoJson::FeatureCollection(collection) => collection
            .features
            .into_iter()
            .filter_map(|f| f.geometry)
            .collect(),
    };

    let mut polygons = Vec::new();
    for geometry in geometries {
        match geo::Geometry::<f64>::try_from(geometry.value).map_err(AreaError::from)? {
            geo::Geometry::Polygon(polygon) => polygons.push(polygon),
            geo::Geometry::MultiPolygon(multi) => polygons.extend(multi),
            other => return Err(AreaError::UnsupportedGeometry(geometry_name(&other))),
        }
    }

    if polygons.is_empty() {
        return Err(AreaError::NoPolygon);
    }
    Ok(MultiPolygon::new(polygons))
}

fn geometry_name(geometry: &geo::Geometry<f64>) -> &'static str {
    match geometry {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::LineString(_) | geo::Geometry::Line(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry",
    }
}

/// The contractor's service area: a ZIP is in when any rule admits it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceArea {
    pub rules: Vec<AreaRule>,
}

/// Whether a ZIP is served, and a sentence an owner can read saying why.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaDecision {
    /// `None` when there was no ZIP to decide on: the dialog must ask.
    pub in_area: Option<bool>,
    pub reason: String,
}

/// How far a ZIP fell outside one rule.
struct Miss {
    /// Miles beyond the radius or the polygon edge; `None` for a list.
    miles_out: Option<f64>,
    reason: String,
}

impl ServiceArea {
    /// Decides on the caller's ZIP against the embedded ZIP table.
    ///
    /// Radius and polygon rules measure from the ZIP's Census point only:
    /// package points are post offices or county centres, so a ZIP without
    /// a Census point can be admitted by a list alone.
    pub fn decide(&self, zip: Option<&str>) -> AreaDecision {
        let Some(zip) = zip else {
            return decision(None, "no ZIP was given".to_string());
        };
        let Some(row) = zip_table().get(zip) else {
            return decision(Some(false), format!("ZIP {zip} is not a known ZIP code"));
        };

        let mut misses = Vec::new();
        for rule in &self.rules {
            match judge(rule, row) {
                Ok(admitted) => return decision(Some(true), admitted),
                Err(miss) => misses.push(miss),
            }
        }
        decision(Some(false), nearest_miss(zip, misses))
    }
}

fn decision(in_area: Option<bool>, reason: String) -> AreaDecision {
    AreaDecision { in_area, reason }
}

/// `Ok(reason)` when the rule admits the ZIP, else how it missed.
fn judge(rule: &AreaRule, row: &ZipInfo) -> Result<String, Miss> {
    let zip = &row.zip;
    let no_point = || Miss {
        miles_out: None,
        reason: format!(
            "ZIP {zip} has no Census point, so no distance or polygon rule can admit it"
        ),
    };
    match rule {
        AreaRule::Zips(zips) if zips.contains(zip) => {
            Ok(format!("ZIP {zip} is on the service list"))
        }
        AreaRule::Zips(_) => Err(Miss {
            miles_out: None,
            reason: format!("ZIP {zip} is not on the service list"),
        }),
        AreaRule::Radius { shop, miles } => {
            let point = row.census_point().ok_or_else(no_point)?;
            let distance = miles_between(*shop, point);
            let reason = format!("ZIP {zip} is {distance:.2} miles from the shop (limit {miles})");
            if distance <= *miles {
                Ok(reason)
            } else {
                Err(Miss {
                    miles_out: Some(distance - miles),
                    reason,
                })
            }
        }
        AreaRule::Polygon(area) => {
            let point = row.census_point().ok_or_else(no_point)?;
            if area.intersects(&lon_lat(point)) {
                return Ok(format!(
                    "ZIP {zip}'s point is inside the service-area polygon"
                ));
            }
            let out = miles_outside(area, point);
            let reason = match out {
                Some(out) => format!(
                    "ZIP {zip}'s point is outside the service-area polygon, \
                     {out:.2} miles from its edge"
                ),
                None => format!("ZIP {zip}'s point is outside the service-area polygon"),
            };
            Err(Miss {
                miles_out: out,
                reason,
            })
        }
    }
}

/// Miles from a point to the nearest point of the polygon's edge. The
/// nearest point is found in degrees, which is close enough to describe a
/// miss; the distance itself is a haversine one.
fn miles_outside(area: &MultiPolygon<f64>, point: (f64, f64)) -> Option<f64> {
    match area.closest_point(&lon_lat(point)) {
        Closest::SinglePoint(near) | Closest::Intersection(near) => {
            Some(miles_between(point, (near.y(), near.x())))
        }
        Closest::Indeterminate => None,
    }
}

/// The miss an owner most wants to hear: the smallest distance outside,
/// or, when nothing was measured, every rule's reason.
fn nearest_miss(zip: &str, misses: Vec<Miss>) -> String {
    let measured = misses
        .iter()
        .filter_map(|m| m.miles_out.map(|out| (out, m)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, miss)) = measured {
        return miss.reason.clone();
    }
    let mut reasons: Vec<String> = misses.into_iter().map(|m| m.reason).collect();
    reasons.dedup();
    match reasons.is_empty() {
        true => format!("ZIP {zip} is outside the service area: no rule is set"),
        false => reasons.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a file of the shared data set from the main crate (`shared/`
    /// beside it) or from a scratch crate one level deeper.
    fn shared_data(name: &str) -> String {
        let root = env!("CARGO_MANIFEST_DIR");
        ["..", "../.."]
            .iter()
            .map(|up| format!("{root}/{up}/shared/data/geo/{name}"))
            .find_map(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_else(|| panic!("shared/data/geo/{name} not found"))
    }

    struct Metro {
        shop: (f64, f64),
        miles: f64,
        list: AreaRule,
        polygon: MultiPolygon<f64>,
    }

    fn metro(name: &str) -> Metro {
        let (shop, miles, list, geojson) = match name {
            "msp" => (
                (44.9778, -93.2650),
                20.0,
                include_str!("../../data/geo/msp-service-zips.txt"),
                include_str!("../../data/geo/msp-service-area.geojson"),
            ),
            _ => (
                (27.9506, -82.4572),
                25.0,
                include_str!("../../data/geo/tpa-service-zips.txt"),
                include_str!("../../data/geo/tpa-service-area.geojson"),
            ),
        };
        Metro {
            shop,
            miles,
            list: AreaRule::zips_from_list(list).unwrap(),
            polygon: polygon_from_geojson(geojson).unwrap(),
        }
    }

    /// One table row of edge-zips.md, the metro it falls under, and its cells.
    fn edge_rows() -> Vec<(&'static str, Vec<String>)> {
        let text = shared_data("edge-zips.md");
        let mut metro = "";
        let mut rows = Vec::new();
        for line in text.lines() {
            if line.starts_with("## Minneapolis") {
                metro = "msp";
            } else if line.starts_with("## Tampa") {
                metro = "tpa";
            }
            let cells: Vec<String> = line.split('|').map(|c| c.trim().to_string()).collect();
            let numeric = cells
                .get(1)
                .is_some_and(|c| c.len() == 5 && c.parse::<u32>().is_ok());
            if line.starts_with('|') && numeric {
                rows.push((metro, cells[1..cells.len() - 1].to_vec()));
            }
        }
        rows
    }

    /// Runs one rule alone on a ZIP and compares with the expected answer.
    fn check(rule: &AreaRule, zip: &str, want_in: bool) -> AreaDecision {
        let area = ServiceArea {
            rules: vec![rule.clone()],
        };
        let got = area.decide(Some(zip));
        assert_eq!(got.in_area, Some(want_in), "ZIP {zip}: {}", got.reason);
        got
    }

    #[test]
    fn edge_zips_reproduce_for_list_radius_and_polygon() {
        let rows = edge_rows();
        assert_eq!(rows.len(), 60);
        for (name, cells) in rows {
            let m = metro(name);
            let yes = |c: &str| c == "yes";
            if cells.len() == 7 {
                let (zip, miles, in_list, in_polygon) =
                    (&cells[0], &cells[2], yes(&cells[3]), yes(&cells[4]));
                check(&m.list, zip, in_list);
                let radius = AreaRule::Radius {
                    shop: m.shop,
                    miles: m.miles,
                };
                let decision = check(&radius, zip, in_list);
                assert!(
                    decision.reason.contains(&format!("is {miles} miles")),
                    "{}",
                    decision.reason
                );
                check(&AreaRule::Polygon(m.polygon.clone()), zip, in_polygon);
            } else {
                let point: (f64, f64) = (cells[2].parse().unwrap(), cells[3].parse().unwrap());
                let inside = m.polygon.intersects(&lon_lat(point));
                assert_eq!(inside, yes(&cells[5]), "probe {cells:?}");
                assert_eq!(format!("{:.2}", miles_between(m.shop, point)), cells[4]);
            }
        }
    }

    #[test]
    fn whole_lists_match_the_radius_rule() {
        for name in ["msp", "tpa"] {
            let m = metro(name);
            let AreaRule::Zips(list) = &m.list else {
                unreachable!()
            };
            let by_radius: HashSet<String> = zip_table()
                .iter()
                .filter(|row| row.active)
                .filter(|row| {
                    row.census_point()
                        .is_some_and(|p| miles_between(m.shop, p) <= m.miles)
                })
                .map(|row| row.zip.clone())
                .collect();
            assert_eq!(*list, by_radius, "{name}");
        }
    }

    #[test]
    fn reasons_say_which_rule_admits_or_how_near_the_miss() {
        let m = metro("msp");
        let area = ServiceArea {
            rules: vec![
                m.list.clone(),
                AreaRule::Radius {
                    shop: m.shop,
                    miles: m.miles,
                },
                AreaRule::Polygon(m.polygon.clone()),
            ],
        };
        assert_eq!(
            area.decide(Some("55406")).reason,
            "ZIP 55406 is on the service list"
        );
        assert_eq!(
            area.decide(None),
            AreaDecision {
                in_area: None,
                reason: "no ZIP was given".into()
            }
        );

        let shakopee = area.decide(Some("55379"));
        assert_eq!(shakopee.in_area, Some(false));
        assert!(
            shakopee
                .reason
                .contains("20.15 miles from the shop (limit 20)"),
            "{}",
            shakopee.reason
        );

        let radius_only = ServiceArea {
            rules: vec![AreaRule::Radius {
                shop: m.shop,
                miles: 20.0,
            }],
        };
        let cottage_grove = radius_only.decide(Some("55016"));
        assert_eq!(
            cottage_grove.reason,
            "ZIP 55016 is 19.67 miles from the shop (limit 20)"
        );

        let polygon_only = ServiceArea {
            rules: vec![AreaRule::Polygon(m.polygon.clone())],
        };
        let andover = polygon_only.decide(Some("55304"));
        assert_eq!(
            andover.reason,
            "ZIP 55304's point is inside the service-area polygon"
        );
    }

    #[test]
    fn zips_without_a_census_point_are_not_measured() {
        // 55440 is a PO Box ZIP downtown: within a mile of the shop, but its
        // point is a post office, so only a list could admit it.
        let m = metro("msp");
        let area = ServiceArea {
            rules: vec![
                AreaRule::Radius {
                    shop: m.shop,
                    miles: m.miles,
                },
                AreaRule::Polygon(m.polygon),
            ],
        };
        let got = area.decide(Some("55440"));
        assert_eq!(got.in_area, Some(false));
        assert!(got.reason.contains("no Census point"), "{}", got.reason);
    }

    #[test]
    fn unknown_zip_is_out_and_says_so() {
        let area = ServiceArea {
            rules: vec![AreaRule::Zips(HashSet::from(["99999".to_string()]))],
        };
        let got = area.decide(Some("99999"));
        assert_eq!(got.in_area, Some(false));
        assert_eq!(got.reason, "ZIP 99999 is not a known ZIP code");
    }

    #[test]
    fn zip_table_rows_and_load_time() {
        let started = std::time::Instant::now();
        let table = ZipTable::parse(ZIPS_CSV);
        println!("zips.csv parsed in {:?}", started.elapsed());
        assert_eq!(table.len(), 42_789);

        let row = zip_table().get("55113").unwrap();
        assert_eq!(
            (row.city.as_str(), row.state.as_str()),
            ("Saint Paul", "MN")
        );
        assert!(row.acceptable_cities.iter().any(|c| c == "Roseville"));
        assert_eq!(row.timezone.as_deref(), Some("America/Chicago"));
        assert!(row.census_point().is_some() && row.active && row.zcta);
        assert_eq!(
            zip_table().get("00501").map(|r| r.coord_source),
            Some(CoordSource::Zipcodes)
        );
        assert!(zip_table().get("99999").is_none());
    }

    #[test]
    fn geojson_errors_are_reported() {
        assert!(matches!(
            polygon_from_geojson("{"),
            Err(AreaError::GeoJson(_))
        ));
        let point = r#"{"type": "Point", "coordinates": [-93.2, 44.9]}"#;
        assert!(matches!(
            polygon_from_geojson(point),
            Err(AreaError::UnsupportedGeometry("Point"))
        ));
        let empty = r#"{"type": "FeatureCollection", "features": []}"#;
        assert!(matches!(
            polygon_from_geojson(empty),
            Err(AreaError::NoPolygon)
        ));
        let bad = AreaRule::zips_from_list("# header\n55406\n5540\n").unwrap_err();
        assert_eq!(bad.to_string(), "line 3: \"5540\" is not a five-digit zip");
    }
}
