//! The audit log's hash chain: every entry's hash covers its content and the previous hash, so
//! editing, removing or reordering an entry breaks every hash after it.

use sha2::{Digest, Sha256};

use crate::record::AuditEntry;

/// The `prev_hash` of the first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers (everything but the hash itself).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuditFields<'a> {
    /// Position in the log.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: &'a str,
    /// The tenant.
    pub tenant: i64,
    /// The hub's request id.
    pub request: &'a str,
    /// Who.
    pub actor: &'a str,
    /// Which way.
    pub channel: &'a str,
    /// Status before (`None` for a create).
    pub old_status: Option<&'a str>,
    /// Status after.
    pub new_status: &'a str,
    /// The answer or reason, compact JSON.
    pub detail: &'a str,
    /// The previous entry's hash.
    pub prev_hash: &'a str,
}

/// The SHA-256 (hex) of an entry: over a JSON array of its fields, which cannot be ambiguous.
pub(crate) fn entry_hash(f: &AuditFields<'_>) -> String {
    let canonical = serde_json::json!([
        f.seq,
        f.at,
        f.tenant,
        f.request,
        f.actor,
        f.channel,
        f.old_status,
        f.new_status,
        f.detail,
        f.prev_hash
    ]);
    hex(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// The SHA-256 (hex) of any bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The result of checking a whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every entry is intact: this many.
    Intact(u64),
    /// The first entry (by `seq`) whose link or hash does not hold, and why.
    Broken {
        /// Its position.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Checks entries given in `seq` order, carrying the chain across calls (the log is read in pages).
#[derive(Debug, Clone)]
pub(crate) struct ChainVerifier {
    prev_hash: String,
    prev_seq: i64,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS.to_owned(),
            prev_seq: 0,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry; `Err` names what is broken.
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainCheck> {
        let broken = |reason: String| ChainCheck::Broken { seq: e.seq, reason };
        if e.seq != self.prev_seq + 1 {
            return Err(broken(format!(
                "entry {} follows entry {}: entries are missing",
                e.seq, self.prev_seq
            )));
        }
        if e.prev_hash != self.prev_hash {
            return Err(broken(
                "its prev_hash is not the previous entry's hash".into(),
            ));
        }
        let old = e.old_status.map(|s| s.as_str());
        let expected = entry_hash(&AuditFields {
            seq: e.seq,
            at: &e.at,
            tenant: e.tenant,
            request: &e.request,
            actor: &e.actor,
            channel: &e.channel,
            old_status: old,
            new_status: e.new_status.as_str(),
            detail: &e.detail,
            prev_hash: &e.prev_hash,
        });
        if expected != e.hash {
            return Err(broken("its content does not match its hash".into()));
        }
        self.prev_hash = e.hash.clone();
        self.prev_seq = e.seq;
        self.checked += 1;
        Ok(())
    }

    /// The verdict once every entry was checked.
    pub fn finish(self) -> ChainCheck {
        ChainCheck::Intact(self.checked)
    }
}
