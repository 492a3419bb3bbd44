//! The invocation events the function accepts, turned into what a run needs. Pure.
//!
//! Accepted shapes:
//! - `{}` (a test event from the console);
//! - the classic EventBridge scheduled event (`"source": "aws.events"`, `detail` an object);
//! - EventBridge Scheduler's default payload (`"source": "aws.scheduler"`, `detail` a JSON
//!   *string*, usually `"{}"`);
//! - a Scheduler `Input` or a manual event: an object with any of `from`, `to` (YYYY-MM-DD),
//!   `exports` (names), `dry_run` (bool), `trigger` (free text), `scheduled_time`
//!   (RFC 3339; "today" is computed from it, so a retried invocation covers the same days) and
//!   `accept_header_changes` (bool);
//! - a replay: `{"replay": {"run": "<run id>"}}` or `{"replay": {"from": "YYYY-MM-DD", "to":
//!   "YYYY-MM-DD"}}`, with `exports` and `dry_run` beside `replay` or inside it.
//!
//! An envelope's `detail` may itself carry the manual fields.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

/// What an event asks of the run; every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub exports: Vec<String>,
    #[serde(default)]
    pub dry_run: bool,
    /// Who started the run ("schedule-0800", "manual"...): logged with the invocation (not in
    /// the report).
    pub trigger: Option<String>,
    pub scheduled_time: Option<DateTime<Utc>>,
    /// Write exports whose header changed even where `on_header_change = "fail"`.
    #[serde(default)]
    pub accept_header_changes: bool,
    /// Re-read stored runs instead of the panel.
    #[serde(skip)]
    pub replay: Option<ReplayInput>,
}

/// Which stored runs a replay event re-reads: one run, or the runs of a span of days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayInput {
    Run(String),
    Between { from: NaiveDate, to: NaiveDate },
}

/// Which shape an event had, for logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventShape {
    Empty,
    EventBridgeRule,
    SchedulerDefault,
    Manual,
}

impl EventShape {
    pub fn as_str(self) -> &'static str {
        match self {
            EventShape::Empty => "empty",
            EventShape::EventBridgeRule => "eventbridge-rule",
            EventShape::SchedulerDefault => "scheduler",
            EventShape::Manual => "manual",
        }
    }
}

pub const ACCEPTED_SHAPES: &str = "accepted events: {} ; an EventBridge scheduled event (\"source\": \"aws.events\"); EventBridge Scheduler's default payload (\"source\": \"aws.scheduler\", \"detail\" a JSON string); or an object with any of \"from\", \"to\" (YYYY-MM-DD), \"exports\" (list of names), \"dry_run\" (true/false), \"trigger\", \"scheduled_time\" (RFC 3339), \"accept_header_changes\"; or {\"replay\": {\"run\": \"RUN ID\"}} or {\"replay\": {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\"}}";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid event: {problem}; {ACCEPTED_SHAPES}")]
pub struct EventError {
    pub problem: String,
}

fn invalid(problem: impl Into<String>) -> EventError {
    EventError {
        problem: problem.into(),
    }
}

/// Reads an invocation event. Errors name fields and types and never quote a value, except an
/// envelope's `source` (a service name such as `aws.s3`, cut to 40 characters) and an unknown
/// field's name (cut the same way).
pub fn parse(event: &Value) -> Result<(EventShape, RunInput), EventError> {
    let Value::Object(map) = event else {
        return Err(invalid(format!(
            "the event is {}, not a JSON object",
            kind(event)
        )));
    };
    if map.is_empty() {
        return Ok((EventShape::Empty, RunInput::default()));
    }
    match map.get("source").and_then(Value::as_str) {
        Some("aws.events") => {
            let detail = match map.get("detail") {
                None | Some(Value::Null) => RunInput::default(),
                Some(v @ Value::Object(_)) => manual(v, "\"detail\"")?,
                Some(v) => {
                    return Err(invalid(format!(
                        "an EventBridge event's \"detail\" is {}, expected an object",
                        kind(v)
                    )));
                }
            };
            Ok((
                EventShape::EventBridgeRule,
                with_time(detail, map.get("time")),
            ))
        }
        Some("aws.scheduler") => {
            let detail = match map.get("detail") {
                None | Some(Value::Null) => RunInput::default(),
                Some(Value::String(s)) if s.trim().is_empty() => RunInput::default(),
                Some(Value::String(s)) => {
                    let inner: Value = serde_json::from_str(s).map_err(|e| {
                        invalid(format!(
                            "a Scheduler event's \"detail\" string is not JSON (line {}, column {})",
                            e.line(),
                            e.column()
                        ))
                    })?;
                    manual(&inner, "\"detail\"")?
                }
                Some(v @ Value::Object(_)) => manual(v, "\"detail\"")?,
                Some(v) => {
                    return Err(invalid(format!(
                        "a Scheduler event's \"detail\" is {}, expected a JSON string",
                        kind(v)
                    )));
                }
            };
            Ok((
                EventShape::SchedulerDefault,
                with_time(detail, map.get("time")),
            ))
        }
        Some(other) => Err(invalid(format!(
            "\"source\" is \"{}\", expected \"aws.events\" or \"aws.scheduler\"",
            other.chars().take(40).collect::<String>()
        ))),
        None => Ok((EventShape::Manual, manual(event, "the event")?)),
    }
}

/// An envelope's `time` is when the schedule fired: "today" is computed from it.
fn with_time(mut input: RunInput, time: Option<&Value>) -> RunInput {
    if input.scheduled_time.is_none() {
        input.scheduled_time = time
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<DateTime<Utc>>().ok());
    }
    input
}

fn manual(value: &Value, what: &str) -> Result<RunInput, EventError> {
    let Value::Object(map) = value else {
        return Err(invalid(format!("{what} is {}, not an object", kind(value))));
    };
    // Field-by-field so that the error names the field and never quotes a value.
    const KNOWN: [&str; 8] = [
        "from",
        "to",
        "exports",
        "dry_run",
        "trigger",
        "scheduled_time",
        "accept_header_changes",
        "replay",
    ];
    if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(format!(
            "{what} has an unknown field \"{}\"",
            unknown.chars().take(40).collect::<String>()
        )));
    }
    let date = |field: &str| -> Result<Option<NaiveDate>, EventError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => s.parse().map(Some).map_err(|_| {
                invalid(format!(
                    "field \"{field}\" is not a date; write it as YYYY-MM-DD"
                ))
            }),
            Some(v) => Err(invalid(format!(
                "field \"{field}\" is {}, expected a date string YYYY-MM-DD",
                kind(v)
            ))),
        }
    };
    let exports = match map.get("exports") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    invalid(format!(
                        "field \"exports\" holds {}, expected export names (strings)",
                        kind(v)
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(v) => {
            return Err(invalid(format!(
                "field \"exports\" is {}, expected a list of export names",
                kind(v)
            )));
        }
    };
    let flag = |field: &str| -> Result<bool, EventError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(invalid(format!(
                "field \"{field}\" is {}, expected true or false",
                kind(v)
            ))),
        }
    };
    let dry_run = flag("dry_run")?;
    let accept_header_changes = flag("accept_header_changes")?;
    let mut exports = exports;
    let mut dry_run = dry_run;
    let replay = match map.get("replay") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            let (replay, inner) = replay_input(v)?;
            exports.extend(inner.exports);
            dry_run |= inner.dry_run;
            Some(replay)
        }
        Some(v) => {
            return Err(invalid(format!(
                "field \"replay\" is {}, expected an object such as {{\"run\": \"RUN ID\"}}",
                kind(v)
            )));
        }
    };
    if replay.is_some() && (map.contains_key("from") || map.contains_key("to")) {
        return Err(invalid(
            "a replay takes its dates inside \"replay\" ({\"replay\": {\"from\": ..., \"to\": ...}}), not beside it",
        ));
    }
    let trigger = match map.get("trigger") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.chars().take(80).collect()),
        Some(v) => {
            return Err(invalid(format!(
                "field \"trigger\" is {}, expected text",
                kind(v)
            )));
        }
    };
    let scheduled_time = match map.get("scheduled_time") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.parse::<DateTime<Utc>>().map_err(|_| {
            invalid("field \"scheduled_time\" is not an RFC 3339 time such as 2026-11-28T01:00:00Z")
        })?),
        Some(v) => {
            return Err(invalid(format!(
                "field \"scheduled_time\" is {}, expected an RFC 3339 time string",
                kind(v)
            )));
        }
    };
    Ok(RunInput {
        from: date("from")?,
        to: date("to")?,
        exports,
        dry_run,
        trigger,
        scheduled_time,
        accept_header_changes,
        replay,
    })
}

/// The inside of `"replay"`: `run`, or `from` and `to`; and optionally `exports`, `dry_run`.
fn replay_input(value: &Value) -> Result<(ReplayInput, RunInput), EventError> {
    let Value::Object(map) = value else {
        unreachable!("called with an object");
    };
    const KNOWN: [&str; 5] = ["run", "from", "to", "exports", "dry_run"];
    if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(format!(
            "\"replay\" has an unknown field \"{}\" (it takes \"run\", or \"from\" and \"to\", and \"exports\", \"dry_run\")",
            unknown.chars().take(40).collect::<String>()
        )));
    }
    let mut rest = map.clone();
    let run = rest.remove("run");
    let inner = manual(&Value::Object(rest), "\"replay\"")?;
    let replay = match (run, inner.from, inner.to) {
        (Some(Value::String(id)), None, None) => {
            if id.parse::<crate::store::RunId>().is_err() {
                return Err(invalid(
                    "\"replay\": field \"run\" is not a run id (like 20261203T053012Z-3fa9c1)",
                ));
            }
            ReplayInput::Run(id)
        }
        (Some(Value::String(_)), _, _) => {
            return Err(invalid(
                "\"replay\" takes \"run\" or \"from\" and \"to\", not both",
            ));
        }
        (Some(v), _, _) => {
            return Err(invalid(format!(
                "\"replay\": field \"run\" is {}, expected a run id string",
                kind(&v)
            )));
        }
        (None, Some(from), Some(to)) if from <= to => ReplayInput::Between { from, to },
        (None, Some(_), Some(_)) => {
            return Err(invalid("\"replay\": \"from\" is after \"to\""));
        }
        (None, _, _) => {
            return Err(invalid(
                "\"replay\" needs \"run\" (a run id), or both \"from\" and \"to\" (YYYY-MM-DD)",
            ));
        }
    };
    Ok((replay, inner))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(v: Value) -> (EventShape, RunInput) {
        parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn empty_object_is_a_default_run() {
        assert_eq!(ok(json!({})), (EventShape::Empty, RunInput::default()));
    }

    #[test]
    fn classic_eventbridge_scheduled_event() {
        let (shape, input) = ok(json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-28T01:00:00Z", "region": "ap-southeast-1",
            "resources": ["arn:aws:events:ap-southeast-1:123456789012:rule/x"], "detail": {}
        }));
        assert_eq!(shape, EventShape::EventBridgeRule);
        assert_eq!(
            input.scheduled_time,
            Some("2026-11-28T01:00:00Z".parse().unwrap())
        );
        assert!(input.exports.is_empty() && !input.dry_run);
    }

    #[test]
    fn scheduler_default_payload_has_a_string_detail() {
        let (shape, input) = ok(json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": "1", "time": "2026-11-28T11:00:00Z", "region": "ap-southeast-1",
            "resources": ["arn:aws:scheduler:ap-southeast-1:1:schedule/default/x"], "detail": "{}"
        }));
        assert_eq!(shape, EventShape::SchedulerDefault);
        assert_eq!(
            input.scheduled_time,
            Some("2026-11-28T11:00:00Z".parse().unwrap())
        );
        let (_, input) = ok(json!({"source": "aws.scheduler", "detail": "{\"dry_run\": true}"}));
        assert!(input.dry_run);
    }

    #[test]
    fn replay_events_name_a_run_or_a_span_of_days() {
        let (_, input) =
            ok(json!({"replay": {"run": "20261128T010002Z-3fa9c1"}, "exports": ["users"]}));
        assert_eq!(
            input.replay,
            Some(ReplayInput::Run("20261128T010002Z-3fa9c1".into()))
        );
        assert_eq!(input.exports, vec!["users"]);
        let (_, input) = ok(
            json!({"replay": {"from": "2026-11-01", "to": "2026-11-07", "dry_run": true, "exports": ["users"]}}),
        );
        assert_eq!(
            input.replay,
            Some(ReplayInput::Between {
                from: "2026-11-01".parse().unwrap(),
                to: "2026-11-07".parse().unwrap()
            })
        );
        assert!(input.dry_run);
        assert_eq!(input.exports, vec!["users"]);
        // Inside a Scheduler envelope too.
        let (_, input) = ok(
            json!({"source": "aws.scheduler", "detail": "{\"replay\": {\"run\": \"20261128T010002Z-3fa9c1\"}}"}),
        );
        assert!(input.replay.is_some());
        let (_, input) = ok(json!({"accept_header_changes": true}));
        assert!(input.accept_header_changes && input.replay.is_none());
    }

    #[test]
    fn bad_replay_events_say_what_is_wrong() {
        for (event, says) in [
            (json!({"replay": {}}), "needs \"run\""),
            (json!({"replay": {"run": "yesterday"}}), "not a run id"),
            (json!({"replay": {"run": 5}}), "is a number"),
            (
                json!({"replay": {"run": "20261128T010002Z-3fa9c1", "from": "2026-11-01"}}),
                "not both",
            ),
            (
                json!({"replay": {"from": "2026-11-07", "to": "2026-11-01"}}),
                "after",
            ),
            (json!({"replay": {"from": "2026-11-07"}}), "needs"),
            (json!({"replay": {"runs": "x"}}), "unknown field \"runs\""),
            (
                json!({"replay": "20261128T010002Z-3fa9c1"}),
                "expected an object",
            ),
            (
                json!({"replay": {"run": "20261128T010002Z-3fa9c1"}, "from": "2026-11-01"}),
                "inside",
            ),
        ] {
            let err = parse(&event).unwrap_err().to_string();
            assert!(err.contains(says), "{event}: {err}");
        }
    }

    #[test]
    fn manual_and_backfill_events() {
        let (shape, input) = ok(json!({
            "from": "2026-11-01", "to": "2026-11-07", "exports": ["users"], "dry_run": true,
            "trigger": "backfill", "scheduled_time": "2026-11-28T01:00:00+00:00"
        }));
        assert_eq!(shape, EventShape::Manual);
        assert_eq!(input.from, Some("2026-11-01".parse().unwrap()));
        assert_eq!(input.to, Some("2026-11-07".parse().unwrap()));
        assert_eq!(input.exports, vec!["users"]);
        assert!(input.dry_run);
        assert_eq!(input.trigger.as_deref(), Some("backfill"));
    }

    #[test]
    fn anything_else_is_an_error_listing_the_accepted_shapes() {
        for (event, says) in [
            (json!([1, 2]), "a list, not a JSON object"),
            (json!("run"), "a string"),
            (json!({"source": "aws.s3"}), "\"source\" is \"aws.s3\""),
            (json!({"form": "2026-11-01"}), "unknown field \"form\""),
            (json!({"from": "01/11/2026"}), "\"from\" is not a date"),
            (json!({"from": 20261101}), "\"from\" is a number"),
            (json!({"dry_run": "yes"}), "\"dry_run\" is a string"),
            (json!({"exports": [1]}), "\"exports\" holds a number"),
            (
                json!({"source": "aws.scheduler", "detail": "{not json"}),
                "not JSON",
            ),
            (
                json!({"source": "aws.scheduler", "detail": "{\"x\":1}"}),
                "unknown field \"x\"",
            ),
        ] {
            let e = parse(&event).unwrap_err().to_string();
            assert!(e.contains(says), "{event}: {e}");
            assert!(e.contains("accepted events:"), "{e}");
        }
    }

    #[test]
    fn errors_never_quote_values() {
        let e = parse(&json!({"from": "hunter2-secret"}))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
