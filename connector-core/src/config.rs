//! Configuration: from Fivetran's `map<string, string>` to a typed struct, and the setup form.
//!
//! `#[derive(Configuration)]` implements [`Configuration`] field by field through
//! [`ConfigValue`], which says how one text value becomes a Rust value and what kind of form field
//! shows it. Every bad field is reported at once in one [`ConfigError`], and a secret's value never
//! appears in it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::BoxFuture;

/// The configuration as Fivetran hands it over: field name → text.
pub type ConfigurationMap = BTreeMap<String, String>;

/// A typed configuration with its setup form. Implemented by `#[derive(Configuration)]`.
pub trait Configuration: Sized + Send + Sync + 'static {
    /// The setup form: one field per struct field, and the setup tests.
    fn form() -> Form;

    /// Parses the configuration, reporting every bad field at once.
    fn from_map(map: &ConfigurationMap) -> Result<Self, ConfigError>;

    /// Names of the fields marked `secret`: their values are never logged.
    fn secret_fields() -> &'static [&'static str];

    /// The named setup tests (the `Test` RPC).
    fn setup_tests() -> Vec<SetupTest<Self>>;
}

/// The configuration of a sync that takes none: any map is accepted and ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoConfiguration;

impl Configuration for NoConfiguration {
    fn form() -> Form {
        Form::default()
    }

    fn from_map(_: &ConfigurationMap) -> Result<Self, ConfigError> {
        Ok(NoConfiguration)
    }

    fn secret_fields() -> &'static [&'static str] {
        &[]
    }

    fn setup_tests() -> Vec<SetupTest<Self>> {
        Vec::new()
    }
}

/// A setup test: a name (unique id), a label shown while it runs, and the check itself, which
/// returns an error whose message the user sees. `#[setup_test(...)]` on a configuration makes
/// one.
///
/// ```
/// use connector_core::prelude::*;
///
/// #[derive(Configuration)]
/// #[setup_test(check_key, label = "Checking the key")]
/// pub struct Config {
///     #[field(secret)]
///     pub api_key: String,
/// }
///
/// async fn check_key(config: &Config) -> Result<()> {
///     ensure!(config.api_key.starts_with("key-"), "the key was refused");
///     Ok(())
/// }
///
/// # #[connector_core::tokio::main(crate = "connector_core::tokio")]
/// # async fn main() {
/// let tests = Config::setup_tests();
/// assert_eq!((tests[0].name, tests[0].label), ("check_key", "Checking the key"));
/// let config = Config { api_key: "nope".into() };
/// assert!((tests[0].run)(&config).await.is_err());
/// # }
/// ```
pub struct SetupTest<C> {
    /// The test's id: the function's name (`test --name` and the Test RPC take it).
    pub name: &'static str,
    /// What the form shows while the test runs.
    pub label: &'static str,
    /// The check: an error fails the test with its message (secrets hidden).
    pub run: for<'a> fn(&'a C) -> BoxFuture<'a, anyhow::Result<()>>,
}

impl<C> fmt::Debug for SetupTest<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupTest")
            .field("name", &self.name)
            .field("label", &self.label)
            .finish()
    }
}

/// The setup form, as the `ConfigurationForm` RPC returns it.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{FieldKind, TextField};
///
/// #[derive(Configuration)]
/// pub struct Config {
///     #[field(label = "API key", secret)]
///     pub api_key: String,
///     #[field(default = "100")]
///     pub page_size: u32,
/// }
///
/// let form = Config::form();
/// assert_eq!(form.fields[0].kind, FieldKind::TextField(TextField::Password));
/// assert_eq!(form.fields[1].default_value.as_deref(), Some("100"));
/// assert!(!form.fields[1].required);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Form {
    /// One field per configuration field, in declaration order.
    pub fields: Vec<FormField>,
    /// The setup tests, in the order they run.
    pub tests: Vec<FormTest>,
}

/// A setup test as the form lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormTest {
    /// The test's id.
    pub name: String,
    /// What the form shows while it runs.
    pub label: String,
}

/// One field of the setup form.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{FieldKind, TextField};
///
/// #[derive(Configuration)]
/// pub struct Config {
///     /// Where the API lives.
///     #[field(label = "Base URL", placeholder = "https://api.example.com")]
///     pub base_url: String,
///     pub verbose: Option<bool>,
/// }
///
/// let form = Config::form();
/// let url = &form.fields[0];
/// assert_eq!((url.name.as_str(), url.label.as_str()), ("base_url", "Base URL"));
/// assert_eq!(url.placeholder.as_deref(), Some("https://api.example.com"));
/// assert_eq!(url.kind, FieldKind::TextField(TextField::PlainText));
/// assert!(url.required && !form.fields[1].required);
/// assert_eq!(form.fields[1].kind, FieldKind::ToggleField);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormField {
    /// The key in `configuration.json`.
    pub name: String,
    /// The field's label on the form.
    pub label: String,
    /// Whether the configuration must hold it (no default, not an `Option`).
    pub required: bool,
    /// Help text under the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How the form shows it.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// The value used when the configuration leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Example text shown in an empty field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// How the form shows a field: a text box, a dropdown (a `#[derive(Dropdown)]` enum) or a toggle
/// (a `bool`).
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{FieldKind, TextField};
///
/// #[derive(Dropdown)]
/// pub enum Region {
///     Eu,
///     Us,
/// }
///
/// #[derive(Configuration)]
/// pub struct Config {
///     pub region: Region,
///     #[field(default = "true")]
///     pub active_only: bool,
///     #[field(secret)]
///     pub token: String,
/// }
///
/// let kinds: Vec<FieldKind> = Config::form().fields.into_iter().map(|f| f.kind).collect();
/// assert!(matches!(&kinds[0], FieldKind::DropdownField(values) if values.len() == 2));
/// assert_eq!(kinds[1], FieldKind::ToggleField);
/// assert_eq!(kinds[2], FieldKind::TextField(TextField::Password));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A text box: plain, or a password box for secrets.
    TextField(TextField),
    /// A choice among fixed values.
    DropdownField(Vec<String>),
    /// An on/off switch.
    ToggleField,
}

/// Fivetran's `TextField` enum: a `#[field(secret)]` is a `Password`, any other text field
/// `PlainText` (see [`FieldKind`] for an example).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextField {
    /// Shown as typed.
    PlainText,
    /// Masked: a secret, never in a log line or an error.
    Password,
    /// Not shown on the form.
    Hidden,
}

/// Every bad field of a configuration, and why. Never holds a secret's value.
///
/// ```
/// use connector_core::prelude::*;
///
/// #[derive(Configuration)]
/// pub struct Config {
///     #[field(secret)]
///     pub api_key: String,
///     pub page_size: u32,
/// }
///
/// let map = connector_core::testing::configuration_map(json!({"page_size": "ten"}));
/// let error = Config::from_map(&map).err().unwrap();
/// assert_eq!(error.problems.len(), 2);
/// assert_eq!(error.problems[0].field, "api_key");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// One entry per bad field.
    pub problems: Vec<FieldProblem>,
}

/// One bad field: its name and why (the value of a secret field never appears).
///
/// ```
/// use connector_core::prelude::*;
///
/// #[derive(Configuration)]
/// pub struct Config {
///     pub page_size: u32,
/// }
///
/// let map = connector_core::testing::configuration_map(json!({"page_size": "-1"}));
/// let problem = &Config::from_map(&map).err().unwrap().problems[0];
/// assert_eq!(problem.field, "page_size");
/// assert!(problem.to_string().starts_with("`page_size` "), "{problem}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name in `configuration.json`.
    pub field: String,
    /// Why it was refused (`is required but missing`, `must be ...`).
    pub reason: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.reason)
    }
}

/// A Rust type one configuration field can have: how its text is parsed and how the form shows it.
///
/// A type of one's own implements it to be a field (here a comma-separated list):
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::ConfigValue;
///
/// #[derive(Debug, PartialEq)]
/// pub struct Tags(Vec<String>);
///
/// impl ConfigValue for Tags {
///     fn parse(text: &str) -> Result<Self, String> {
///         let tags: Vec<String> = text.split(',').map(|t| t.trim().to_string()).collect();
///         if tags.iter().any(String::is_empty) {
///             return Err("must be tags separated by commas".into());
///         }
///         Ok(Tags(tags))
///     }
/// }
///
/// #[derive(Configuration)]
/// pub struct Config {
///     pub tags: Tags,
/// }
///
/// let config = Config::from_map(&connector_core::testing::configuration_map(json!({"tags": "a, b"})));
/// assert_eq!(config.unwrap().tags, Tags(vec!["a".into(), "b".into()]));
/// let refused = Config::from_map(&connector_core::testing::configuration_map(json!({"tags": "a,,b"})));
/// // The value is quoted back because the field is not secret.
/// assert_eq!(
///     refused.err().unwrap().to_string(),
///     r#"invalid configuration: `tags` must be tags separated by commas, not "a,,b""#
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a configuration value",
    note = "a configuration field must be String, an integer, a float, bool, an enum with \
            `#[derive(Dropdown)]`, a Vec of those, serde_json::Value, or an Option of one of them; \
            mark any serde type `#[field(json)]` to read it from a JSON document"
)]
pub trait ConfigValue: Sized {
    /// Parses the text. The error says what was expected and must not repeat the text.
    fn parse(text: &str) -> Result<Self, String>;

    /// The value when the field is absent, if absence is allowed (`Option` fields).
    fn absent() -> Option<Self> {
        None
    }

    /// How the form shows the field.
    fn kind() -> FieldKind {
        FieldKind::TextField(TextField::PlainText)
    }
}

impl ConfigValue for String {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

/// A credential read from the configuration (with the `http` feature): a password field on the
/// form, `***` in `Debug` and `Display`. Mark the field `#[field(secret)]` too, so that the
/// runtime hides its value in every log line.
#[cfg(feature = "http")]
impl ConfigValue for connector_http::Secret {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(connector_http::Secret::new(text))
    }

    fn kind() -> FieldKind {
        FieldKind::TextField(TextField::Password)
    }
}

macro_rules! config_numbers {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl ConfigValue for $ty {
            fn parse(text: &str) -> Result<Self, String> {
                <$ty>::from_str(text.trim()).map_err(|_| {
                    format!(concat!("must be ", $what, " between {} and {}"), <$ty>::MIN, <$ty>::MAX)
                })
            }
        }
    )*};
}

config_numbers! {
    i8 => "an integer", i16 => "an integer", i32 => "an integer", i64 => "an integer",
    u8 => "a whole number", u16 => "a whole number", u32 => "a whole number",
    u64 => "a whole number", usize => "a whole number",
}

impl ConfigValue for f64 {
    fn parse(text: &str) -> Result<Self, String> {
        f64::from_str(text.trim()).map_err(|_| "must be a number".to_string())
    }
}

impl ConfigValue for f32 {
    fn parse(text: &str) -> Result<Self, String> {
        f32::from_str(text.trim()).map_err(|_| "must be a number".to_string())
    }
}

impl ConfigValue for bool {
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true),
            "false" | "no" | "0" | "off" => Ok(false),
            _ => Err("must be true or false".to_string()),
        }
    }

    fn kind() -> FieldKind {
        FieldKind::ToggleField
    }
}

impl ConfigValue for serde_json::Value {
    fn parse(text: &str) -> Result<Self, String> {
        parse_json(text)
    }
}

impl<T: ConfigValue> ConfigValue for Option<T> {
    fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            T::parse(text).map(Some)
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }

    fn kind() -> FieldKind {
        T::kind()
    }
}

/// A list: a JSON array (`["a", "b"]`, `[1, 2]`) or comma-separated text (`a, b`).
impl<T: ConfigValue> ConfigValue for Vec<T> {
    fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<String> = if text.trim_start().starts_with('[') {
            let array: Vec<serde_json::Value> =
                serde_json::from_str(text).map_err(|e| format!("must be a JSON array ({e})"))?;
            array
                .into_iter()
                .map(|item| match item {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect()
        } else {
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::parse(item).map_err(|why| format!("item {}: {why}", i + 1)))
            .collect()
    }
}

/// Parses a JSON document into any serde type (for `#[field(json)]`). The error names the
/// position, never the text.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "must be a JSON document of the expected shape ({} at line {}, column {})",
            classify(&e),
            e.line(),
            e.column()
        )
    })
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "syntax error",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Io => "read error",
    }
}

/// Hides the values of a configuration's secret fields in any text before it is shown: errors
/// from a connector's own code (an HTTP error quoting a URL with a key in it, say) included.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// The secret values of `map`, by the names of `C`'s secret fields.
    pub fn for_configuration<C: Configuration>(map: &ConfigurationMap) -> Redactor {
        Redactor::for_fields(map, C::secret_fields().iter().copied())
    }

    /// The values of `map` under the names `secret_fields` (a client reads them off the form:
    /// the password fields).
    pub fn for_fields<'a>(
        map: &ConfigurationMap,
        secret_fields: impl IntoIterator<Item = &'a str>,
    ) -> Redactor {
        let mut secrets: Vec<String> = secret_fields
            .into_iter()
            .filter_map(|name| map.get(name))
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
            .collect();
        // Longest first, so a secret that contains another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// The secret values, longest first.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// `text` with every secret value replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), "***")
        })
    }
}

/// A configuration map from a JSON object: strings as they are, other values as their JSON text
/// (Fivetran passes every value as text). `null` is the empty configuration.
pub fn configuration_from_json(document: serde_json::Value) -> Result<ConfigurationMap, String> {
    match document {
        serde_json::Value::Null => Ok(ConfigurationMap::new()),
        serde_json::Value::Object(members) => Ok(members
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()),
        _ => Err("a configuration must be a JSON object of field names to values".to_string()),
    }
}

/// Reads a configuration file: a JSON object of field names to values.
pub fn read_configuration(path: &std::path::Path) -> anyhow::Result<ConfigurationMap> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("the configuration file {} is not JSON", path.display()))?;
    configuration_from_json(document).map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))
}

/// Turns a field name into a label: `api_key` → `Api key`.
pub fn default_label(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads one field for `#[derive(Configuration)]`: a value, or the default, or `absent`, or a
/// problem. A non-secret value that fails is quoted in the problem; a secret never is.
pub fn read_field<T>(
    map: &ConfigurationMap,
    name: &str,
    default: Option<&str>,
    secret: bool,
    parse: fn(&str) -> Result<T, String>,
    absent: fn() -> Option<T>,
    problems: &mut Vec<FieldProblem>,
) -> Option<T> {
    let text = map
        .get(name)
        .map(String::as_str)
        .filter(|t| !t.trim().is_empty())
        .or(default);
    let result = match text {
        Some(text) => parse(text).map_err(|why| {
            if secret {
                format!("{why} (the value is secret and not shown)")
            } else {
                format!("{why}, not {text:?}")
            }
        }),
        None => absent().ok_or_else(|| "is required but missing".to_string()),
    };
    result
        .map_err(|reason| {
            problems.push(FieldProblem {
                field: name.to_string(),
                reason,
            })
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "http")]
    #[test]
    fn a_secret_field_is_a_password_that_prints_stars() {
        let secret = connector_http::Secret::parse("k-123").unwrap();
        assert_eq!(
            (secret.expose(), format!("{secret:?}").as_str()),
            ("k-123", "***")
        );
        assert_eq!(
            <connector_http::Secret as ConfigValue>::kind(),
            FieldKind::TextField(TextField::Password)
        );
    }

    #[test]
    fn lists_are_comma_separated_or_json_arrays() {
        assert_eq!(Vec::<u32>::parse("1, 2,3"), Ok(vec![1, 2, 3]));
        assert_eq!(
            Vec::<String>::parse(r#"["a,b", "c"]"#),
            Ok(vec!["a,b".to_string(), "c".to_string()])
        );
        assert_eq!(Vec::<u32>::parse("[1, 2]"), Ok(vec![1, 2]));
        assert_eq!(
            Vec::<u32>::parse("1, x").unwrap_err(),
            "item 2: must be a whole number between 0 and 4294967295"
        );
    }

    #[test]
    fn bad_fields_are_all_reported_and_secrets_never_shown() {
        let map: ConfigurationMap = [("size", "ten"), ("key", "hunter2")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let mut problems = Vec::new();
        read_field::<u32>(
            &map,
            "size",
            None,
            false,
            u32::parse,
            u32::absent,
            &mut problems,
        );
        read_field::<u32>(
            &map,
            "key",
            None,
            true,
            u32::parse,
            u32::absent,
            &mut problems,
        );
        read_field::<String>(
            &map,
            "missing",
            None,
            false,
            String::parse,
            String::absent,
            &mut problems,
        );
        let message = ConfigError { problems }.to_string();
        assert!(
            message.contains("`size` must be a whole number between 0 and 4294967295, not \"ten\""),
            "{message}"
        );
        assert!(
            message.contains("`key` must be a whole number"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains("`missing` is required but missing"),
            "{message}"
        );
    }

    #[test]
    fn defaults_and_options_fill_absent_fields() {
        let map = ConfigurationMap::new();
        let mut problems = Vec::new();
        assert_eq!(
            read_field::<u32>(
                &map,
                "n",
                Some("100"),
                false,
                u32::parse,
                u32::absent,
                &mut problems
            ),
            Some(100)
        );
        assert_eq!(
            read_field::<Option<u32>>(
                &map,
                "o",
                None,
                false,
                Option::<u32>::parse,
                Option::<u32>::absent,
                &mut problems
            ),
            Some(None)
        );
        assert!(problems.is_empty());
    }
}
