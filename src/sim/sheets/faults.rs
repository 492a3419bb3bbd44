//! Misbehaviour on demand and bookkeeping: queued faults (429 with Retry-After, 500, 502, 503)
//! consumed in order by the requests they match, answered instead of serving the request or
//! after carrying it out (Google: a 5xx "may or may not" have been applied), or a connection
//! dropped after carrying it out; and request counts by kind.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// The kinds of request the simulator serves and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequestKind {
    /// `POST /token` (the OAuth JWT grant).
    Token,
    /// `spreadsheets.get`.
    Get,
    /// `spreadsheets.values.get`.
    ValuesGet,
    /// `spreadsheets.values.batchGet`.
    ValuesBatchGet,
    /// `spreadsheets.batchUpdate`.
    BatchUpdate,
}

/// When a fault strikes, relative to carrying out the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTiming {
    /// The error is answered instead of serving the request: nothing is applied.
    #[default]
    Instead,
    /// The request is carried out (a batchUpdate lands), then answered with the error.
    AfterApplying,
    /// The request is carried out, then the connection is closed without an answer (the
    /// status is not used).
    DropAfterApplying,
}

/// An error the simulator answers for `times` matching requests.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    /// The kind of request it hits; `None` hits any Sheets API request (not `/token`).
    #[serde(default)]
    pub kind: Option<RequestKind>,
    /// HTTP status: 429, 500 and 503 get Google's messages, others a generic one.
    pub status: u16,
    /// How many requests it answers before it is used up.
    #[serde(default = "one")]
    pub times: usize,
    /// Seconds sent in a `Retry-After` header.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Before (instead of) or after carrying out the request.
    #[serde(default)]
    pub timing: FaultTiming,
    /// Matching requests served normally before the fault strikes (e.g. 1: the second write).
    #[serde(default)]
    pub skip: usize,
}

impl Fault {
    /// `times` answers of `status` to requests of `kind`, instead of serving them.
    pub fn new(kind: Option<RequestKind>, status: u16, times: usize) -> Fault {
        Fault {
            kind,
            status,
            times,
            retry_after: None,
            timing: FaultTiming::Instead,
            skip: 0,
        }
    }

    /// The same fault, striking only after `n` matching requests were served normally.
    pub fn after(self, n: usize) -> Fault {
        Fault { skip: n, ..self }
    }

    /// The next batchUpdate is carried out, then answered with `status`.
    pub fn write_applied_then(status: u16) -> Fault {
        Fault {
            timing: FaultTiming::AfterApplying,
            ..Fault::new(Some(RequestKind::BatchUpdate), status, 1)
        }
    }

    /// The next batchUpdate is carried out, then its connection is dropped unanswered.
    pub fn write_applied_then_dropped() -> Fault {
        Fault {
            timing: FaultTiming::DropAfterApplying,
            ..Fault::new(Some(RequestKind::BatchUpdate), 0, 1)
        }
    }
}

/// A fault taken from the queue for one request.
#[derive(Debug)]
pub struct Struck {
    pub error: ApiError,
    pub timing: FaultTiming,
}

fn one() -> usize {
    1
}

impl Fault {
    fn matches(&self, kind: RequestKind) -> bool {
        match self.kind {
            Some(k) => k == kind,
            None => kind != RequestKind::Token,
        }
    }

    fn error(&self) -> ApiError {
        let message = match self.status {
            429 => "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per \
                    user' of service 'sheets.googleapis.com' for consumer 'project_number:0'."
                .to_string(),
            500 => "Internal error encountered.".to_string(),
            502 => "Bad Gateway".to_string(),
            503 => "The service is currently unavailable.".to_string(),
            s => format!("Simulated failure with status {s}."),
        };
        ApiError {
            status: self.status,
            message,
            retry_after: self.retry_after,
        }
    }
}

/// Faults waiting for the requests they match, oldest first.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: VecDeque<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.queue.push_back(fault);
        }
    }

    /// The error for a request of `kind`, using up one answer of the oldest matching fault.
    pub fn take(&mut self, kind: RequestKind) -> Option<ApiError> {
        self.strike(kind).map(|s| s.error)
    }

    /// The oldest matching fault (its error and timing), using up one of its answers.
    pub fn strike(&mut self, kind: RequestKind) -> Option<Struck> {
        let position = self.queue.iter().position(|f| f.matches(kind))?;
        let fault = &mut self.queue[position];
        if fault.skip > 0 {
            fault.skip -= 1;
            return None;
        }
        let struck = Struck {
            error: fault.error(),
            timing: fault.timing,
        };
        fault.times -= 1;
        if fault.times == 0 {
            self.queue.remove(position);
        }
        Some(struck)
    }

    pub fn pending(&self) -> usize {
        self.queue.iter().map(|f| f.times).sum()
    }
}

/// Requests received, by kind; `rejected` counts those answered with an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    pub token: usize,
    pub get: usize,
    pub values_get: usize,
    pub values_batch_get: usize,
    pub batch_update: usize,
    /// Subrequests inside all `batchUpdate` bodies received.
    pub batch_update_subrequests: usize,
    pub rejected: usize,
}

impl RequestCounts {
    pub fn record(&mut self, kind: RequestKind) {
        match kind {
            RequestKind::Token => self.token += 1,
            RequestKind::Get => self.get += 1,
            RequestKind::ValuesGet => self.values_get += 1,
            RequestKind::ValuesBatchGet => self.values_batch_get += 1,
            RequestKind::BatchUpdate => self.batch_update += 1,
        }
    }

    /// Read requests against the Sheets API (get, values.get, values.batchGet).
    pub fn reads(&self) -> usize {
        self.get + self.values_get + self.values_batch_get
    }

    /// Write requests against the Sheets API (batchUpdate calls, not subrequests).
    pub fn writes(&self) -> usize {
        self.batch_update
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: Option<RequestKind>, status: u16, times: usize) -> Fault {
        Fault::new(kind, status, times)
    }

    #[test]
    fn faults_are_consumed_in_order_by_matching_kinds() {
        let mut q = FaultQueue::default();
        q.push(fault(Some(RequestKind::BatchUpdate), 500, 1));
        q.push(fault(None, 429, 2));
        q.push(fault(Some(RequestKind::Get), 503, 0));
        assert_eq!(q.pending(), 3);
        assert_eq!(
            q.take(RequestKind::Token),
            None,
            "token requests are not API requests"
        );
        assert_eq!(q.take(RequestKind::Get).unwrap().status, 429);
        assert_eq!(q.take(RequestKind::BatchUpdate).unwrap().status, 500);
        assert_eq!(q.take(RequestKind::BatchUpdate).unwrap().status, 429);
        assert_eq!(q.take(RequestKind::Get), None);
        assert_eq!(q.pending(), 0);
    }

    #[test]
    fn retry_after_is_carried() {
        let mut q = FaultQueue::default();
        q.push(Fault {
            retry_after: Some(7),
            ..fault(Some(RequestKind::Token), 429, 1)
        });
        let e = q.take(RequestKind::Token).unwrap();
        assert_eq!((e.status, e.retry_after), (429, Some(7)));
        assert_eq!(e.status_name(), "RESOURCE_EXHAUSTED");
    }

    #[test]
    fn reads_and_writes() {
        let mut c = RequestCounts::default();
        for k in [
            RequestKind::Get,
            RequestKind::ValuesBatchGet,
            RequestKind::ValuesGet,
            RequestKind::BatchUpdate,
            RequestKind::Token,
        ] {
            c.record(k);
        }
        assert_eq!((c.reads(), c.writes(), c.token), (3, 1, 1));
    }

    #[test]
    fn fault_json_defaults() {
        let f: Fault = serde_json::from_str(r#"{"status":429,"retry_after":2}"#).unwrap();
        assert_eq!((f.kind, f.times, f.retry_after), (None, 1, Some(2)));
        let f: Fault =
            serde_json::from_str(r#"{"kind":"BatchUpdate","status":500,"times":3}"#).unwrap();
        assert_eq!(f.kind, Some(RequestKind::BatchUpdate));
        assert_eq!(f.timing, FaultTiming::Instead);
        let f: Fault = serde_json::from_str(r#"{"status":503,"timing":"after_applying"}"#).unwrap();
        assert_eq!(f.timing, FaultTiming::AfterApplying);
        let f: Fault =
            serde_json::from_str(r#"{"status":0,"timing":"drop_after_applying"}"#).unwrap();
        assert_eq!(f.timing, FaultTiming::DropAfterApplying);
    }

    #[test]
    fn timing_is_carried() {
        let mut q = FaultQueue::default();
        q.push(Fault::write_applied_then(502));
        q.push(Fault::write_applied_then_dropped());
        assert!(q.strike(RequestKind::Get).is_none());
        let s = q.strike(RequestKind::BatchUpdate).unwrap();
        assert_eq!(
            (s.error.status, s.timing),
            (502, FaultTiming::AfterApplying)
        );
        let s = q.strike(RequestKind::BatchUpdate).unwrap();
        assert_eq!(s.timing, FaultTiming::DropAfterApplying);
        assert_eq!(q.pending(), 0);
    }

    #[test]
    fn a_fault_can_let_requests_pass_first() {
        let mut q = FaultQueue::default();
        q.push(Fault::new(Some(RequestKind::BatchUpdate), 500, 1).after(2));
        assert!(q.strike(RequestKind::BatchUpdate).is_none());
        assert!(q.strike(RequestKind::Get).is_none());
        assert!(q.strike(RequestKind::BatchUpdate).is_none());
        assert_eq!(
            q.strike(RequestKind::BatchUpdate).unwrap().error.status,
            500
        );
        assert_eq!(q.pending(), 0);
    }
}
