//! The encrypted columns: the same three on every table that holds personal contact data.

use crate::crypto::PiiKind;

/// One encrypted column: its name, the blind-index column beside it, and how it normalises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiiColumn {
    pub column: &'static str,
    pub bidx: &'static str,
    pub kind: PiiKind,
}

pub const MOBILE_PHONE: PiiColumn =
    PiiColumn { column: "mobile_phone", bidx: "mobile_phone_bidx", kind: PiiKind::Phone };
pub const EMAIL: PiiColumn = PiiColumn { column: "email", bidx: "email_bidx", kind: PiiKind::Email };
pub const WECHAT_ID: PiiColumn = PiiColumn { column: "wechat_id", bidx: "wechat_id_bidx", kind: PiiKind::WechatId };
/// The encrypted columns; a table with PII has all of them.
pub const PII_COLUMNS: [PiiColumn; 3] = [MOBILE_PHONE, EMAIL, WECHAT_ID];
