//! `Value` and `Row`: coercion to a declared type, widening of inferred columns, the wire, and
//! rows read from JSON two ways.

use proptest::prelude::*;

use super::{data_type, has_type, json_text, same, value};
use crate::destination::columns::Column;
use crate::destination::types::fit;
use crate::row::Row;
use crate::schema::DataType;
use crate::value::{CoerceError, Value};

fn describe(value: &Value) -> String {
    match value.data_type() {
        Some(t) => format!("a value of type {}", t.fivetran_name()),
        None => "NULL".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A coerced value has the declared type and coerces to itself; a refusal names the
    /// value's type and the declared type, never the value.
    #[test]
    fn coercion_gives_the_declared_type_or_names_the_types(v in value(), target in data_type()) {
        match v.clone().coerce_to(target) {
            Ok(coerced) => {
                prop_assert!(has_type(&coerced, target), "{:?} as {}: {:?}", v, target, coerced);
                let again = coerced.clone().coerce_to(target);
                prop_assert!(again.as_ref().is_ok_and(|a| same(a, &coerced)), "{:?}: {:?}", coerced, again);
            }
            Err(CoerceError::DoesNotFit { value: kind, target: to }) => {
                prop_assert_eq!(to, target);
                prop_assert_eq!(kind, describe(&v));
            }
            Err(CoerceError::NotJson { value: kind }) => {
                prop_assert_eq!(target, DataType::Json);
                prop_assert!(matches!(v, Value::Json(_)));
                prop_assert_eq!(kind, describe(&v));
            }
        }
    }

    /// Whatever a column declares, its text form takes every value (as STRING does).
    #[test]
    fn string_takes_every_value_as_its_text(v in value()) {
        let text = v.clone().coerce_to(DataType::String);
        let expected = if v.is_null() { Value::Null } else { Value::String(v.clone().into_text()) };
        prop_assert_eq!(text, Ok(expected));
    }

    /// An inferred column widens to hold each value it meets, and every value it held converts
    /// to the type it ends with, the same whatever the order of the values. (It refuses a JSON
    /// value that is not a document, as a declared column does; and it became a DECIMAL with
    /// too few integer digits for a number it held: both found by this test.)
    #[test]
    fn an_inferred_column_holds_every_value_it_meets(values in prop::collection::vec(value(), 1..6)) {
        let new_column = || Column {
            name: "c".into(),
            data_type: None,
            declared: false,
            primary_key: false,
            target_type: None,
            integer_digits: 0,
        };
        let mut column = new_column();
        let mut held = Vec::new();
        for v in &values {
            let not_a_document = matches!(v, Value::Json(text)
                if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err());
            let fitted = fit(&mut column, v.clone(), "t");
            // It takes anything but a JSON value that is not a document.
            prop_assert_eq!(fitted.is_err(), not_a_document, "{:?}: {:?}", v, fitted);
            let Ok(fitted) = fitted else { continue };
            let now = column.data_type;
            prop_assert!(v.is_null() || now.is_some_and(|t| has_type(&fitted, t)),
                "{:?} in a column now {:?}: {:?}", v, now, fitted);
            held.push(v.clone());
        }
        if let Some(end) = column.data_type {
            for v in &held {
                let widened = v.clone().widen_to(end);
                prop_assert!(has_type(&widened, end), "{:?} widened to {}: {:?}", v, end, widened);
            }
        }
        // The values in reverse order end in the same type.
        let mut reversed = new_column();
        for v in values.iter().rev() {
            let _ = fit(&mut reversed, v.clone(), "t");
        }
        prop_assert_eq!(reversed.data_type, column.data_type);
    }

    /// Widening is a join: commutative, associative and idempotent, so the order rows arrive in
    /// does not change a column's type.
    #[test]
    fn widening_does_not_depend_on_order(a in data_type(), b in data_type(), c in data_type()) {
        prop_assert_eq!(a.widen(b), b.widen(a));
        prop_assert_eq!(a.widen(b).widen(c), a.widen(b.widen(c)));
        prop_assert_eq!(a.widen(a), a);
        prop_assert_eq!(a.widen(b).widen(a), a.widen(b));
    }

    /// A row read straight from JSON text is the row read through `serde_json::Value`.
    #[test]
    fn rows_read_from_json_two_ways_agree(members in prop::collection::vec(("\\PC{0,4}", json_text()), 0..6)) {
        let text = format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let direct: Row = serde_json::from_str(&text).unwrap();
        let through = Row::from_json(serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert_eq!(direct.len(), through.len());
        for (name, v) in through.iter() {
            prop_assert!(direct.get(name).is_some_and(|d| same(d, v)), "{}: {:?}", name, v);
        }
    }
}

#[cfg(feature = "reader")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every value reads back from the wire as it was sent.
    #[test]
    fn every_value_survives_the_wire(v in value()) {
        let wire = crate::grpc::wire::value(v.clone());
        let read = crate::grpc::read::value_from_wire(wire);
        prop_assert!(read.as_ref().is_ok_and(|r| same(r, &v)), "{:?} read as {:?}", v, read);
    }
}
