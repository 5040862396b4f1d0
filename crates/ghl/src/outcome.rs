//! The exit-code contract of `ghl ask`.

use gohumanloop::Status;

/// Approved, or answered (information given, a conversation turn answered or ended).
pub const ANSWERED: i32 = 0;
/// Rejected.
pub const REJECTED: i32 = 1;
/// Expired or cancelled: nobody decided.
pub const UNDECIDED: i32 = 2;
/// Anything went wrong (usage error, end of input, provider failure).
pub const ERROR: i32 = 3;

/// The exit code for a final status.
pub fn exit_code(status: Status) -> i32 {
    match status {
        Status::Approved | Status::Completed | Status::InProgress => ANSWERED,
        Status::Rejected => REJECTED,
        Status::Expired | Status::Cancelled => UNDECIDED,
        Status::Error | Status::Pending => ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_documented_code() {
        let expected = [
            (Status::Pending, ERROR),
            (Status::Approved, ANSWERED),
            (Status::Rejected, REJECTED),
            (Status::Expired, UNDECIDED),
            (Status::Error, ERROR),
            (Status::Completed, ANSWERED),
            (Status::InProgress, ANSWERED),
            (Status::Cancelled, UNDECIDED),
        ];
        for (status, code) in expected {
            assert_eq!(exit_code(status), code, "{status}");
        }
    }
}
