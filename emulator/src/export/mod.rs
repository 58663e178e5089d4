//! Where logs and traces leave the emulator: [`logpush`] (each stored log
//! entry, encrypted with the gateway's public key, in gzipped NDJSON
//! batches to a directory or an HTTP endpoint) and [`otlp`] (a span per
//! request to the gateway's OpenTelemetry collectors). Both run on their
//! own tasks, off the request path; a full queue drops rather than blocks.
pub mod logpush;
pub mod otlp;

/// The export tasks of one emulator.
#[derive(Clone)]
pub struct Exports {
    /// None: no `--logpush` destination, so nothing is pushed.
    pub logpush: Option<logpush::Pusher>,
    pub otlp: otlp::Exporter,
}

impl Exports {
    pub fn start(logpush: Option<&str>) -> Exports {
        Exports {
            logpush: logpush.map(|d| logpush::Pusher::start(logpush::Destination::parse(d))),
            otlp: otlp::Exporter::start(),
        }
    }
}
