//! The policy's grants on PostgreSQL: the shared statements of [`crate::store::grants`].

use sqlx::Postgres;

use super::PgStore;

crate::store::grants::grants_on!(PgStore, Postgres);
