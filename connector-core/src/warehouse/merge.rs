//! The SQL that applies one table's staged window to its target table, at a checkpoint, inside
//! the checkpoint's transaction.
//!
//! The window is cut into segments at each truncate. Within a segment, operations on one key are
//! folded in emission order: the last upsert gives the row (or, without one, the row already in
//! the target); each later update sets the columns it carries; a later delete marks the row
//! deleted; `_fivetran_synced` is the stamp of the last of them. Keys of one segment do not
//! interact, so the fold is set-based. After a segment, its truncate marks deleted every row
//! synced before it (`destination::system::truncates`). The result is the same as applying
//! every operation alone, in order (docs/warehouse.md, "Operations").

use super::sql::{qualified, quote};
use super::table::WarehouseTable;
use crate::destination::columns::Column;

/// Staging table of a target table (a temporary table, gone with the connection).
pub(crate) fn stage_name(index: usize) -> String {
    format!("__stage_{index}")
}

/// The statements for one table's window, in order.
pub(crate) fn statements(table: &WarehouseTable, stage: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut low = i64::MIN;
    for &(seq, stamp) in &table.truncates {
        if table.staged > 0 {
            statements.extend(segment(table, stage, low, seq));
        }
        statements.push(format!(
            "UPDATE {target} SET \"_fivetran_deleted\" = true \
             WHERE \"_fivetran_synced\" < make_timestamp({stamp}::BIGINT)::TIMESTAMPTZ",
            target = qualified(&table.schema, &table.name)
        ));
        low = seq;
    }
    if table.staged > 0 {
        statements.extend(segment(table, stage, low, i64::MAX));
    }
    statements
}

/// The statement for a window of upserts whose keys are unique and new to the target (see
/// `table::Ascending`): the rows are appended as they are.
pub(crate) fn append(table: &WarehouseTable, stage: &str) -> String {
    let columns: Vec<String> = typed_columns(table)
        .iter()
        .map(|(_, c)| quote(&c.name))
        .collect();
    let columns = columns.join(", ");
    format!(
        "INSERT INTO {target} ({columns}, \"_fivetran_deleted\", \"_fivetran_synced\") \
         SELECT {columns}, false, _synced FROM temp.main.{stage}",
        target = qualified(&table.schema, &table.name),
        stage = quote(stage),
    )
}

/// The columns that exist in the staging table (typed ones), keys first flagged.
fn typed_columns(table: &WarehouseTable) -> Vec<(usize, &Column)> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.data_type.is_some())
        .collect()
}

fn segment(table: &WarehouseTable, stage: &str, low: i64, high: i64) -> Vec<String> {
    let target = qualified(&table.schema, &table.name);
    let columns = typed_columns(table);
    let keys: Vec<String> = columns
        .iter()
        .filter(|(_, c)| c.primary_key)
        .map(|(_, c)| quote(&c.name))
        .collect();
    let values: Vec<(usize, String)> = columns
        .iter()
        .filter(|(_, c)| !c.primary_key)
        .map(|(i, c)| (*i, quote(&c.name)))
        .collect();
    let mut window = Vec::new();
    if low != i64::MIN {
        window.push(format!("_seq > {low}"));
    }
    if high != i64::MAX {
        window.push(format!("_seq <= {high}"));
    }
    let filter = if window.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", window.join(" AND "))
    };
    let rows = format!("(SELECT * FROM temp.main.{}{filter})", quote(stage));
    let key_list = keys.join(", ");
    let key_match = |left: &str, right: &str| {
        keys.iter()
            .map(|k| format!("{left}.{k} = {right}.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let all_columns: Vec<String> = keys
        .iter()
        .chain(values.iter().map(|(_, v)| v))
        .cloned()
        .collect();
    let insert_columns = format!(
        "{}, \"_fivetran_deleted\", \"_fivetran_synced\"",
        all_columns.join(", ")
    );

    // Only upserts: the last one per key replaces the row.
    if table.kinds == [true, false, false] {
        return vec![
            format!(
                "DELETE FROM {target} AS __t USING (SELECT DISTINCT {key_list} FROM {rows}) AS __m WHERE {}",
                key_match("__t", "__m")
            ),
            format!(
                "INSERT INTO {target} ({insert_columns}) SELECT {}, false, _synced FROM {rows} \
                 QUALIFY row_number() OVER (PARTITION BY {key_list} ORDER BY _seq DESC) = 1",
                all_columns.join(", ")
            ),
        ];
    }

    let mut aggregates = Vec::new();
    for (index, name) in &values {
        let position = index + 1;
        let set_here = format!("_op = 1 AND substr(_present, {position}, 1) = '1'");
        aggregates.push(format!(
            "arg_max_null({name}, _seq) FILTER (WHERE _op = 0) AS \"u{index}\""
        ));
        aggregates.push(format!(
            "arg_max_null({name}, _seq) FILTER (WHERE {set_here}) AS \"p{index}\""
        ));
        aggregates.push(format!("bool_or({set_here}) AS \"h{index}\""));
    }
    let fold = format!(
        "CREATE OR REPLACE TEMP TABLE __fold AS \
         WITH s AS {rows}, \
         u AS (SELECT {key_list}, max(_seq) AS _useq FROM s WHERE _op = 0 GROUP BY {key_list}), \
         t AS (SELECT s.*, u._useq FROM s LEFT JOIN u USING ({key_list}) WHERE u._useq IS NULL OR s._seq >= u._useq) \
         SELECT {key_list}, max(_useq) AS _useq, {aggregates}bool_or(_op = 2) AS _deleted, max(_synced) AS _synced \
         FROM t GROUP BY {key_list}",
        aggregates = aggregates
            .iter()
            .map(|a| format!("{a}, "))
            .collect::<String>()
    );
    let replaced: Vec<String> = values
        .iter()
        .map(|(index, _)| format!("CASE WHEN \"h{index}\" THEN \"p{index}\" ELSE \"u{index}\" END"))
        .collect();
    let updated: Vec<String> = values
        .iter()
        .map(|(index, name)| {
            format!("{name} = CASE WHEN __m.\"h{index}\" THEN __m.\"p{index}\" ELSE __t.{name} END")
        })
        .collect();
    vec![
        fold,
        format!(
            "DELETE FROM {target} AS __t USING __fold AS __m WHERE __m._useq IS NOT NULL AND {}",
            key_match("__t", "__m")
        ),
        format!(
            "INSERT INTO {target} ({insert_columns}) SELECT {}, _deleted, _synced FROM __fold WHERE _useq IS NOT NULL",
            keys.iter()
                .cloned()
                .chain(replaced)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "UPDATE {target} AS __t SET {}\"_fivetran_deleted\" = __t.\"_fivetran_deleted\" OR __m._deleted, \
             \"_fivetran_synced\" = __m._synced FROM __fold AS __m WHERE __m._useq IS NULL AND {}",
            updated.iter().map(|u| format!("{u}, ")).collect::<String>(),
            key_match("__t", "__m")
        ),
    ]
}
