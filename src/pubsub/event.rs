//! The domain events of docs/design.md §6 / issue 5: what a committed write tells subscribers. They carry
//! ids and enum values only (never PII): a subscriber reads the record itself, through its own
//! access, when it wants more. Enum values are the stored ones (`"QUALIFIED"`, `"ACCOUNT"`).

use entity::enums::{LeadStatus, OpportunityStage};
use serde::{Deserialize, Serialize};

use crate::repo::summary::Summary;

/// One change, as stored in the outbox (`payload`, tagged by `type`) and delivered to subscribers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DomainEvent {
    LeadCreated {
        lead_id: String,
        channel_id: Option<String>,
    },
    /// Any other change of a lead's own columns (status changes, assignment and conversion have
    /// their own events, and are also updates).
    LeadUpdated {
        lead_id: String,
        channel_id: Option<String>,
    },
    LeadStatusChanged {
        lead_id: String,
        channel_id: Option<String>,
        from: LeadStatus,
        to: LeadStatus,
    },
    LeadConverted {
        lead_id: String,
        channel_id: Option<String>,
        contact_id: String,
        account_id: String,
        opportunity_id: Option<String>,
    },
    /// The lead got an owner (or another one).
    LeadAssigned {
        lead_id: String,
        channel_id: Option<String>,
        owner_user_id: String,
    },
    /// The lead lost its owner: back in the public pool.
    LeadReturnedToPool {
        lead_id: String,
        channel_id: Option<String>,
    },
    OpportunityStageChanged {
        opportunity_id: String,
        account_id: String,
        from: OpportunityStage,
        to: OpportunityStage,
    },
    SummaryUpdated {
        summary: Summary,
        ids: Vec<String>,
    },
    /// Events stored by one ingestion call, per channel.
    EventsIngested {
        channel_id: Option<String>,
        event_ids: Vec<String>,
    },
    /// A lead ingestion was processed into a new lead, or found the lead it duplicates.
    LeadIngested {
        ingestion_id: String,
        scene_id: String,
        lead_id: String,
        channel_id: Option<String>,
        duplicate: bool,
    },
}

impl DomainEvent {
    /// The outbox's `event_type` column (the serde tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            DomainEvent::LeadCreated { .. } => "LEAD_CREATED",
            DomainEvent::LeadUpdated { .. } => "LEAD_UPDATED",
            DomainEvent::LeadStatusChanged { .. } => "LEAD_STATUS_CHANGED",
            DomainEvent::LeadConverted { .. } => "LEAD_CONVERTED",
            DomainEvent::LeadAssigned { .. } => "LEAD_ASSIGNED",
            DomainEvent::LeadReturnedToPool { .. } => "LEAD_RETURNED_TO_POOL",
            DomainEvent::OpportunityStageChanged { .. } => "OPPORTUNITY_STAGE_CHANGED",
            DomainEvent::SummaryUpdated { .. } => "SUMMARY_UPDATED",
            DomainEvent::EventsIngested { .. } => "EVENTS_INGESTED",
            DomainEvent::LeadIngested { .. } => "LEAD_INGESTED",
        }
    }

    /// The lead and its channel, for the lead events (channel restrictions apply to them).
    pub fn lead(&self) -> Option<(&str, Option<&str>)> {
        match self {
            DomainEvent::LeadCreated { lead_id, channel_id }
            | DomainEvent::LeadUpdated { lead_id, channel_id }
            | DomainEvent::LeadStatusChanged { lead_id, channel_id, .. }
            | DomainEvent::LeadConverted { lead_id, channel_id, .. }
            | DomainEvent::LeadAssigned { lead_id, channel_id, .. }
            | DomainEvent::LeadReturnedToPool { lead_id, channel_id }
            | DomainEvent::LeadIngested { lead_id, channel_id, .. } => Some((lead_id, channel_id.as_deref())),
            _ => None,
        }
    }
}

/// A delivered event: its outbox sequence number and commit time.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub seq: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub event: DomainEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_tag_is_the_type_name() {
        let events = [
            DomainEvent::LeadCreated { lead_id: "L".into(), channel_id: None },
            DomainEvent::SummaryUpdated { summary: Summary::Account, ids: vec!["A".into()] },
            DomainEvent::EventsIngested { channel_id: Some("CH".into()), event_ids: vec![] },
            DomainEvent::LeadIngested {
                ingestion_id: "ING".into(),
                scene_id: "SCN".into(),
                lead_id: "L".into(),
                channel_id: None,
                duplicate: false,
            },
            DomainEvent::OpportunityStageChanged {
                opportunity_id: "O".into(),
                account_id: "A".into(),
                from: OpportunityStage::Proposal,
                to: OpportunityStage::Negotiation,
            },
        ];
        for e in events {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["type"], e.type_name());
            match &e {
                DomainEvent::SummaryUpdated { .. } => assert_eq!(json["summary"], "ACCOUNT"),
                DomainEvent::OpportunityStageChanged { .. } => assert_eq!(json["to"], "NEGOTIATION"),
                _ => {}
            }
            assert_eq!(serde_json::from_value::<DomainEvent>(json).unwrap(), e);
        }
    }
}
