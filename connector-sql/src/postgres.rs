//! PostgreSQL and Redshift through `tokio-postgres`: connecting, reading the catalog, streaming
//! a table's rows and turning them into run-time rows.

use std::collections::BTreeMap;

use connector_core::anyhow::{self, Context as _, anyhow};
use connector_core::chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use connector_core::{Decimal, Value};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_postgres::{Client, NoTls};

use crate::choice::TableChoices;
use crate::connection::ConnectionSettings;
use crate::dialect::Dialect;
use crate::discover::{CatalogColumn, SourceColumn, SourceTable, TablePlan, assemble, plan_tables};
use crate::source::{PositionedRow, Source, after, positioned_row};
use crate::types::{Read, SqlType};

/// The columns of every table and view a user can read, schema by schema, in column order.
/// `information_schema` rather than `pg_catalog`: Redshift has it too.
const COLUMNS: &str = "\
SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.data_type::text, \
       c.udt_schema::text, c.udt_name::text, c.numeric_precision::int4, c.numeric_scale::int4 \
FROM information_schema.columns c \
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
WHERE t.table_type IN ('BASE TABLE', 'VIEW') \
  AND c.table_schema NOT IN ('pg_catalog', 'information_schema') \
  AND c.table_schema NOT LIKE 'pg\\_%' \
ORDER BY c.table_schema, c.table_name, c.ordinal_position";

/// The primary keys' columns, with their place in the key.
const KEYS: &str = "\
SELECT k.table_schema::text, k.table_name::text, k.column_name::text, k.ordinal_position::int4 \
FROM information_schema.table_constraints tc \
JOIN information_schema.key_column_usage k \
  ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name \
 AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name \
WHERE tc.constraint_type = 'PRIMARY KEY'";

/// A connection to a PostgreSQL (or Redshift) database.
pub struct Postgres {
    client: Client,
    dialect: Dialect,
    default_schema: String,
}

impl Postgres {
    /// Connects, with the session's time zone set to UTC (so that `timestamp with time zone`
    /// values read as text carry `+00`). The error names the server, never the password.
    pub async fn connect(
        settings: &ConnectionSettings,
        dialect: Dialect,
    ) -> anyhow::Result<Postgres> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&settings.host)
            .port(settings.port)
            .dbname(&settings.database)
            .user(&settings.user)
            .password(settings.password.expose())
            .application_name("connector-sql");
        let (client, connection) = config
            .connect(NoTls)
            .await
            .with_context(|| format!("could not connect to {}", settings.describe()))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!("the connection to the database ended: {error}");
            }
        });
        client
            .batch_execute("SET TIME ZONE 'UTC'")
            .await
            .context("could not set the session's time zone")?;
        Ok(Postgres {
            client,
            dialect,
            default_schema: "public".into(),
        })
    }

    /// The driver's client, for the connector's own statements.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The dialect the queries are written in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Every table and view of the database outside the system schemas, with its columns typed
    /// and its primary key. A column whose type has no Fivetran type is logged as a warning.
    pub async fn discover(&self) -> anyhow::Result<Vec<SourceTable>> {
        let mut keys: BTreeMap<(String, String, String), u32> = BTreeMap::new();
        for row in self
            .client
            .query(KEYS, &[])
            .await
            .context("could not read the primary keys")?
        {
            let position: i32 = row.get(3);
            keys.insert((row.get(0), row.get(1), row.get(2)), position as u32);
        }
        let mut columns = Vec::new();
        for row in self
            .client
            .query(COLUMNS, &[])
            .await
            .context("could not read the catalog")?
        {
            let data_type: String = row.get(3);
            let cast_type = match data_type.as_str() {
                "USER-DEFINED" | "ARRAY" => {
                    let (udt_schema, udt_name): (String, String) = (row.get(4), row.get(5));
                    self.dialect.qualified(&udt_schema, &udt_name)
                }
                _ => data_type.clone(),
            };
            columns.push(CatalogColumn {
                schema: row.get(0),
                table: row.get(1),
                name: row.get(2),
                sql_type: SqlType {
                    name: data_type,
                    precision: row.get(6),
                    scale: row.get(7),
                },
                cast_type,
            });
        }
        Ok(assemble(columns, &keys, self.dialect))
    }

    /// The replication of each chosen table, checked against the catalog: each table must
    /// exist and have its cursor column, and no two may share a destination name.
    pub async fn plan(&self, choices: &TableChoices) -> anyhow::Result<Vec<TablePlan>> {
        plan_tables(
            self.discover().await?,
            choices,
            &self.default_schema,
            self.dialect,
        )
    }
}

impl Source for Postgres {
    async fn rows_after<'a>(
        &'a self,
        plan: &'a TablePlan,
        position: Option<&'a [String]>,
    ) -> anyhow::Result<BoxStream<'a, anyhow::Result<PositionedRow>>> {
        let (after, parameters) = after(plan, position);
        let rows = self
            .client
            .query_raw(plan.query(after).as_str(), parameters.iter())
            .await
            .with_context(|| format!("could not read table `{}`", plan.table.qualified_name()))?;
        let table = plan.table.qualified_name();
        Ok(rows
            .map(move |row| {
                let row = row.with_context(|| format!("reading table `{table}` failed"))?;
                decode(plan, &row)
            })
            .boxed())
    }
}

/// A row of [`TablePlan::query`] as a run-time row, and its position (cursor then key, as text).
fn decode(plan: &TablePlan, row: &tokio_postgres::Row) -> anyhow::Result<PositionedRow> {
    positioned_row(
        plan,
        |i, column| read(row, i, column),
        |i| Ok(row.try_get::<_, String>(i)?),
    )
}

fn read(row: &tokio_postgres::Row, i: usize, column: &SourceColumn) -> anyhow::Result<Value> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a tokio_postgres::Row,
        i: usize,
        to: impl FnOnce(T) -> Value,
    ) -> anyhow::Result<Value> {
        Ok(row.try_get::<_, Option<T>>(i)?.map_or(Value::Null, to))
    }
    match column.mapping.read {
        Read::Bool => get(row, i, Value::Bool),
        Read::I16 => get(row, i, Value::Short),
        Read::I32 => get(row, i, Value::Int),
        Read::I64 => get(row, i, Value::Long),
        Read::F32 => get(row, i, Value::Float),
        Read::F64 => get(row, i, Value::Double),
        Read::Date => get::<NaiveDate>(row, i, Value::NaiveDate),
        Read::Timestamp => get::<NaiveDateTime>(row, i, Value::NaiveDatetime),
        Read::TimestampTz => get::<DateTime<Utc>>(row, i, Value::UtcDatetime),
        Read::Bytes => get::<Vec<u8>>(row, i, Value::Binary),
        Read::Text => get::<String>(row, i, Value::String),
        Read::JsonText => get::<String>(row, i, Value::Json),
        Read::XmlText => get::<String>(row, i, Value::Xml),
        Read::DecimalText => match row.try_get::<_, Option<String>>(i)? {
            None => Ok(Value::Null),
            Some(text) => text
                .parse::<Decimal>()
                .map(Value::Decimal)
                .map_err(|_| anyhow!("`{text}` is not a decimal number")),
        },
    }
}
