//! The log format of `serve`: one JSON object per line on stdout, as the partner SDK asks:
//! `{"level":"INFO","message":"...","message-origin":"sdk_connector"}`, with the levels `INFO`,
//! `WARNING` and `SEVERE` only. The secrets of every configuration the process has been given
//! are hidden in every line, whoever logged it.

use std::sync::{LazyLock, RwLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

use crate::config::Redactor;

/// The secrets seen so far by this process.
static SECRETS: LazyLock<RwLock<Redactor>> = LazyLock::new(RwLock::default);

/// Hides the secrets of `redactor` in every later log line.
pub fn hide_secrets(redactor: &Redactor) {
    SECRETS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .absorb(redactor);
}

/// Installs the JSON-lines logger on stdout (INFO and above, or what `RUST_LOG` says). Does
/// nothing when a logger is already installed.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .event_format(JsonLines)
        .try_init();
}

/// The formatter of one log line.
#[derive(Debug, Clone, Copy)]
pub struct JsonLines;

/// Fivetran's level for a tracing level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "SEVERE",
        Level::WARN => "WARNING",
        _ => "INFO",
    }
}

/// One log line for `level` and `message`, secrets hidden.
pub fn line(level: Level, message: &str) -> String {
    let message = SECRETS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .redact(message);
    serde_json::json!({
        "level": level_name(level),
        "message": message,
        "message-origin": "sdk_connector",
    })
    .to_string()
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut message = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut message), event)?;
        writeln!(writer, "{}", line(*event.metadata().level(), &message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigurationMap, NoConfiguration};

    #[test]
    fn a_line_is_one_json_object_with_fivetran_level_and_origin() {
        let text = line(Level::WARN, "two\nlines and a \"quote\"");
        assert!(!text.contains('\n'));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["level"], "WARNING");
        assert_eq!(json["message"], "two\nlines and a \"quote\"");
        assert_eq!(json["message-origin"], "sdk_connector");
        assert_eq!(level_name(Level::ERROR), "SEVERE");
        assert_eq!(level_name(Level::DEBUG), "INFO");
        // A configuration without secret fields hides nothing.
        hide_secrets(&Redactor::for_configuration::<NoConfiguration>(
            &ConfigurationMap::from([("k".into(), "value".into())]),
        ));
        assert!(line(Level::INFO, "value").contains("value"));
    }
}
