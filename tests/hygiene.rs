//! Generated code names nothing through the user's scope: this crate shadows the prelude names
//! the macros could reach for, and has a module of its own called `connector_core`, yet every
//! macro expands and the connector runs.
#![allow(dead_code, non_camel_case_types, clippy::disallowed_names)]

use ::connector_core::prelude::{Configuration, Dropdown, Operations, json, state, sync, table};
use ::connector_core::testing::Destination;

mod connector_core {
    pub struct Operations;
}
struct Result;
struct Ok;
struct Option;
struct Some;
struct None;
struct Vec;
struct String;
struct Box;
struct Err;
struct Default;

#[table(name = "widgets", schema = "shop")]
pub struct Widget {
    #[primary_key]
    pub id: i64,
    pub name: ::std::string::String,
    pub price: ::std::option::Option<::connector_core::rust_decimal::Decimal>,
    #[column(json)]
    pub tags: ::std::string::String,
}

#[derive(Dropdown)]
pub enum Region {
    Eu,
    Us,
}

#[derive(Configuration)]
#[setup_test(always_passes, label = "Nothing to check")]
pub struct Config {
    #[field(secret)]
    pub api_key: ::std::string::String,
    #[field(default = "Eu")]
    pub region: Region,
    pub sizes: ::std::vec::Vec<u32>,
    pub note: ::std::option::Option<::std::string::String>,
}

async fn always_passes(_: &Config) -> ::connector_core::Result<()> {
    ::core::result::Result::Ok(())
}

#[state]
#[derive(::core::default::Default)]
pub struct Cursor {
    pub seen: i64,
}

#[sync(tables(Widget))]
async fn update(
    ops: &Operations,
    config: &Config,
    state: &mut Cursor,
) -> ::connector_core::Result<()> {
    for (id, size) in config.sizes.iter().enumerate() {
        let id = id as i64 + 1;
        ops.upsert(Widget {
            id,
            name: ::std::format!("w{size}"),
            price: ::std::option::Option::None,
            tags: "[]".into(),
        })
        .await?;
        state.seen = id;
    }
    ops.update(Widget::patch(1).name("renamed")).await?;
    ops.delete(WidgetKey { id: 2 }).await?;
    ops.checkpoint(state).await?;
    ::core::result::Result::Ok(())
}

#[tokio::test]
async fn every_macro_expands_with_the_prelude_names_shadowed() {
    let mut destination = Destination::new();
    let run = destination
        .sync::<update>(json!({"api_key": "k", "sizes": "3, 4"}))
        .await
        .expect("the sync succeeds");
    assert_eq!(run.report.total().upserts, 2);
    let live = destination.table("shop.widgets").live_rows();
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].get("name"),
        ::std::option::Option::Some(&"renamed".into())
    );
    assert_eq!(destination.state(), json!({"seen": 2}));
}
