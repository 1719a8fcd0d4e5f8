//! SQL text for the warehouse: quoted identifiers, and Fivetran types as DuckDB types and back.

use crate::schema::DataType;

/// `"name"`, with quotes doubled, so reserved words and any character work as names.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."table"`.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote(schema), quote(table))
}

pub use crate::destination::types::duckdb_type;

/// The `USING` expression that turns column `column` of type `from` into text the way a value of
/// that type becomes text in Rust (`Value`'s `Display`), so that a column widened to VARCHAR
/// reads the same whether its values were converted before or after they reached DuckDB.
pub fn text_of(column: &str, from: DataType) -> String {
    match from {
        DataType::NaiveDatetime => format!("strftime({column}, '%Y-%m-%dT%H:%M:%S.%f')"),
        DataType::UtcDatetime => {
            format!("strftime(CAST({column} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%fZ')")
        }
        DataType::Binary => format!("lower(hex({column}))"),
        _ => format!("CAST({column} AS VARCHAR)"),
    }
}

/// The Fivetran type of a DuckDB column type as `information_schema` spells it, for tables
/// written by an earlier run. XML comes back as STRING (both are VARCHAR).
pub fn fivetran_type(duckdb: &str) -> Option<DataType> {
    let upper = duckdb.trim().to_ascii_uppercase();
    if let Some(params) = upper.strip_prefix("DECIMAL") {
        return DataType::parse(&format!("DECIMAL{params}")).ok();
    }
    Some(match upper.as_str() {
        "BOOLEAN" => DataType::Boolean,
        "SMALLINT" => DataType::Short,
        "INTEGER" => DataType::Int,
        "BIGINT" => DataType::Long,
        "FLOAT" => DataType::Float,
        "DOUBLE" => DataType::Double,
        "DATE" => DataType::NaiveDate,
        "TIMESTAMP" => DataType::NaiveDatetime,
        "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" => DataType::UtcDatetime,
        "BLOB" => DataType::Binary,
        "VARCHAR" => DataType::String,
        "JSON" => DataType::Json,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_comes_back_from_its_duckdb_name() {
        for t in [
            DataType::Boolean,
            DataType::Short,
            DataType::Int,
            DataType::Long,
            DataType::Decimal {
                precision: 15,
                scale: 2,
            },
            DataType::Float,
            DataType::Double,
            DataType::NaiveDate,
            DataType::NaiveDatetime,
            DataType::UtcDatetime,
            DataType::Binary,
            DataType::String,
            DataType::Json,
        ] {
            assert_eq!(fivetran_type(&duckdb_type(t)), Some(t));
        }
        assert_eq!(quote("order"), "\"order\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
