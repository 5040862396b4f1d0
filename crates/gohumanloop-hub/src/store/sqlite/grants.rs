//! The policy's grants on SQLite: the shared statements of [`crate::store::grants`].

use sqlx::Sqlite;

use super::SqliteStore;

crate::store::grants::grants_on!(SqliteStore, Sqlite);
