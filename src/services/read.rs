//! Reads of any entity. Today they pass straight to the generic repo; this is the seam where the
//! request principal's row restrictions (a partner token's `channels` claim) join every read, so
//! the GraphQL layer never talks to the repo directly.

pub use crate::repo::page::{count, count_per_parent, find_by, page, page_per_parent};
