//! `mergeContacts`, `mergeAccounts`, `unmergeContacts`, `unmergeAccounts` (docs/design.md §6; rules in
//! `services::merge`).

use async_graphql::{Context, ID, Object, SimpleObject};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::model::{Account, Contact};
use crate::services::merge::{self, MergeResult, RefCount, UnmergeResult};

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Rows of one reference column (`table`.`column`, database names).
#[derive(SimpleObject)]
pub struct MergeRowCount {
    pub table: String,
    pub column: String,
    pub rows: i32,
}

fn counts(v: &[RefCount]) -> Vec<MergeRowCount> {
    v.iter().map(|c| MergeRowCount { table: c.table.into(), column: c.column.into(), rows: count(c.rows) }).collect()
}

/// The outcome of `mergeContacts`.
pub struct ContactMergeResult(MergeResult<entity::contact::Model>);

/// The outcome of `mergeAccounts`.
pub struct AccountMergeResult(MergeResult<entity::account::Model>);

macro_rules! merge_result {
    ($result:ident, $object:ident) => {
        #[Object]
        impl $result {
            /// The merge ledger entry; pass it to unmerge to undo the merge.
            async fn ledger_id(&self) -> ID {
                ID(self.0.ledger_id.clone())
            }
            /// The survivor after the merge.
            async fn survivor(&self) -> $object {
                $object(self.0.survivor.clone())
            }
            /// The merged records, now tombstones (`mergedIntoId` = the survivor).
            async fn merged_ids(&self) -> Vec<ID> {
                self.0.merged_ids.iter().cloned().map(ID).collect()
            }
            /// The survivor's empty fields the merge filled (API names).
            async fn filled_fields(&self) -> Vec<String> {
                self.0.filled.iter().map(|f| crate::error::field_name(f)).collect()
            }
            /// Rows moved from the merged records to the survivor, per reference.
            async fn repointed(&self) -> Vec<MergeRowCount> {
                counts(&self.0.repointed)
            }
            /// Rows left on a tombstone: the survivor already had the same link (same tag,
            /// segment, account…), or the move would make an account relation point at itself.
            async fn left_on_tombstones(&self) -> Vec<MergeRowCount> {
                counts(&self.0.left_on_tombstones)
            }
        }
    };
}

merge_result!(ContactMergeResult, Contact);
merge_result!(AccountMergeResult, Account);

/// The outcome of `unmergeContacts` / `unmergeAccounts`.
pub struct UnmergeOutcome(UnmergeResult);

#[Object]
impl UnmergeOutcome {
    async fn ledger_id(&self) -> ID {
        ID(self.0.ledger_id.clone())
    }
    async fn survivor_id(&self) -> ID {
        ID(self.0.survivor_id.clone())
    }
    /// The records brought back from tombstones.
    async fn restored_ids(&self) -> Vec<ID> {
        self.0.restored_ids.iter().cloned().map(ID).collect()
    }
    /// Re-pointed rows moved back to their record.
    async fn rows_restored(&self) -> i32 {
        count(self.0.rows_restored)
    }
    /// Re-pointed rows that no longer pointed at the survivor (changed since the merge): left
    /// as they are.
    async fn rows_changed_since(&self) -> Vec<MergeRowCount> {
        counts(&self.0.rows_changed_since)
    }
}

#[derive(Default)]
pub struct MergeMutations;

#[Object]
impl MergeMutations {
    /// Merges up to 20 duplicate contacts into `survivorId` in one transaction: the survivor's
    /// empty fields take the first non-empty value among `mergedIds` (in order; never
    /// overwriting), every reference (opportunities, touchpoints, events, identities, account
    /// links, converted leads, tags, segments, scores, attributions, journeys, campaign
    /// memberships) moves to the survivor unless the survivor already has it, and the merged
    /// contacts become tombstones (`mergedIntoId`). `unmergeContacts(ledgerId)` undoes it.
    async fn merge_contacts(
        &self,
        ctx: &Context<'_>,
        survivor_id: ID,
        merged_ids: Vec<ID>,
    ) -> GqlResult<ContactMergeResult> {
        let (state, actor) = write_context(ctx)?;
        let merged: Vec<String> = merged_ids.into_iter().map(|id| id.0).collect();
        merge::merge_contacts(&state.store, &state.pii, &actor, &survivor_id, &merged)
            .await
            .map(ContactMergeResult)
            .gql()
    }

    /// Merges up to 20 duplicate accounts into `survivorId`, like `mergeContacts` (references:
    /// contacts' primary account, account–contact links, opportunities, touchpoints, events,
    /// identities, account relations, converted leads, tags, segments, scores, attributions,
    /// journeys, campaign memberships). `unmergeAccounts(ledgerId)` undoes it.
    async fn merge_accounts(
        &self,
        ctx: &Context<'_>,
        survivor_id: ID,
        merged_ids: Vec<ID>,
    ) -> GqlResult<AccountMergeResult> {
        let (state, actor) = write_context(ctx)?;
        let merged: Vec<String> = merged_ids.into_iter().map(|id| id.0).collect();
        merge::merge_accounts(&state.store, &state.pii, &actor, &survivor_id, &merged)
            .await
            .map(AccountMergeResult)
            .gql()
    }

    /// Undoes a `mergeContacts`: the survivor's filled fields are emptied again, the tombstones
    /// come back, and every moved row that still points at the survivor moves back. A ledger of
    /// accounts is `BAD_USER_INPUT`, one undone already `CONFLICT`.
    async fn unmerge_contacts(&self, ctx: &Context<'_>, ledger_id: ID) -> GqlResult<UnmergeOutcome> {
        let (state, actor) = write_context(ctx)?;
        merge::unmerge_contacts(&state.store, &actor, &ledger_id).await.map(UnmergeOutcome).gql()
    }

    /// Undoes a `mergeAccounts` (see `unmergeContacts`).
    async fn unmerge_accounts(&self, ctx: &Context<'_>, ledger_id: ID) -> GqlResult<UnmergeOutcome> {
        let (state, actor) = write_context(ctx)?;
        merge::unmerge_accounts(&state.store, &actor, &ledger_id).await.map(UnmergeOutcome).gql()
    }
}
