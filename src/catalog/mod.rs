//! The catalogue: every fact about a table, stated once, typed, and read by every consumer.
//!
//! One [`Facts`] value per table (`catalog/tables.rs`), attached to its SeaORM entity through
//! [`Catalogued`]. `Facts` is a struct literal without defaults, so a table missing a fact does not
//! compile. What reads each fact:
//!
//! | fact | read by |
//! | --- | --- |
//! | `table` (name, primary key), `prefix`, `summary_of` | the GraphQL registrations (`Resource::TABLE`/`PREFIX`), ids, every statement |
//! | `columns` (each column's [`Domain`]) | generic writes' validation and defaults (`services/crud.rs`), the create inputs' required-ness in the SDL |
//! | `pii` | sealing on writes and filters, masking on reads, key rotation (`services/pii.rs`) |
//! | `channel` | read access (`services/read.rs`, `Access`) and generic writes' channel check — one fact for both |
//! | `lifecycle`, `owned` | generic writes: columns only a workflow mutation changes, starting values |
//! | `stale` | the summaries a generic write marks stale (`services/crud.rs`, `effects`) |
//! | `references` | reference checks on writes, merge's re-pointing (`services/merge.rs`), nested-list links |
//! | `unique` | error mapping: a unique violation names the API fields (`error.rs`) |
//!
//! `tests/api/catalog.rs` checks the catalogue against the migrated database (columns, foreign
//! keys, unique indexes) on both backends; `catalog::tests` checks it against the SeaORM entities.
//! Support queues (`summary_stale`, `outbox_event`, `lead_ingestion`, `webhook_signature`) and the
//! webhook secrets (`webhook_secret`, which no API reads and whose only reference, to its scene,
//! cascades) belong to `repo/` alone and are not catalogued.

mod pii;
mod tables;
#[cfg(test)]
mod tests;

pub use pii::{EMAIL, MOBILE_PHONE, PII_COLUMNS, PiiColumn, WECHAT_ID};

/// A table and its primary key, as every statement names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub name: &'static str,
    pub pk: &'static str,
}

/// What a column holds, beyond its SQL type: the rule its values follow on writes. The SQL type
/// (length, precision, nullability) still comes from the SeaORM column definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// The primary key: `<PREFIX>_<ULID>`, generated unless an import supplies one.
    Id,
    /// The id of another record (see [`Facts::references`]).
    Ref,
    /// Free text within the column's length.
    Text,
    /// A mobile phone number (`domain::value::Phone`).
    Phone,
    /// An e-mail address (`domain::value::Email`).
    Email,
    /// A WeChat id (free text; normalised only for its blind index).
    WechatId,
    /// A unified social credit code (`domain::value::CreditCode`), stored canonical.
    CreditCode,
    /// An http(s) URL (`domain::value::HttpUrl`).
    Url,
    /// One of a stored enum's values (the GraphQL enum already restricts it).
    Enum,
    /// A count, size, order or duration: never negative; 0 when a NOT NULL column is left out.
    Count,
    /// A 0–100 score or probability (`domain::value::Score`); 0 when left out.
    Score,
    /// A non-negative amount of money (`domain::value::Money`); 0 when left out.
    Money,
    /// A percentage 0–100 with two decimals (`domain::value::Percent`); 0 when left out.
    Percent,
    /// A fraction 0–1 with four decimals (`domain::value::Rate`); 0 when left out.
    Rate,
    /// A signed ratio (ROI: revenue below cost is negative) within the column's precision.
    Ratio,
    /// A flag; false when left out.
    Flag,
    /// A point in time.
    Instant,
    /// A calendar date.
    Date,
    /// A JSON object or array.
    Json,
    /// A scene's data mapping rules: JSON that parses as `domain::acquisition::MappingRules`.
    MappingRules,
    /// A scene's auto-tagging rules: JSON that parses as `domain::routing::TaggingRules`, whose
    /// tags must exist.
    AutoTaggingRules,
    /// A scene's assignment rules: JSON that parses as `domain::routing::AssignmentRules`, whose
    /// users and teams must exist.
    AssignmentRules,
    /// A scene's parameters: a JSON object whose `webhook` entry parses as
    /// `domain::webhook::WebhookSettings`.
    SceneParams,
    /// `created_at`: the server's clock at creation.
    Created,
    /// `updated_at`: the server's clock at every write.
    Updated,
    /// The blind index of a PII column, computed by the server.
    BlindIndex,
}

impl Domain {
    /// Whether the server fills a NOT NULL column of this domain when a create leaves it out.
    pub const fn has_server_default(self) -> bool {
        matches!(
            self,
            Domain::Id
                | Domain::Count
                | Domain::Score
                | Domain::Money
                | Domain::Percent
                | Domain::Rate
                | Domain::Ratio
                | Domain::Flag
                | Domain::Created
                | Domain::Updated
                | Domain::BlindIndex
        )
    }
}

/// One column and its domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Col(pub &'static str, pub Domain);

/// The column of a [`ChannelScope::Own`] table that names the row's channel.
pub const CHANNEL_COLUMN: &str = "channel_id";

/// How a row reaches its channel, for channel-restricted (partner) tokens: the rows they may read
/// and the rows they may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelScope {
    /// Not channel data: every token with `read` sees every row.
    Unbound,
    /// The row's own `channel_id` (rows without a channel are no partner's).
    Own,
    /// The row follows its parent: `col` names a row of `parent`, a table scoped [`ChannelScope::Own`].
    Via { col: &'static str, parent: Table },
}

/// The workflow that drives a table's rows through their lifecycle, beyond plain writes: it sets
/// starting values on create and decides which rows may still be edited or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Plain,
    /// `changeLeadStatus` / `convertLead` (`domain/lead_status.rs`).
    Lead,
    /// `moveOpportunityStage` (`domain/opportunity_stage.rs`).
    Opportunity,
}

/// A column a plain create/update may not set, and the mutation that changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owned(pub &'static str, pub &'static str);

/// The three summary tables (serialised in domain events as `ACCOUNT`, `CONTACT`, `LEAD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Summary {
    Account,
    Contact,
    Lead,
}

/// A summary a write of a row makes stale (read on the row before and after the write, so a row
/// that moves makes both its old and its new parent stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// The summary of the record `col` names.
    Of(&'static str, Summary),
    /// The `active_campaigns` of the accounts the campaign `col` names reaches through its members.
    Campaign(&'static str),
    /// The summary of a polymorphic member: `col` names an account or a contact, by `discriminator`.
    Member { col: &'static str, discriminator: &'static str },
    /// The performance rows of the business day of `col` (a timestamp cut in the business zone,
    /// or a date, which is a business date): that day is recomputed (docs/performance.md).
    Day(&'static str),
    /// The performance rows of every day of the date range `from..=to` (a campaign's cost spread).
    Days { from: &'static str, to: &'static str },
    /// The performance rows of the days of the opportunities of lead `col` (credited to its
    /// channel and campaign), found when the refresh runs.
    LeadDays(&'static str),
    /// The performance rows of every day of channel `col` since its creation (its monthly cost is
    /// spread over them), found when the refresh runs.
    ChannelDays(&'static str),
}

/// How a reference column is kept true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// A foreign key in the database.
    Fk,
    /// Polymorphic (`entity_type` + `entity_id`): the row names `to` when `discriminator = value`.
    /// No database constraint can hold it; the write path checks it.
    Poly { discriminator: &'static str, value: &'static str },
    /// A plain column without a constraint (`merged_into_id`: SQLite cannot add a foreign key to an
    /// existing table; a journey's stage by its unique name).
    Plain,
}

/// A column that names a row of another (or the same) table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub col: &'static str,
    pub to: Table,
    /// The referenced column: `to.pk`, or a unique column for [`Reference::by_key`].
    pub key: &'static str,
    pub kind: RefKind,
}

impl Reference {
    pub const fn fk<T: Catalogued>(col: &'static str) -> Reference {
        Reference { col, to: T::TABLE, key: T::TABLE.pk, kind: RefKind::Fk }
    }

    pub const fn poly<T: Catalogued>(col: &'static str, discriminator: &'static str, value: &'static str) -> Reference {
        Reference { col, to: T::TABLE, key: T::TABLE.pk, kind: RefKind::Poly { discriminator, value } }
    }

    pub const fn plain<T: Catalogued>(col: &'static str) -> Reference {
        Reference { col, to: T::TABLE, key: T::TABLE.pk, kind: RefKind::Plain }
    }

    pub const fn by_key<T: Catalogued>(col: &'static str, key: &'static str) -> Reference {
        Reference { col, to: T::TABLE, key, kind: RefKind::Plain }
    }

    /// `(discriminator column, value)` of a polymorphic reference.
    pub const fn discriminator(&self) -> Option<(&'static str, &'static str)> {
        match self.kind {
            RefKind::Poly { discriminator, value } => Some((discriminator, value)),
            _ => None,
        }
    }
}

/// A unique index: its name and columns (blind-index columns stand for their PII field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unique(pub &'static str, pub &'static [&'static str]);

impl Unique {
    /// The API fields the key is about, as a client names them (`channelId + channelAccountId`).
    pub fn fields(&self) -> String {
        self.1.iter().map(|c| field_name(c.strip_suffix("_bidx").unwrap_or(c))).collect::<Vec<_>>().join(" + ")
    }
}

/// Whether `camel` is the API name of the column `snake` ([`field_name`], compared without
/// allocating: the read planner looks each selected field up among its type's fields this way on
/// every request, so a name that differs in its first byte or is too long is turned away before
/// the walk).
pub fn is_field_name(snake: &str, camel: &str) -> bool {
    let (snake, camel) = (snake.as_bytes(), camel.as_bytes());
    if camel.len() > snake.len() || (snake.first() != Some(&b'_') && snake.first() != camel.first()) {
        return false;
    }
    let mut want = camel.iter();
    let mut upper = false;
    for &b in snake {
        if b == b'_' {
            upper = true;
            continue;
        }
        let expect = if upper { b.to_ascii_uppercase() } else { b };
        upper = false;
        if want.next() != Some(&expect) {
            return false;
        }
    }
    want.next().is_none()
}

/// The API (camelCase) name of a column: error messages name fields as clients know them.
pub fn field_name(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Everything the code knows about one table beyond its SeaORM definition.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub table: Table,
    /// `Some` for a summary table: derived rows, recomputed from their parent's data
    /// (`repo/summary.rs`), never written through the API nor moved by a merge.
    pub summary_of: Option<Summary>,
    /// The id prefix: `<PREFIX>_<ULID>`.
    pub prefix: &'static str,
    /// Every column, in the entity's order, with its domain.
    pub columns: &'static [Col],
    /// Encrypted columns (each with its blind index).
    pub pii: &'static [PiiColumn],
    pub channel: ChannelScope,
    pub lifecycle: Lifecycle,
    pub owned: &'static [Owned],
    pub stale: &'static [Stale],
    pub references: &'static [Reference],
    pub unique: &'static [Unique],
}

impl Facts {
    pub fn domain(&self, col: &str) -> Option<Domain> {
        self.columns.iter().find(|c| c.0 == col).map(|c| c.1)
    }

    /// The mutation that owns `col`, when a plain create/update may not set it.
    pub fn owner(&self, col: &str) -> Option<&'static str> {
        if self.domain(col) == Some(Domain::BlindIndex) {
            return Some("the PII field itself");
        }
        self.owned.iter().find(|o| o.0 == col).map(|o| o.1)
    }

    pub fn pii_column(&self, col: &str) -> Option<PiiColumn> {
        self.pii.iter().find(|p| p.column == col).copied()
    }

    /// The to-one reference stored in `col`, when it has a single target (foreign keys and plain
    /// references; a polymorphic column has one per target).
    pub fn reference(&self, col: &str) -> Option<&'static Reference> {
        self.references.iter().find(|r| r.col == col && r.discriminator().is_none())
    }

    /// Whether the server sets `col` on create when the input leaves it out: a domain default, or
    /// the workflow's starting value (a lead starts NEW, an opportunity in QUALIFICATION).
    pub const fn server_sets(&self, col: &str) -> bool {
        let mut i = 0;
        while i < self.columns.len() {
            let Col(name, domain) = self.columns[i];
            if same(name, col) {
                return domain.has_server_default() || lifecycle_sets(self.lifecycle, col);
            }
            i += 1;
        }
        false
    }
}

/// The NOT NULL columns a workflow gives their starting value on create.
const fn lifecycle_sets(lifecycle: Lifecycle, col: &str) -> bool {
    match lifecycle {
        Lifecycle::Plain => false,
        Lifecycle::Lead => same(col, "lead_status"),
        Lifecycle::Opportunity => same(col, "stage"),
    }
}

/// Whether two strings are equal, in a const context.
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A table of the catalogue: its SeaORM entity carries its facts. No defaults: a new table states
/// every fact or does not compile.
pub trait Catalogued: sea_orm::EntityTrait {
    const TABLE: Table;
    const FACTS: Facts;
}

/// `ALL`, and the SeaORM column definitions of each table (checked against the facts in tests).
macro_rules! register {
    ($($table:ident),* $(,)?) => {
        /// Every catalogued table.
        pub const ALL: &[Facts] = &[$(<entity::$table::Entity as Catalogued>::FACTS),*];

        /// The SeaORM columns of `table`, in the entity's order, and its primary key.
        pub fn entity_columns(table: &str) -> Option<(Vec<(&'static str, sea_orm::ColumnDef)>, Vec<&'static str>)> {
            use sea_orm::{ColumnTrait, IdenStatic, Iterable, PrimaryKeyToColumn};
            $(
                if table == stringify!($table) {
                    let cols = entity::$table::Column::iter().map(|c| (c.as_str(), c.def())).collect();
                    let pk = entity::$table::PrimaryKey::iter().map(|k| k.into_column().as_str()).collect();
                    return Some((cols, pk));
                }
            )*
            None
        }
    };
}

// Every catalogued table. Registering a new table is one line here.
register! {
    account,
    account_channel_identity,
    account_contact_relation,
    account_relation,
    account_summary,
    acquisition_scene,
    app_user,
    attribution,
    campaign,
    campaign_member,
    campaign_performance,
    channel,
    channel_performance,
    contact,
    contact_channel_identity,
    contact_summary,
    customer_journey,
    event,
    industry,
    journey_stage,
    lead,
    lead_assignment_log,
    lead_channel_identity,
    lead_summary,
    merge_ledger,
    opportunity,
    opportunity_product,
    opportunity_stage_history,
    product,
    product_category,
    score_history,
    score_model,
    score_record,
    segment,
    segment_member,
    tag,
    tag_relation,
    team,
    touchpoint,
    touchpoint_attachment,
    touchpoint_attribution,
}

/// The facts of `table`. Every table a statement names is catalogued, so a miss is a bug.
pub fn of(table: &str) -> &'static Facts {
    ALL.iter().find(|f| f.table.name == table).unwrap_or_else(|| panic!("table {table} is not in the catalogue"))
}

/// The summary table of `summary`.
pub fn summary_table(summary: Summary) -> &'static Facts {
    ALL.iter().find(|f| f.summary_of == Some(summary)).expect("every summary has its table")
}

/// Every reference to `table` from any table (foreign keys, polymorphic and plain ones).
pub fn references_to(table: &str) -> impl Iterator<Item = (&'static Facts, &'static Reference)> + '_ {
    ALL.iter().flat_map(move |f| f.references.iter().filter(move |r| r.to.name == table).map(move |r| (f, r)))
}
