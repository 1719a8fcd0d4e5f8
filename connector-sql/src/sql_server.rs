//! SQL Server through `tiberius` (TDS in pure Rust, TLS by rustls): connecting, reading the
//! catalog (`INFORMATION_SCHEMA`, as PostgreSQL's) and a table's rows in keyset pages.
//!
//! TDS has no portal to stream from without holding the connection for the whole table, so the
//! rows come in pages of [`PAGE_ROWS`]: `SELECT TOP (n) ... WHERE <after the last row> ORDER BY
//! cursor, key`, each page one query. A table without key pages `TOP (n) WITH TIES`, so that a
//! page never ends inside a run of equal cursor values, and the next page asks `cursor > last`.
//!
//! No SQL Server runs where this crate is tested: the queries' text is tested, the driver's
//! calls compile, and nothing here has met a real server (see the `sql_server` example's README).

use std::collections::VecDeque;

use connector_core::anyhow::{self, Context as _, anyhow};
use connector_core::chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use connector_core::{Decimal, Value};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tiberius::{AuthMethod, Client, EncryptionLevel, ToSql};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::choice::TableChoices;
use crate::connection::ConnectionSettings;
use crate::dialect::Dialect;
use crate::discover::{
    After, CatalogColumn, CatalogKeys, SourceColumn, SourceTable, TablePlan, assemble, plan_tables,
};
use crate::source::{PositionedRow, Source, after, positioned_row};
use crate::types::{Read, SqlType};

/// Rows per page.
pub const PAGE_ROWS: usize = 5_000;

const COLUMNS: &str = "\
SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, \
       CAST(c.NUMERIC_PRECISION AS int), CAST(c.NUMERIC_SCALE AS int) \
FROM INFORMATION_SCHEMA.COLUMNS c \
JOIN INFORMATION_SCHEMA.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
WHERE t.TABLE_TYPE IN ('BASE TABLE', 'VIEW') AND c.TABLE_SCHEMA NOT IN ('sys', 'INFORMATION_SCHEMA') \
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION";

const KEYS: &str = "\
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.COLUMN_NAME, CAST(k.ORDINAL_POSITION AS int) \
FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS tc \
JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k \
  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
 AND k.TABLE_SCHEMA = tc.TABLE_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME \
WHERE tc.CONSTRAINT_TYPE = 'PRIMARY KEY'";

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// TLS, the server's certificate checked against the built-in roots.
    Required,
    /// TLS, any certificate accepted (a server with a self-signed certificate).
    TrustServerCertificate,
    /// No TLS (only the login packet is encrypted when the server insists).
    Off,
}

/// A configuration field: `required`, `trust_server_certificate` or `off`.
impl connector_core::ConfigValue for Encryption {
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "required" => Ok(Encryption::Required),
            "trust_server_certificate" => Ok(Encryption::TrustServerCertificate),
            "off" => Ok(Encryption::Off),
            _ => Err("must be one of required, trust_server_certificate, off".into()),
        }
    }
}

/// A connection to a SQL Server database.
pub struct SqlServer {
    client: Mutex<Client<Compat<TcpStream>>>,
}

impl SqlServer {
    /// Connects with SQL Server authentication (user and password). The error names the
    /// server, never the password.
    pub async fn connect(
        settings: &ConnectionSettings,
        encryption: Encryption,
    ) -> anyhow::Result<SqlServer> {
        let mut config = tiberius::Config::new();
        config.host(&settings.host);
        config.port(settings.port);
        config.database(&settings.database);
        config.application_name("connector-sql");
        config.authentication(AuthMethod::sql_server(
            &settings.user,
            settings.password.expose(),
        ));
        match encryption {
            Encryption::Required => config.encryption(EncryptionLevel::Required),
            Encryption::TrustServerCertificate => {
                config.encryption(EncryptionLevel::Required);
                config.trust_cert();
            }
            Encryption::Off => config.encryption(EncryptionLevel::NotSupported),
        }
        let connect = async {
            let tcp = TcpStream::connect(config.get_addr()).await?;
            tcp.set_nodelay(true)?;
            Ok::<_, anyhow::Error>(Client::connect(config, tcp.compat_write()).await?)
        };
        let client = connect
            .await
            .with_context(|| format!("could not connect to {}", settings.describe()))?;
        Ok(SqlServer {
            client: Mutex::new(client),
        })
    }

    /// Runs statements (setup, tests' writes), discarding their results.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let mut client = self.client.lock().await;
        client.simple_query(sql).await?.into_results().await?;
        Ok(())
    }

    /// Every table and view outside the system schemas, typed, with its primary key.
    pub async fn discover(&self) -> anyhow::Result<Vec<SourceTable>> {
        let mut client = self.client.lock().await;
        let mut keys = CatalogKeys::new();
        for row in client.simple_query(KEYS).await?.into_first_result().await? {
            let position: i32 = row.get(3).unwrap_or(0);
            keys.insert(
                (text(&row, 0)?, text(&row, 1)?, text(&row, 2)?),
                position as u32,
            );
        }
        let mut columns = Vec::new();
        for row in client
            .simple_query(COLUMNS)
            .await?
            .into_first_result()
            .await?
        {
            let sql_type = SqlType {
                name: text(&row, 3)?,
                precision: row.get(4),
                scale: row.get(5),
            };
            let cast_type = cast_type(&sql_type);
            columns.push(CatalogColumn {
                schema: text(&row, 0)?,
                table: text(&row, 1)?,
                name: text(&row, 2)?,
                sql_type,
                cast_type,
            });
        }
        Ok(assemble(columns, &keys, Dialect::SqlServer))
    }

    /// The replication of each chosen table (the default schema is `dbo`).
    pub async fn plan(&self, choices: &TableChoices) -> anyhow::Result<Vec<TablePlan>> {
        plan_tables(self.discover().await?, choices, "dbo", Dialect::SqlServer)
    }

    /// One page of rows after `after`/`parameters`.
    async fn page(
        &self,
        plan: &TablePlan,
        after: After,
        parameters: &[String],
    ) -> anyhow::Result<Vec<PositionedRow>> {
        let sql = page_query(plan, after, PAGE_ROWS);
        let parameters: Vec<&dyn ToSql> = parameters.iter().map(|p| p as &dyn ToSql).collect();
        let mut client = self.client.lock().await;
        let rows = client
            .query(sql, &parameters)
            .await?
            .into_first_result()
            .await?;
        rows.iter().map(|row| decode(plan, row)).collect()
    }
}

/// The type a text parameter is read as when compared with a column of `sql_type`: the
/// column's type, with the length or precision that keeps every value.
fn cast_type(sql_type: &SqlType) -> String {
    let name = sql_type.name.to_ascii_lowercase();
    match name.as_str() {
        "char" | "varchar" | "text" | "nchar" | "nvarchar" | "ntext" => "nvarchar(max)".into(),
        "decimal" | "numeric" => format!(
            "decimal({}, {})",
            sql_type.precision.unwrap_or(38),
            sql_type.scale.unwrap_or(0)
        ),
        _ => name,
    }
}

/// The query of one page: [`TablePlan::query`] with `TOP (n)`, and `WITH TIES` for a table
/// without key (its pages end only where the cursor changes).
///
/// ```
/// # use connector_sql::*;
/// # use connector_sql::types::{SqlType, map};
/// let column = |name: &str, sql: &str, key| SourceColumn {
///     name: name.into(), sql_type: SqlType::named(sql), cast_type: sql.into(),
///     mapping: map(Dialect::SqlServer, &SqlType::named(sql)), key_position: key,
/// };
/// let table = SourceTable { schema: "dbo".into(), name: "events".into(),
///     columns: vec![column("kind", "nvarchar", None), column("at", "datetime2", None)] };
/// let choice = TableChoice { schema: None, table: "events".into(), cursor: "at".into() };
/// let plan = TablePlan::new(table, &choice, Dialect::SqlServer).unwrap();
/// assert_eq!(
///     connector_sql::sql_server::page_query(&plan, After::Cursor, 100),
///     "SELECT TOP (100) WITH TIES CAST(source.[kind] AS nvarchar(max)) AS [kind], source.[at], \
///      CAST(source.[at] AS nvarchar(max)) AS [__position_0] FROM [dbo].[events] AS source \
///      WHERE source.[at] IS NOT NULL AND source.[at] > CAST(@P1 AS datetime2) ORDER BY source.[at]"
/// );
/// ```
pub fn page_query(plan: &TablePlan, after: After, rows: usize) -> String {
    let query = plan.query(after);
    let top = if plan.has_tie_breaker() {
        format!("SELECT TOP ({rows}) ")
    } else {
        format!("SELECT TOP ({rows}) WITH TIES ")
    };
    query.replacen("SELECT ", &top, 1)
}

impl Source for SqlServer {
    async fn rows_after<'a>(
        &'a self,
        plan: &'a TablePlan,
        position: Option<&'a [String]>,
    ) -> anyhow::Result<BoxStream<'a, anyhow::Result<PositionedRow>>> {
        let (first_after, first_parameters) = after(plan, position);
        let pages = Pages {
            after: first_after,
            parameters: first_parameters.to_vec(),
            rows: VecDeque::new(),
            done: false,
        };
        let table = plan.table.qualified_name();
        Ok(futures_util::stream::try_unfold(pages, move |mut pages| {
            let table = table.clone();
            async move {
                if pages.rows.is_empty() && !pages.done {
                    let page = self
                        .page(plan, pages.after, &pages.parameters)
                        .await
                        .with_context(|| format!("reading table `{table}` failed"))?;
                    pages.done = page.len() < PAGE_ROWS;
                    if let Some((_, position)) = page.last() {
                        pages.after = if plan.has_tie_breaker() {
                            After::Position
                        } else {
                            After::Cursor
                        };
                        pages.parameters = position.clone();
                        pages.parameters.truncate(if plan.has_tie_breaker() {
                            position.len()
                        } else {
                            1
                        });
                    }
                    pages.rows.extend(page);
                }
                Ok(pages.rows.pop_front().map(|row| (row, pages)))
            }
        })
        .boxed())
    }
}

/// Where the pages stand: what the next page reads after, and the rows of the current one.
struct Pages {
    after: After,
    parameters: Vec<String>,
    rows: VecDeque<PositionedRow>,
    done: bool,
}

fn text(row: &tiberius::Row, i: usize) -> anyhow::Result<String> {
    row.try_get::<&str, usize>(i)?
        .map(str::to_string)
        .ok_or_else(|| anyhow!("column {i} of the catalog is NULL"))
}

fn decode(plan: &TablePlan, row: &tiberius::Row) -> anyhow::Result<PositionedRow> {
    positioned_row(plan, |i, column| read(row, i, column), |i| text(row, i))
}

fn read(row: &tiberius::Row, i: usize, column: &SourceColumn) -> anyhow::Result<Value> {
    let text = || -> anyhow::Result<Option<String>> {
        Ok(row.try_get::<&str, usize>(i)?.map(str::to_string))
    };
    Ok(match column.mapping.read {
        Read::Bool => row
            .try_get::<bool, usize>(i)?
            .map_or(Value::Null, Value::Bool),
        // `tinyint` is unsigned and comes as u8.
        Read::I16 => match row.try_get::<i16, usize>(i) {
            Ok(value) => value.map_or(Value::Null, Value::Short),
            Err(_) => row
                .try_get::<u8, usize>(i)?
                .map_or(Value::Null, |v| Value::Short(v.into())),
        },
        Read::I32 => row
            .try_get::<i32, usize>(i)?
            .map_or(Value::Null, Value::Int),
        Read::I64 => row
            .try_get::<i64, usize>(i)?
            .map_or(Value::Null, Value::Long),
        Read::F32 => row
            .try_get::<f32, usize>(i)?
            .map_or(Value::Null, Value::Float),
        Read::F64 => row
            .try_get::<f64, usize>(i)?
            .map_or(Value::Null, Value::Double),
        Read::Date => row
            .try_get::<NaiveDate, usize>(i)?
            .map_or(Value::Null, Value::NaiveDate),
        Read::Timestamp => row
            .try_get::<NaiveDateTime, usize>(i)?
            .map_or(Value::Null, Value::NaiveDatetime),
        Read::TimestampTz => row
            .try_get::<DateTime<Utc>, usize>(i)?
            .map_or(Value::Null, Value::UtcDatetime),
        Read::Bytes => row
            .try_get::<&[u8], usize>(i)?
            .map_or(Value::Null, |b| Value::Binary(b.to_vec())),
        Read::Text => text()?.map_or(Value::Null, Value::String),
        Read::JsonText => text()?.map_or(Value::Null, Value::Json),
        Read::XmlText => text()?.map_or(Value::Null, Value::Xml),
        Read::DecimalText => match text()? {
            None => Value::Null,
            Some(text) => Value::Decimal(
                text.parse::<Decimal>()
                    .map_err(|_| anyhow!("`{text}` is not a decimal number"))?,
            ),
        },
    })
}
