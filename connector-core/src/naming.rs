//! Naming: how source names become destination names. Fivetran's rules live in the
//! `connector-naming` crate, which the macros also use to reject colliding names at compile time;
//! [`Naming`] chooses between them and the source's own names at run time.

pub use connector_naming::{column_name, schema_name, table_name};

/// How source names become destination names (`--naming` of `debug` and `connector-tester`).
///
/// ```
/// use connector_core::naming::Naming;
/// assert_eq!(Naming::Fivetran.column("updatedAt"), "updated_at");
/// assert_eq!(Naming::Fivetran.table("_Orders"), "orders");
/// assert_eq!(Naming::Source.column("updatedAt"), "updatedAt");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Naming {
    /// Fivetran's naming rules (`userData` becomes `user_data`).
    #[default]
    Fivetran,
    /// As the source writes them.
    Source,
}

impl Naming {
    /// The destination name of a table.
    pub fn table(self, source: &str) -> String {
        match self {
            Naming::Fivetran => table_name(source),
            Naming::Source => source.to_string(),
        }
    }

    /// The destination name of a column.
    pub fn column(self, source: &str) -> String {
        match self {
            Naming::Fivetran => column_name(source),
            Naming::Source => source.to_string(),
        }
    }

    /// The destination name of a schema.
    pub fn schema(self, source: &str) -> String {
        match self {
            Naming::Fivetran => schema_name(source),
            Naming::Source => source.to_string(),
        }
    }
}
