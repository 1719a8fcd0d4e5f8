//! The log format of `serve`: one JSON object per line on stdout, as the partner SDK asks:
//! `{"level":"INFO","message":"...","message-origin":"sdk_connector"}`, with the levels `INFO`,
//! `WARNING` and `SEVERE` only. While a request is served, the secrets of its configuration are
//! hidden in every line, whoever logged it (a panic included).

use std::sync::{LazyLock, Mutex, PoisonError};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

use crate::config::Redactor;

/// The secrets of the requests being served, with how many requests hold each.
static SECRETS: LazyLock<Mutex<Vec<(String, usize)>>> = LazyLock::new(Mutex::default);

/// Keeps the secrets of one request hidden in every log line until it is dropped.
#[derive(Debug)]
#[must_use = "the secrets are hidden only while this lives"]
pub struct HiddenSecrets {
    secrets: Vec<String>,
}

/// Hides the secrets of `redactor` in every log line while the returned guard lives.
pub fn hide_secrets(redactor: &Redactor) -> HiddenSecrets {
    let mut live = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    for secret in redactor.secrets() {
        match live.iter_mut().find(|(s, _)| s == secret) {
            Some((_, holders)) => *holders += 1,
            None => live.push((secret.clone(), 1)),
        }
    }
    // Longest first, so a secret that contains another is hidden whole.
    live.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    HiddenSecrets {
        secrets: redactor.secrets().to_vec(),
    }
}

impl Drop for HiddenSecrets {
    fn drop(&mut self) {
        let mut live = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
        for secret in &self.secrets {
            if let Some((_, holders)) = live.iter_mut().find(|(s, _)| s == secret) {
                *holders -= 1;
            }
        }
        live.retain(|(_, holders)| *holders > 0);
    }
}

/// `text` with the secrets of every live request replaced by `***`.
pub fn redact(text: &str) -> String {
    let live = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    live.iter().fold(text.to_string(), |text, (secret, _)| {
        text.replace(secret.as_str(), "***")
    })
}

/// Writes panics as SEVERE log lines (secrets hidden) instead of Rust's plain stderr text.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        println!(
            "{}",
            line(Level::ERROR, &format!("a task panicked: {info}"))
        );
    }));
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
    let message = redact(message);
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
    fn secrets_are_hidden_while_a_request_holds_them() {
        let map = ConfigurationMap::from([("token".into(), "s3cr3t-token-xyz".into())]);
        let first = hide_secrets(&Redactor::for_fields(&map, ["token"]));
        let second = hide_secrets(&Redactor::for_fields(&map, ["token"]));
        assert_eq!(redact("key s3cr3t-token-xyz!"), "key ***!");
        drop(first);
        assert_eq!(
            redact("key s3cr3t-token-xyz!"),
            "key ***!",
            "still held by one request"
        );
        drop(second);
        assert_eq!(redact("key s3cr3t-token-xyz!"), "key s3cr3t-token-xyz!");
    }

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
        let _none = hide_secrets(&Redactor::for_configuration::<NoConfiguration>(
            &ConfigurationMap::from([("k".into(), "value".into())]),
        ));
        assert!(line(Level::INFO, "value").contains("value"));
    }
}
