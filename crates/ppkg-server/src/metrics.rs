//! Prometheus metrics (text exposition format 0.0.4 via `prometheus-client`).
//!
//! - `ppkg_http_requests_total{route,method,status}`: requests answered.
//! - `ppkg_http_request_duration_seconds{route}`: time to the response head.
//! - `ppkg_packages_built_total`: packages built (single and bulk).
//! - `ppkg_http_in_flight`: requests being served.
//! - `ppkg_templates_loaded`, `ppkg_template_reloads_total{result}`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

fn duration_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
    ])
}

/// The server's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabel, Histogram, fn() -> Histogram>,
    /// Packages built.
    pub packages: Counter,
    /// Requests in flight.
    pub in_flight: Gauge,
    /// Templates in the served set.
    pub templates: Gauge,
    reloads: Family<ResultLabel, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ppkg");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let packages = Counter::default();
        let in_flight = Gauge::default();
        let templates = Gauge::default();
        let reloads = Family::<ResultLabel, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, seconds",
            durations.clone(),
        );
        registry.register("packages_built", "Packages built", packages.clone());
        registry.register("http_in_flight", "Requests being served", in_flight.clone());
        registry.register("templates_loaded", "Templates served", templates.clone());
        registry.register(
            "template_reloads",
            "Template reloads by result",
            reloads.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            packages,
            in_flight,
            templates,
            reloads,
        }
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabel {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Records a template reload (`ok` or `failed`).
    pub fn reload(&self, ok: bool) {
        self.reloads
            .get_or_create(&ResultLabel {
                result: if ok { "ok" } else { "failed" }.to_owned(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}
