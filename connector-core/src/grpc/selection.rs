//! Selection: which schemas, tables and columns the user chose to sync. A schema or table with
//! `included = false`, or a column mapped to `false`, is not sent; what the selection does not list
//! follows its `include_new_*` flag. No selection at all means everything.
//!
//! With the local runner, also reads a selection from JSON (the proto3 JSON form with field names
//! as in the `.proto`), as `connector-tester --selection FILE` takes it.

use std::collections::BTreeMap;

#[cfg(any(test, feature = "local"))]
use serde::Deserialize;

use crate::proto;
use crate::schema::{TableRef, TableSchema};

/// A resolved selection, asked per table.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    rule: Option<proto::selection::Selection>,
}

/// A selection of the other kind than the connector's Schema answer: schemas for tables declared
/// without one (`with_schema` where Schema answered `without_schema`), or the reverse. Followed,
/// it would silently send nothing, so the Update is refused instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the selection lists {given}, but the connector's Schema answer is `{expected}`: the selection must be of the same kind"
)]
pub struct SelectionError {
    given: &'static str,
    expected: &'static str,
}

/// What is sent of one selected table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableChoice {
    columns: BTreeMap<String, bool>,
    include_new_columns: bool,
}

impl TableChoice {
    fn everything() -> TableChoice {
        TableChoice {
            columns: BTreeMap::new(),
            include_new_columns: true,
        }
    }

    fn from_wire(table: &proto::TableSelection) -> TableChoice {
        TableChoice {
            columns: table.columns.clone(),
            include_new_columns: table.include_new_columns,
        }
    }

    /// The same choice with the key columns always sent: a record without its key cannot be
    /// applied, so the selection cannot leave a key out.
    fn with_keys<'a>(mut self, keys: impl IntoIterator<Item = &'a str>) -> TableChoice {
        for key in keys {
            self.columns.insert(key.to_string(), true);
        }
        self
    }

    /// Whether a column (by source name) is sent.
    pub fn column(&self, name: &str) -> bool {
        self.columns
            .get(name)
            .copied()
            .unwrap_or(self.include_new_columns)
    }

    /// Whether every column is sent.
    pub fn is_everything(&self) -> bool {
        self.include_new_columns && self.columns.values().all(|included| *included)
    }
}

impl Selection {
    /// Everything is selected.
    #[cfg(test)]
    pub fn everything() -> Selection {
        Selection::default()
    }

    pub fn from_wire(selection: Option<proto::Selection>) -> Selection {
        Selection {
            rule: selection.and_then(|s| s.selection),
        }
    }

    /// Refuses a selection of the other kind than the Schema answer for `tables` (see
    /// [`SelectionError`]).
    pub fn check(&self, tables: &[TableRef]) -> Result<(), SelectionError> {
        use proto::selection::Selection as Rule;
        let in_schemas = tables.iter().any(|t| t.schema.is_some());
        match &self.rule {
            Some(Rule::WithSchema(_)) if !in_schemas => Err(SelectionError {
                given: "schemas (`with_schema`)",
                expected: "without_schema",
            }),
            Some(Rule::WithoutSchema(_)) if in_schemas => Err(SelectionError {
                given: "tables without schemas (`without_schema`)",
                expected: "with_schema",
            }),
            _ => Ok(()),
        }
    }

    /// What is sent of `table` (its key columns always), or `None` when it is excluded.
    pub fn table(&self, table: &TableSchema) -> Option<TableChoice> {
        self.by_name(table.schema.as_deref(), &table.name)
            .map(|choice| choice.with_keys(table.primary_key().map(|k| k.name.as_ref())))
    }

    /// What the selection says of table `table` of schema `schema`, by name alone.
    fn by_name(&self, schema: Option<&str>, table: &str) -> Option<TableChoice> {
        use proto::selection::Selection as Rule;
        match &self.rule {
            None => Some(TableChoice::everything()),
            Some(Rule::WithoutSchema(list)) => choose(&list.tables, list.include_new_tables, table),
            Some(Rule::WithSchema(list)) => {
                let schema = schema.unwrap_or_default();
                match list.schemas.iter().find(|s| s.schema_name == schema) {
                    None if list.include_new_schemas => Some(TableChoice::everything()),
                    None => None,
                    Some(s) if !s.included => None,
                    Some(s) => choose(&s.tables, s.include_new_tables, table),
                }
            }
        }
    }
}

fn choose(
    tables: &[proto::TableSelection],
    include_new_tables: bool,
    table: &str,
) -> Option<TableChoice> {
    match tables.iter().find(|t| t.table_name == table) {
        None if include_new_tables => Some(TableChoice::everything()),
        None => None,
        Some(t) if !t.included => None,
        Some(t) => Some(TableChoice::from_wire(t)),
    }
}

/// A selection from its JSON form, e.g.
/// `{"without_schema": {"tables": [{"table_name": "t", "included": true,
/// "columns": {"secret": false}, "include_new_columns": true}], "include_new_tables": false}}`.
/// Absent flags are `false`, as in proto3.
#[cfg(any(test, feature = "local"))]
pub fn selection_from_json(document: serde_json::Value) -> Result<proto::Selection, String> {
    let json: SelectionJson = serde_json::from_value(document).map_err(|e| e.to_string())?;
    let rule = match (json.without_schema, json.with_schema) {
        (Some(tables), None) => proto::selection::Selection::WithoutSchema(tables.into_wire()),
        (None, Some(schemas)) => proto::selection::Selection::WithSchema(proto::TablesWithSchema {
            schemas: schemas
                .schemas
                .into_iter()
                .map(|s| proto::SchemaSelection {
                    included: s.included,
                    schema_name: s.schema_name,
                    tables: s.tables.into_iter().map(TableJson::into_wire).collect(),
                    include_new_tables: s.include_new_tables,
                })
                .collect(),
            include_new_schemas: schemas.include_new_schemas,
        }),
        _ => {
            return Err("a selection has exactly one of `without_schema` and `with_schema`".into());
        }
    };
    Ok(proto::Selection {
        selection: Some(rule),
    })
}

#[cfg(any(test, feature = "local"))]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectionJson {
    without_schema: Option<TablesJson>,
    with_schema: Option<SchemasJson>,
}

#[cfg(any(test, feature = "local"))]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TablesJson {
    #[serde(default)]
    tables: Vec<TableJson>,
    #[serde(default)]
    include_new_tables: bool,
}

#[cfg(any(test, feature = "local"))]
impl TablesJson {
    fn into_wire(self) -> proto::TablesWithNoSchema {
        proto::TablesWithNoSchema {
            tables: self.tables.into_iter().map(TableJson::into_wire).collect(),
            include_new_tables: self.include_new_tables,
        }
    }
}

#[cfg(any(test, feature = "local"))]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemasJson {
    #[serde(default)]
    schemas: Vec<SchemaJson>,
    #[serde(default)]
    include_new_schemas: bool,
}

#[cfg(any(test, feature = "local"))]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaJson {
    #[serde(default)]
    included: bool,
    schema_name: String,
    #[serde(default)]
    tables: Vec<TableJson>,
    #[serde(default)]
    include_new_tables: bool,
}

#[cfg(any(test, feature = "local"))]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableJson {
    #[serde(default)]
    included: bool,
    table_name: String,
    #[serde(default)]
    columns: BTreeMap<String, bool>,
    #[serde(default)]
    include_new_columns: bool,
}

#[cfg(any(test, feature = "local"))]
impl TableJson {
    fn into_wire(self) -> proto::TableSelection {
        proto::TableSelection {
            included: self.included,
            table_name: self.table_name,
            columns: self.columns,
            include_new_columns: self.include_new_columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selection(document: serde_json::Value) -> Selection {
        Selection::from_wire(Some(selection_from_json(document).unwrap()))
    }

    #[test]
    fn no_selection_sends_everything() {
        let choice = Selection::everything().by_name(None, "t").unwrap();
        assert!(choice.is_everything());
        assert!(choice.column("anything"));
    }

    #[test]
    fn excluded_tables_and_columns_are_not_sent_and_new_ones_follow_the_flags() {
        let s = selection(json!({"without_schema": {
            "tables": [
                {"table_name": "kept", "included": true, "columns": {"secret": false, "name": true}},
                {"table_name": "dropped", "included": false}
            ],
            "include_new_tables": true
        }}));
        let kept = s.by_name(None, "kept").unwrap();
        assert!(kept.column("name"));
        assert!(!kept.column("secret"));
        assert!(!kept.column("new_column"), "include_new_columns is false");
        let keyed = kept.clone().with_keys(["secret"]);
        assert!(keyed.column("secret"), "a key column is always sent");
        assert_eq!(s.by_name(None, "dropped"), None);
        assert!(s.by_name(None, "brand_new").unwrap().is_everything());

        let closed =
            selection(json!({"without_schema": {"tables": [], "include_new_tables": false}}));
        assert_eq!(closed.by_name(None, "brand_new"), None);
    }

    #[test]
    fn schemas_are_selected_before_their_tables() {
        let s = selection(json!({"with_schema": {
            "schemas": [
                {"schema_name": "sales", "included": true, "include_new_tables": false,
                 "tables": [{"table_name": "orders", "included": true, "include_new_columns": true}]},
                {"schema_name": "hr", "included": false, "include_new_tables": true}
            ],
            "include_new_schemas": true
        }}));
        assert!(s.by_name(Some("sales"), "orders").is_some());
        assert_eq!(s.by_name(Some("sales"), "refunds"), None);
        assert_eq!(s.by_name(Some("hr"), "people"), None);
        assert!(s.by_name(Some("new_schema"), "t").is_some());
    }

    #[test]
    fn a_selection_file_with_both_or_neither_form_is_refused() {
        assert!(selection_from_json(json!({})).is_err());
        assert!(selection_from_json(json!({"without_schema": {}, "with_schema": {}})).is_err());
        assert!(
            selection_from_json(json!({"without_schema": {"tabels": []}}))
                .unwrap_err()
                .contains("tabels")
        );
    }
}
