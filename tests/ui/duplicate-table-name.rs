use connector_core::prelude::*;

#[table(name = "userData")]
pub struct Users {
    #[primary_key]
    pub id: i64,
}

#[table(name = "user-data")]
pub struct UserData {
    #[primary_key]
    pub id: i64,
}

#[sync(tables(Users, UserData))]
async fn update(ops: &Operations) -> Result<()> {
    let _ = ops;
    Ok(())
}

connector_core::main!(update);
