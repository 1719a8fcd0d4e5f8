//! Connection settings from the configuration, with the password kept out of logs and errors.

use std::fmt;

use connector_core::{ConfigValue, FieldKind, TextField};

/// A database password: a configuration field (mark it `#[field(secret)]`, so that the form
/// shows a password box and the runtime redacts it) whose `Debug` shows no value.
///
/// ```
/// use connector_core::ConfigValue;
/// use connector_sql::Password;
/// let password = Password::parse("hunter2").unwrap();
/// assert_eq!(password.expose(), "hunter2");
/// assert_eq!(format!("{password:?}"), "Password(***)");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// A password holding `value`.
    pub fn new(value: impl Into<String>) -> Password {
        Password(value.into())
    }

    /// The password, to send it to the database. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl ConfigValue for Password {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(Password(text.to_string()))
    }

    fn kind() -> FieldKind {
        FieldKind::TextField(TextField::Password)
    }
}

/// Where the database is and who connects. A connector's configuration has these fields (the
/// password `#[field(secret)]`) and builds this from them.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The server's host name or address.
    pub host: String,
    /// Its port (PostgreSQL 5432, Redshift 5439, SQL Server 1433).
    pub port: u16,
    /// The database to read.
    pub database: String,
    /// The user to connect as.
    pub user: String,
    /// The user's password.
    pub password: Password,
}

impl ConnectionSettings {
    /// `user@host:port/database`, for messages (no password).
    pub fn describe(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )
    }
}
