//! The schemas of the library's two enums for the OpenAPI document (the library does not
//! depend on utoipa): their values are listed from the library itself, so they cannot drift.

use std::borrow::Cow;

use gohumanloop::model::{LoopType, Status};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// The `Status` schema: the library's statuses, listed from [`Status::ALL`].
pub struct StatusName;

impl PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Where a request stands"))
            .enum_values(Some(Status::ALL.iter().map(|s| s.as_str())))
            .into()
    }
}

impl ToSchema for StatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Status")
    }
}

/// The `LoopType` schema: the library's kinds of interaction, from [`LoopType::ALL`].
pub struct LoopTypeName;

impl PartialSchema for LoopTypeName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("What kind of interaction"))
            .enum_values(Some(LoopType::ALL.iter().map(|t| t.as_str())))
            .into()
    }
}

impl ToSchema for LoopTypeName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("LoopType")
    }
}
