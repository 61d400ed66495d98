//! Pure domain types, rules and plans of the write path.
//!
//! The rule of the module: no IO, no async, no database, GraphQL or HTTP types — only values,
//! parsers and state machines, each unit-tested in its file. Services (`src/services/`) parse
//! their inputs into these types, ask the state machines, and do the IO; the [`DomainError`]s they
//! get back convert into `AppError` with `?` (`BAD_USER_INPUT`, `INVALID_TRANSITION`, `CONFLICT`).
//!
//! * [`acquisition`]: a scene's data mapping rules and how one submission maps to a lead.
//! * [`value`]: parse-don't-validate newtypes (`Phone`, `Email`, `CreditCode`, `HttpUrl`, `Score`,
//!   `Percent`, `Rate`, `Money`, `BoundedText`, `EntityId`).
//! * [`mask`]: how much of a phone, e-mail or WeChat id is shown without the `pii` scope.
//! * [`lease`]: the protection period — claims, releases, extensions, renewal by follow-ups.
//! * [`lead_status`]: the lead status machine (docs/data-model.md, lead status flow).
//! * [`opportunity_stage`]: the opportunity stage machine (docs/data-model.md, opportunity stage flow),
//!   default probabilities and stage durations.
//! * [`conversion`]: the plan of a lead conversion — which records are created or linked, which
//!   empty fields are filled, owners, the opportunity's name, identity copies — from the facts the
//!   service read.
//! * [`merge`]: the decisions of merging contacts or accounts — what the survivor is filled with,
//!   which unique values move off the tombstones, which referencing rows move or stay — and the
//!   undo log that unmerge replays.
//! * [`rules`]: the routing condition language — a bounded parser into a typed `Rule` and its
//!   in-memory evaluator over one lead (`repo/rules.rs` is the SQL one).
//! * [`routing`]: a scene's auto-tagging and assignment rules (conditions, tags, strategies).
//! * [`performance`]: a performance row's measures from its day's counts — cost shares, ratios
//!   (NULL on a zero divisor).
//! * [`timezone`]: the business timezone (a fixed-offset zone) that cuts days, weeks, months and
//!   quarters.
//! * [`webhook`]: a scene's webhook settings, the signature headers and their check, and each
//!   platform adapter's translation of a delivery into a submission.

pub mod acquisition;
pub mod conversion;
mod error;
pub mod lead_status;
pub mod lease;
pub mod mask;
pub mod merge;
pub mod opportunity_stage;
pub mod performance;
pub mod routing;
pub mod rules;
pub mod timezone;
pub mod value;
pub mod verification;
pub mod webhook;

pub use error::{DomainError, TransitionError};
