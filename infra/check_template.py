#!/usr/bin/env python3
"""Checks infra/template.yaml for what cfn-lint misses in a SAM template.

- Lambda's limits: Timeout <= 900 s, MemorySize and EphemeralStorage in range (cfn-lint does not
  check them inside AWS::Serverless::Function).
- Environment: every variable the code reads (found by reading src/) is declared, set by
  Lambda itself, or listed below with the reason Lambda does not need it; no test seam
  (SHEETS_API_BASE_URL, TELEGRAM_API_BASE_URL, AWS_ENDPOINT_URL*) and nothing reserved is
  declared; nothing declared is unread.
- Access: after the SAM transform, the function's role may read the one secret named by the
  SecretId parameter and nothing else in Secrets Manager; no wildcard action anywhere.
- The rest of issue 9's list: reserved concurrency 1, JSON logs with retention, two ScheduleV2
  events in Asia/Jakarta whose Input the handler accepts, a retry policy and an on-failure
  destination, an alarm on Errors with an action, the Dockerfile the Metadata names.
- Issue 15: the image (items 11, 13): `sam build` builds the Dockerfile's DockerBuildTarget with a
  builder that builds every stage before it (Docker's classic builder), so each of those stages
  may copy only what a clean checkout holds; reserved concurrency 1 or, by the
  ReservedConcurrency parameter, none; Lambda's START/REPORT lines kept (SystemLogLevel INFO);
  a log group CloudFormation names (a fixed name retained on delete breaks the next create);
  SecretId's AllowedPattern (names and full ARNs, not partial ones); kms:Decrypt only on
  SecretKmsKeyArn, only through Secrets Manager, only when given.
- Issue 15, item 12, every failure reaches an alarm: both schedules in the stack's own schedule
  group with a DeadLetterConfig; an alarm on the depth of every queue a failed or undelivered
  run lands in; alarms on Scheduler's InvocationDroppedCount and TargetErrorCount for that group;
  a heartbeat on Invocations (missing data breaching, longer than the longest gap between the
  schedules, at most a day) that exists only while the schedules are enabled.
- Issue 16, the run store (evaluated for the default parameters, an operator's own bucket and
  KMS key, a created bucket with a KMS key, and RunStore=disabled): EXPORTSYNC_STORE is
  s3://BUCKET/PREFIX (or none); the created bucket blocks public access, enforces bucket-owner
  ownership, is encrypted (with RunStoreKmsKeyArn when given), has no fixed name, a chosen
  DeletionPolicy, a lifecycle rule expiring the store's runs and one aborting incomplete uploads
  (and noncurrent versions expiring if versioning is on); its policy denies requests without TLS
  and is kept as long as the bucket; the function may put and get objects under PREFIX/ and list
  with an s3:prefix under PREFIX/, nothing else in S3 (no delete, no wildcard), and use the
  store's KMS key only through S3; RunStorePrefix's AllowedPattern; the outputs.
- events/*.json parse, and those meant as the handler's own input use only its keys.

Run with the Python that has cfn-lint (it brings the SAM translator):
    $EXPORTSYNC_VENV/bin/python infra/check_template.py [--self-test]
--self-test breaks a copy of the template in each of the ways above and fails unless every
break is reported.
"""

import argparse
import copy
import fnmatch
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

# The SAM translator logs a warning about its own metrics on every transform.
logging.getLogger("samtranslator").setLevel(logging.ERROR)

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "infra" / "template.yaml"

# Keys of the handler's input object (the Scheduler Input, a manual or backfill event).
HANDLER_KEYS = {"from", "to", "exports", "dry_run", "trigger", "scheduled_time", "accept_header_changes", "replay"}
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"

# Endpoints redirected by tests and emulators. Declaring one would send production traffic
# to it, and an empty AWS_ENDPOINT_URL_* (what `sam local` gives a declared, unset one) makes
# the AWS SDK panic.
TEST_SEAMS = {"SHEETS_API_BASE_URL", "TELEGRAM_API_BASE_URL"}
TEST_SEAM_PREFIXES = ("AWS_ENDPOINT_URL",)

# Set by Lambda in every function's environment (and reserved: a template may not set them).
SET_BY_LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR", "_HANDLER", "_X_AMZN_TRACE_ID", "TZ", "PATH", "LD_LIBRARY_PATH",
}
# Set by Lambda from the function's LoggingConfig: variable -> the LoggingConfig key needed.
SET_BY_LOGGING_CONFIG = {"AWS_LAMBDA_LOG_FORMAT": "LogFormat", "AWS_LAMBDA_LOG_LEVEL": "ApplicationLogLevel"}
# Read by the code but not wanted in Lambda, with the reason.
NOT_FOR_LAMBDA = {
    "RUST_LOG": "the command line's log filter; in Lambda LoggingConfig.ApplicationLogLevel "
    "sets AWS_LAMBDA_LOG_LEVEL instead",
}

# Declared for code that another branch adds (a fixed contract), so not read in src/ yet. Once
# the code reads one, `check_template.py` says so and the entry can go.
DECLARED_AHEAD: dict[str, str] = {}

LAMBDA_MAX_TIMEOUT = 900
MEMORY_RANGE = (128, 10240)
EPHEMERAL_RANGE = (512, 10240)


# ---------------------------------------------------------------------------------------------
# What the code reads


ENV_CALL = re.compile(r"env::var(?:_os)?\(\s*([^)]*?)\s*\)", re.S)
CONST_STR = re.compile(r"const\s+([A-Z][A-Z0-9_]*)\s*:\s*&(?:'static\s+)?str\s*=\s*\"([^\"]+)\"")
CONST_LIST = re.compile(r"const\s+[A-Z][A-Z0-9_]*\s*:\s*\[&(?:'static\s+)?str\s*;\s*\d+\]\s*=\s*\[([^\]]*)\]", re.S)
CLAP_ENV = re.compile(r"\benv\s*=\s*\"([A-Z][A-Z0-9_]*)\"")
DEFAULT_ENV_FILTER = re.compile(r"\b(?:try_)?from_default_env\b")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def source_files():
    """The Rust sources of the Lambda build: src/ without the simulators."""
    for path in sorted((REPO / "src").rglob("*.rs")):
        if "sim" in path.relative_to(REPO / "src").parts[:1]:
            continue
        yield path


def env_vars_read():
    """{variable: [file:line, ...]} read by the code, and the calls whose variable is unclear.

    A call names its variable with a string literal or a `const NAME: &str` (the one in the
    same file, else every const of that name). A call through a runtime value (a loop over a
    `const [&str; N]` list, say) counts every name of the lists in its file; without such a
    list it is reported as unclear.
    """
    texts = {p: p.read_text() for p in source_files()}
    consts_by_file, consts = {}, {}
    for path, text in texts.items():
        for name, value in CONST_STR.findall(text):
            consts_by_file.setdefault(path, {})[name] = value
            consts.setdefault(name, set()).add(value)
    found, unclear = {}, []

    def add(name, where):
        found.setdefault(name, []).append(where)

    for path, text in texts.items():
        rel = path.relative_to(REPO)
        lists = [n for body in CONST_LIST.findall(text) for n in re.findall(r'"([^"]*)"', body)]
        lists = [n for n in lists if ENV_NAME.fullmatch(n)]

        def where(offset):
            return f"{rel}:{text.count(chr(10), 0, offset) + 1}"

        for m in ENV_CALL.finditer(text):
            arg, at = m.group(1), where(m.start())
            literal = re.fullmatch(r'"([A-Za-z_][A-Za-z0-9_]*)"', arg)
            ident = re.fullmatch(r"(?:[a-z_][a-z0-9_]*::)*([A-Z][A-Z0-9_]*)", arg)
            if literal:
                add(literal.group(1), at)
            elif ident and ident.group(1) in consts_by_file.get(path, {}):
                add(consts_by_file[path][ident.group(1)], at)
            elif ident and ident.group(1) in consts:
                for value in sorted(consts[ident.group(1)]):
                    add(value, at)
            elif lists:
                for name in lists:
                    add(name, at)
            else:
                unclear.append(f"{at}: env::var({arg})")
        for m in CLAP_ENV.finditer(text):
            add(m.group(1), where(m.start()))
        for m in DEFAULT_ENV_FILTER.finditer(text):
            add("RUST_LOG", where(m.start()))
    return found, unclear


# ---------------------------------------------------------------------------------------------
# The template


def load_template(path=TEMPLATE):
    template, matches = decode(str(path))
    if matches:
        sys.exit(f"check_template: cannot read {path}: {matches[0]}")
    return json.loads(json.dumps(template))


def parameter_default(template, value):
    """A literal, or the default of the parameter it refers to (None otherwise)."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return template.get("Parameters", {}).get(value["Ref"], {}).get("Default")
    return value


def simplify(value):
    """`Fn::Sub: ["${x}", {x: V}]` (how SAM policy templates wrap a parameter) becomes V."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], list):
        text, mapping = value["Fn::Sub"]
        whole = re.fullmatch(r"\$\{([A-Za-z0-9_]+)\}", text)
        if whole and whole.group(1) in mapping:
            return simplify(mapping[whole.group(1)])
    return value


def refers_to_secret_parameter(value):
    """Whether a policy resource is built from the SecretId parameter only."""
    text = json.dumps(value)
    return '"Ref": "SecretId"' in text or "${SecretId}" in text


def functions(template):
    return {
        name: r
        for name, r in template.get("Resources", {}).items()
        if r.get("Type") == "AWS::Serverless::Function"
    }


def effective(template, props, key):
    globals_ = template.get("Globals", {}).get("Function", {})
    return props.get(key, globals_.get(key))


def check(template, errors, read=None, unclear=None, dockerfile_text=None, tracked=None):
    """Appends one message per problem to `errors`."""
    if read is None:
        read, unclear = env_vars_read()
    fns = functions(template)
    if len(fns) != 1:
        errors.append(f"expected one AWS::Serverless::Function, found {sorted(fns)}")
        return
    name, fn = next(iter(fns.items()))
    props = fn.get("Properties", {})

    def limit(key, value, low, high):
        if not isinstance(value, int) or not low <= value <= high:
            errors.append(f"{name}.{key} is {value!r}: Lambda allows {low} to {high}")

    limit("Timeout", effective(template, props, "Timeout"), 1, LAMBDA_MAX_TIMEOUT)
    limit("MemorySize", effective(template, props, "MemorySize"), *MEMORY_RANGE)
    storage = effective(template, props, "EphemeralStorage") or {}
    limit("EphemeralStorage.Size", storage.get("Size"), *EPHEMERAL_RANGE)
    check_concurrency(template, name, props.get("ReservedConcurrentExecutions"), errors)
    if props.get("PackageType") != "Image":
        errors.append(f"{name}.PackageType must be Image")

    meta = fn.get("Metadata", {})
    for key in ("Dockerfile", "DockerContext", "DockerTag"):
        if key not in meta:
            errors.append(f"{name}.Metadata.{key} is missing (sam build needs it)")
    if "Dockerfile" in meta and "DockerContext" in meta:
        dockerfile = (TEMPLATE.parent / meta["DockerContext"] / meta["Dockerfile"]).resolve()
        if not dockerfile.is_file():
            errors.append(f"{name}.Metadata names {dockerfile}, which does not exist")
        else:
            text = dockerfile_text if dockerfile_text is not None else dockerfile.read_text()
            check_dockerfile(text, meta.get("DockerBuildTarget"), name, errors, tracked)

    # Environment.
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    declared = {**globals_env, **props.get("Environment", {}).get("Variables", {})}
    logging = props.get("LoggingConfig", {})
    for var, value in declared.items():
        if var in TEST_SEAMS or var.startswith(TEST_SEAM_PREFIXES):
            errors.append(f"environment variable {var} is a test seam: tests set it, the template must not")
        elif var in SET_BY_LAMBDA or var in SET_BY_LOGGING_CONFIG:
            errors.append(f"environment variable {var} is set by Lambda itself; remove it from the template")
        elif var not in read and var not in DECLARED_AHEAD:
            errors.append(f"environment variable {var} is declared but no code in src/ reads it")
        if value == "" or value is None:
            errors.append(f"environment variable {var} is declared empty")
    for var, places in sorted(read.items()):
        where = ", ".join(places)
        if var in declared or var in SET_BY_LAMBDA or var in NOT_FOR_LAMBDA:
            continue
        if var in TEST_SEAMS or var.startswith(TEST_SEAM_PREFIXES):
            continue
        if var in SET_BY_LOGGING_CONFIG:
            if SET_BY_LOGGING_CONFIG[var] not in logging:
                errors.append(f"{var} (read at {where}) comes from LoggingConfig.{SET_BY_LOGGING_CONFIG[var]}, which is not set")
            continue
        errors.append(
            f"environment variable {var} (read at {where}) is not declared in the template: "
            "declare it, or list it in infra/check_template.py with why Lambda does not need it"
        )
    for call in unclear or []:
        errors.append(f"cannot tell which environment variable {call} reads: name it with a string literal or a const")

    # Logs.
    if logging.get("LogFormat") != "JSON":
        errors.append(f"{name}.LoggingConfig.LogFormat must be JSON")
    group = logging.get("LogGroup")
    group_name = group.get("Ref") if isinstance(group, dict) else None
    group_res = template.get("Resources", {}).get(group_name or "", {})
    if group_res.get("Type") != "AWS::Logs::LogGroup" or "RetentionInDays" not in group_res.get("Properties", {}):
        errors.append(f"{name}.LoggingConfig.LogGroup must refer to a log group of this stack with RetentionInDays")
    if group_res.get("DeletionPolicy") == "Retain" and "LogGroupName" in group_res.get("Properties", {}):
        errors.append(
            f"log group {group_name} has a fixed LogGroupName and DeletionPolicy Retain: deleting the "
            "stack keeps the group, and creating the stack again then fails (\"already exists\")"
        )
    system_level = parameter_default(template, logging.get("SystemLogLevel"))
    if system_level not in ("INFO", "DEBUG"):
        errors.append(
            f"{name}.LoggingConfig.SystemLogLevel is {system_level!r}: INFO keeps Lambda's START and "
            "REPORT lines (duration, max memory used)"
        )
    check_secret_parameters(template, errors)

    # Schedules.
    schedules = {k: e for k, e in props.get("Events", {}).items() if e.get("Type") == "ScheduleV2"}
    if len(schedules) != 2:
        errors.append(f"expected two ScheduleV2 events, found {sorted(schedules)}")
    hours = set()
    for event_name, event in schedules.items():
        ep = event.get("Properties", {})
        zone = parameter_default(template, ep.get("ScheduleExpressionTimezone"))
        if zone != "Asia/Jakarta":
            errors.append(f"schedule {event_name}: ScheduleExpressionTimezone is {zone!r}, expected Asia/Jakarta")
        expression = parameter_default(template, ep.get("ScheduleExpression")) or ""
        hour = re.fullmatch(r"cron\(0 (\d+) \* \* \? \*\)", expression)
        if hour:
            hours.add(int(hour.group(1)))
        else:
            errors.append(f"schedule {event_name}: expression {expression!r} is not a daily cron at a full hour")
        check_input(f"schedule {event_name}", ep.get("Input"), errors, scheduled=True)
    if schedules and hours != {8, 18}:
        errors.append(f"the schedules run at hours {sorted(hours)}, expected 08:00 and 18:00")

    # Retries and failures.
    invoke = props.get("EventInvokeConfig", {})
    retries = invoke.get("MaximumRetryAttempts")
    if not isinstance(retries, int) or not 0 <= retries <= 2:
        errors.append(f"{name}.EventInvokeConfig.MaximumRetryAttempts must be chosen (0-2), found {retries!r}")
    if not invoke.get("DestinationConfig", {}).get("OnFailure"):
        errors.append(f"{name}.EventInvokeConfig needs DestinationConfig.OnFailure")

    alarms = [
        r for r in template.get("Resources", {}).values()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
        and r.get("Properties", {}).get("MetricName") == "Errors"
        and r["Properties"].get("Namespace") == "AWS/Lambda"
    ]
    if not alarms or not all(a["Properties"].get("AlarmActions") for a in alarms):
        errors.append("expected an alarm on the function's AWS/Lambda Errors with AlarmActions")
    for alarm in alarms:
        dims = alarm["Properties"].get("Dimensions", [])
        if {"Name": "FunctionName", "Value": {"Ref": name}} not in dims:
            errors.append(f"the Errors alarm must watch {name} (Dimensions FunctionName = !Ref {name})")

    check_alarms(template, name, props, schedules, hours, errors)
    check_access(template, name, errors)
    check_store(template, name, props, errors)


# Values SecretId's AllowedPattern must accept and refuse (CloudFormation matches the whole value).
SECRET_IDS_OK = [
    "exportsync", "prod/exportsync", "exportsync_2+x=y.z@w-v",
    "arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:exportsync-AbC123",
    "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:prod/exportsync-xYz789",
]
SECRET_IDS_BAD = [
    "", "*", "export sync", "exportsync*",
    "arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:exportsync",
    "arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:*",
    "arn:aws:kms:ap-southeast-3:123456789012:key/1234",
]
KMS_KEYS_OK = ["", "arn:aws:kms:ap-southeast-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
KMS_KEYS_BAD = ["*", "alias/aws/secretsmanager", "arn:aws:kms:ap-southeast-3:123456789012:alias/x",
                "arn:aws:kms:ap-southeast-3:123456789012:key/*"]


def check_pattern(what, param, good, bad, errors):
    pattern = (param or {}).get("AllowedPattern")
    if not pattern:
        errors.append(f"parameter {what} has no AllowedPattern")
        return
    try:
        regex = re.compile(pattern)
    except re.error as e:
        errors.append(f"parameter {what}: AllowedPattern does not compile: {e}")
        return
    for value in good:
        if not regex.fullmatch(value):
            errors.append(f"parameter {what}: AllowedPattern refuses {value!r}, which is valid")
    for value in bad:
        if regex.fullmatch(value):
            errors.append(f"parameter {what}: AllowedPattern accepts {value!r}")


def check_secret_parameters(template, errors):
    params = template.get("Parameters", {})
    check_pattern("SecretId", params.get("SecretId"), SECRET_IDS_OK, SECRET_IDS_BAD, errors)
    kms = params.get("SecretKmsKeyArn")
    if kms is None:
        errors.append("parameter SecretKmsKeyArn is missing (a secret under a customer-managed key needs it)")
    else:
        if kms.get("Default") != "":
            errors.append("parameter SecretKmsKeyArn must default to \"\" (the aws/secretsmanager key needs no grant)")
        check_pattern("SecretKmsKeyArn", kms, KMS_KEYS_OK, KMS_KEYS_BAD, errors)


def condition_is(template, condition, parameter, value, negated=False):
    """Whether Conditions[condition] is `Equals [Ref parameter, value]` (or its Not)."""
    body = template.get("Conditions", {}).get(condition)
    if negated:
        if not (isinstance(body, dict) and set(body) == {"Fn::Not"}):
            return False
        body = body["Fn::Not"][0]
    if not (isinstance(body, dict) and set(body) == {"Fn::Equals"}):
        return False
    pair = body["Fn::Equals"]
    return {"Ref": parameter} in pair and value in pair


def check_concurrency(template, name, value, errors):
    """1, or `!If [C, 1, !Ref AWS::NoValue]` with C the ReservedConcurrency parameter being "1"
    (its default)."""
    if value == 1:
        return
    ok = (
        isinstance(value, dict) and set(value) == {"Fn::If"}
        and value["Fn::If"][1:] == [1, {"Ref": "AWS::NoValue"}]
        and condition_is(template, value["Fn::If"][0], "ReservedConcurrency", "1")
        and template.get("Parameters", {}).get("ReservedConcurrency", {}).get("Default") == "1"
    )
    if not ok:
        errors.append(
            f"{name}.ReservedConcurrentExecutions must be 1 (two runs must never write one sheet at "
            f"once), or 1 unless the ReservedConcurrency parameter (default \"1\") says none; found {value!r}"
        )


# ---------------------------------------------------------------------------------------------
# The Dockerfile `sam build` builds

FROM_LINE = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.I)


def tracked_files():
    """The files a clean checkout holds (git's index), or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in out.stdout.decode().split("\0") if p]


def dockerfile_stages(text):
    """[(name, [(line number, COPY sources after ARG defaults)])] in file order."""
    lines, joined, start = text.splitlines(), [], None
    buf = ""
    for number, line in enumerate(lines, 1):
        if not buf:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        joined.append((start, (buf + stripped).strip()))
        buf = ""
    args, stages = {}, []
    for number, line in joined:
        if not line or line.startswith("#"):
            continue
        word = line.split()[0].upper()
        if word == "ARG":
            for decl in line.split()[1:]:
                key, _, default = decl.partition("=")
                if default or key not in args:
                    args[key] = default
        elif word == "FROM":
            m = FROM_LINE.match(line)
            stages.append((m.group(2) if m and m.group(2) else str(len(stages)), []))
        elif word in ("COPY", "ADD") and stages:
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            if any(p.startswith("--from") for p in line.split()[1:]):
                continue
            sources = [re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), ""), p)
                       for p in parts[:-1]]
            stages[-1][1].append((number, sources))
    return stages


def check_dockerfile(text, target, name, errors, tracked=None):
    """The stages `sam build` builds (Docker's classic builder builds every stage up to the target,
    used or not) copy only files of a clean checkout."""
    stages = dockerfile_stages(text)
    names = [s for s, _ in stages]
    if not target:
        errors.append(f"{name}.Metadata.DockerBuildTarget is missing: name the stage sam build must build")
        return
    if target not in names:
        errors.append(f"{name}.Metadata.DockerBuildTarget {target!r} is not a stage of the Dockerfile ({names})")
        return
    files = tracked if tracked is not None else tracked_files()
    if files is None:
        return
    for stage, copies in stages[: names.index(target) + 1]:
        for number, sources in copies:
            for source in sources:
                pattern = source.lstrip("./").rstrip("/") or "."
                hit = pattern == "." or any(
                    f == pattern or f.startswith(pattern + "/") or fnmatch.fnmatch(f, pattern) for f in files
                )
                if not hit:
                    errors.append(
                        f"Dockerfile line {number}: stage {stage!r} copies {source!r}, which a clean checkout "
                        f"lacks; sam build (Docker's classic builder) builds every stage up to {target!r}"
                    )


# ---------------------------------------------------------------------------------------------
# Alarms


def alarms_on(template, namespace, metric):
    return {
        k: r for k, r in template.get("Resources", {}).items()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
        and r.get("Properties", {}).get("Namespace") == namespace
        and r["Properties"].get("MetricName") == metric
    }


def fires_on_one(alarm):
    p = alarm.get("Properties", {})
    return (
        p.get("ComparisonOperator") == "GreaterThanOrEqualToThreshold" and p.get("Threshold") == 1
        and p.get("AlarmActions")
    )


def check_alarms(template, name, props, schedules, hours, errors):
    resources = template.get("Resources", {})
    # Every queue a failed or undelivered run lands in has a depth alarm.
    queues = {}
    dest = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
    queues[json.dumps(dest.get("Destination"))] = f"{name}'s on-failure destination"
    groups = set()
    for event_name, event in schedules.items():
        ep = event.get("Properties", {})
        dlq = ep.get("DeadLetterConfig")
        if not dlq:
            errors.append(f"schedule {event_name} has no DeadLetterConfig: an undelivered run would vanish")
        elif "Arn" in dlq:
            queues[json.dumps(dlq["Arn"])] = f"schedule {event_name}'s dead-letter queue"
        else:
            errors.append(f"schedule {event_name}: DeadLetterConfig must name a queue of this stack (Arn), so its depth alarm can watch it")
        group = ep.get("GroupName")
        if not (isinstance(group, dict) and set(group) == {"Ref"}
                and resources.get(group["Ref"], {}).get("Type") == "AWS::Scheduler::ScheduleGroup"):
            errors.append(f"schedule {event_name}: GroupName must be !Ref a schedule group of this stack (Scheduler's metrics are per group)")
        else:
            groups.add(group["Ref"])
    depth = alarms_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    for queue, what in queues.items():
        value = json.loads(queue)
        logical = value.get("Fn::GetAtt", [None])[0] if isinstance(value, dict) else None
        watched = any(
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [logical, "QueueName"]}} in a["Properties"].get("Dimensions", [])
            and fires_on_one(a)
            for a in depth.values()
        )
        if not logical or not watched:
            errors.append(f"no alarm (>= 1, with AlarmActions) on the depth of {what} ({queue}): an expired or undelivered run raises no Errors")
    # Scheduler's own failures, for the schedules' group.
    for metric in ("InvocationDroppedCount", "TargetErrorCount"):
        found = alarms_on(template, "AWS/Scheduler", metric)
        for group in groups:
            if not any(
                {"Name": "ScheduleGroup", "Value": {"Ref": group}} in a["Properties"].get("Dimensions", [])
                and fires_on_one(a)
                for a in found.values()
            ):
                errors.append(f"no alarm (>= 1, with AlarmActions) on AWS/Scheduler {metric} for schedule group {group}")
    # The heartbeat.
    beats = alarms_on(template, "AWS/Lambda", "Invocations")
    gaps = sorted(hours)
    longest = max(((b - a) % 24 or 24) for a, b in zip(gaps, gaps[1:] + gaps[:1])) * 3600 if gaps else 0
    for key, alarm in beats.items():
        p = alarm["Properties"]
        problems = []
        if {"Name": "FunctionName", "Value": {"Ref": name}} not in p.get("Dimensions", []):
            problems.append(f"it must watch {name}")
        if p.get("TreatMissingData") != "breaching":
            problems.append("TreatMissingData must be breaching (no run means no data)")
        if p.get("ComparisonOperator") != "LessThanThreshold" or p.get("Threshold") != 1:
            problems.append("it must fire below 1 invocation")
        span = (p.get("Period") or 0) * (p.get("EvaluationPeriods") or 0)
        if p.get("DatapointsToAlarm", p.get("EvaluationPeriods")) != p.get("EvaluationPeriods"):
            problems.append("every period of its window must be empty (DatapointsToAlarm = EvaluationPeriods)")
        if not longest < span <= 86400:
            problems.append(f"its window ({span} s) must be longer than the longest gap between the schedules ({longest} s) and at most a day")
        if not condition_is(template, alarm.get("Condition", ""), "SchedulesState", "ENABLED"):
            problems.append("it must exist only while the schedules are enabled (a Condition on SchedulesState = ENABLED)")
        if not p.get("AlarmActions"):
            problems.append("it has no AlarmActions")
        if problems:
            errors.append(f"heartbeat alarm {key}: " + "; ".join(problems))
    if not beats:
        errors.append("no heartbeat alarm: expected an alarm on the function's Invocations that fires when no run happened in a day")
    for key, r in resources.items():
        if r.get("Type") == "AWS::CloudWatch::Alarm" and not r.get("Properties", {}).get("AlarmActions"):
            errors.append(f"alarm {key} has no AlarmActions: nobody would be told")


def check_input(what, text, errors, scheduled):
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError as e:
        errors.append(f"{what}: Input is not JSON: {e}")
        return
    if not isinstance(value, dict):
        errors.append(f"{what}: Input must be a JSON object, found {text!r}")
        return
    unknown = set(value) - HANDLER_KEYS
    if unknown:
        errors.append(f"{what}: Input has keys the handler rejects: {sorted(unknown)}")
    if scheduled and value.get("scheduled_time") != SCHEDULED_TIME:
        errors.append(f"{what}: Input needs \"scheduled_time\": \"{SCHEDULED_TIME}\" so a late or repeated delivery covers the same days")


def check_access(template, function_name, errors):
    """The transformed template's IAM: the function reads its one secret and no other."""
    sam = copy.deepcopy(template)
    sam["Resources"][function_name]["Properties"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/exportsync:check"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    class NoManagedPolicies:
        def load(self):
            return {}

    try:
        out = transform(sam, {"AWS::Region": "us-east-1"}, NoManagedPolicies())
    except Exception as e:  # the translator's own message says what is wrong
        errors.append(f"the SAM transform failed: {e}")
        return
    role = out["Resources"].get(f"{function_name}Role", {}).get("Properties", {})
    managed = role.get("ManagedPolicyArns", [])
    allowed_managed = {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
    for arn in managed:
        text = arn if isinstance(arn, str) else json.dumps(arn)
        if text not in allowed_managed:
            errors.append(f"the function's role has the managed policy {text}; only basic logging is expected")
    secret_statements = 0
    kms_params = {"SecretKmsKeyArn"}
    for role_name, res in out["Resources"].items():
        if res.get("Type") != "AWS::IAM::Role":
            continue
        for policy, condition in role_policies(res.get("Properties", {})):
            for st in policy.get("PolicyDocument", {}).get("Statement", []):
                actions = st.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                resources = st.get("Resource", [])
                resources = [simplify(r) for r in (resources if isinstance(resources, list) else [resources])]
                where = f"{role_name}/{policy.get('PolicyName', '?')}"
                if any(a == "*" or a.endswith(":*") for a in actions):
                    errors.append(f"policy {where} allows a wildcard action {actions}")
                if "*" in resources:
                    errors.append(f"policy {where} allows {actions} on every resource (\"*\")")
                if any(a.lower().startswith("secretsmanager:") for a in actions):
                    secret_statements += role_name == f"{function_name}Role"
                    if role_name != f"{function_name}Role":
                        errors.append(f"policy {where} reaches Secrets Manager; only the function may read its secret")
                    if actions != ["secretsmanager:GetSecretValue"]:
                        errors.append(f"policy {where} allows {actions}; the function needs secretsmanager:GetSecretValue only")
                    if not resources or not all(refers_to_secret_parameter(r) for r in resources):
                        errors.append(f"policy {where} grants {actions} on {resources}, not only the secret named by SecretId")
                if any(a.lower().startswith("kms:") for a in actions) and not is_store_kms(st, resources):
                    if actions != ["kms:Decrypt"]:
                        errors.append(f"policy {where} allows {actions}; reading the secret needs kms:Decrypt only")
                    if resources != [{"Ref": "SecretKmsKeyArn"}]:
                        errors.append(f"policy {where} grants {actions} on {resources}, not only the key SecretKmsKeyArn names")
                    via = st.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
                    if via != {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}:
                        errors.append(f"policy {where} grants {actions} without the condition kms:ViaService = secretsmanager.<region>.amazonaws.com")
                    if not (condition and condition_is(template, condition, "SecretKmsKeyArn", "", negated=True)):
                        errors.append(f"policy {where} grants {actions} even when SecretKmsKeyArn is empty (put it under !If on a condition that it is not)")
    if secret_statements == 0:
        errors.append("the function's role cannot read the secret (no secretsmanager:GetSecretValue statement)")
    check_store_access(out, function_name, errors)


def role_policies(role):
    """(policy, condition or None) for each inline policy; both sides of an `Fn::If`."""
    for policy in role.get("Policies", []):
        if isinstance(policy, dict) and set(policy) == {"Fn::If"}:
            condition, *branches = policy["Fn::If"]
            for branch in branches:
                if isinstance(branch, dict) and branch != {"Ref": "AWS::NoValue"}:
                    yield branch, condition
        else:
            yield policy, None


def check_events(errors):
    """events/*.json: valid JSON; the handler's own inputs use only its keys."""
    events_dir = REPO / "events"
    files = sorted(events_dir.glob("*.json"))
    if not files:
        errors.append("events/ holds no *.json event")
    for path in files:
        try:
            value = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            errors.append(f"{path.relative_to(REPO)} is not JSON: {e}")
            continue
        is_envelope = isinstance(value, dict) and "source" in value and "detail-type" in value
        if not is_envelope:
            check_input(str(path.relative_to(REPO)), json.dumps(value), errors, scheduled=False)


# ---------------------------------------------------------------------------------------------
# The run store (issue 16)

STORE_ENV = "EXPORTSYNC_STORE"
STORE_KEY = "arn:aws:kms:ap-southeast-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# (label, parameter values): every store check runs under each.
STORE_SCENARIOS = [
    ("the default parameters", {}),
    ("a created bucket with RunStoreKmsKeyArn", {"RunStoreKmsKeyArn": STORE_KEY}),
    ("the operator's own bucket and key",
     {"RunStoreBucketName": "team-bucket", "RunStorePrefix": "team/exportsync", "RunStoreKmsKeyArn": STORE_KEY}),
    ("RunStore=disabled", {"RunStore": "disabled"}),
]
STORE_PARAMETERS = ("RunStore", "RunStoreBucketName", "RunStorePrefix", "RunStoreRetentionDays", "RunStoreKmsKeyArn")
STORE_OBJECT_ACTIONS = {"s3:PutObject", "s3:GetObject"}
STORE_ACTIONS = STORE_OBJECT_ACTIONS | {"s3:ListBucket"}
STORE_KMS_ACTIONS = {"kms:GenerateDataKey", "kms:Decrypt"}
STORE_MAX_DEFAULT_RETENTION = 365
PREFIXES_OK = ["exportsync", "team/exportsync", "a-b_c.d/e2"]
PREFIXES_BAD = ["", "/exportsync", "exportsync/", "a//b", "a/*", "*", "ex?port", ".", "a/../b", "a b"]
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::StackName": "exportsync", "AWS::URLSuffix": "amazonaws.com"}
# Parameters without a default, as the deployer would give them.
REQUIRED_VALUES = {"SecretId": "exportsync"}
NOVALUE = object()


class Unresolved(Exception):
    pass


class Resolver:
    """Evaluates CloudFormation's intrinsic functions for given parameter values. A resource's
    Ref is `<Name>`, a bucket's Arn `arn:aws:s3:::<Name>`, other attributes `<Name.Attr>`."""

    def __init__(self, template, values):
        self.t, self.values = template, values

    def param(self, name):
        if name in self.values:
            return self.values[name]
        p = self.t.get("Parameters", {}).get(name)
        if p is not None and "Default" not in p and name in REQUIRED_VALUES:
            return REQUIRED_VALUES[name]
        if p is None or "Default" not in p:
            raise Unresolved(f"parameter {name} has no value")
        return p["Default"]

    def ref(self, name):
        if name == "AWS::NoValue":
            return NOVALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.t.get("Parameters", {}):
            return self.param(name)
        if name in self.t.get("Resources", {}):
            return f"<{name}>"
        raise Unresolved(f"Ref {name} names nothing")

    def getatt(self, name, attr):
        if self.t.get("Resources", {}).get(name, {}).get("Type") == "AWS::S3::Bucket" and attr == "Arn":
            return f"arn:aws:s3:::<{name}>"
        return f"<{name}.{attr}>"

    def condition(self, name):
        if name not in self.t.get("Conditions", {}):
            raise Unresolved(f"condition {name} is not defined")
        return bool(self(self.t["Conditions"][name]))

    def sub(self, text, mapping):
        def one(m):
            key = m.group(1)
            if key.startswith("!"):
                return "${" + key[1:] + "}"
            if key in mapping:
                return str(mapping[key])
            if "." in key:
                return self.getatt(*key.split(".", 1))
            return str(self.ref(key))
        return re.sub(r"\$\{([^}]+)\}", one, text)

    def __call__(self, v):
        if isinstance(v, list):
            return [x for x in (self(i) for i in v) if x is not NOVALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                return self.ref(a)
            if k == "Condition":
                return self.condition(a)
            if k == "Fn::GetAtt":
                return self.getatt(*(a.split(".", 1) if isinstance(a, str) else a))
            if k == "Fn::Sub":
                if isinstance(a, str):
                    return self.sub(a, {})
                return self.sub(a[0], {key: self(val) for key, val in a[1].items()})
            if k == "Fn::If":
                return self(a[1] if self.condition(a[0]) else a[2])
            if k == "Fn::Equals":
                left, right = self(a[0]), self(a[1])
                return str(left) == str(right)
            if k == "Fn::Not":
                return not self(a[0])
            if k == "Fn::And":
                return all(self(x) for x in a)
            if k == "Fn::Or":
                return any(self(x) for x in a)
            if k == "Fn::Join":
                return self(a[0]).join(str(x) for x in self(a[1]))
            if k == "Fn::Split":
                return self(a[1]).split(self(a[0]))
            if k == "Fn::Select":
                return self(a[1])[int(self(a[0]))]
            if k.startswith("Fn::"):
                raise Unresolved(f"{k} is not evaluated by this check")
        return {k: x for k, x in ((k, self(x)) for k, x in v.items()) if x is not NOVALUE}


def as_list(value):
    return value if isinstance(value, list) else [value]


def store_bucket_logical(template):
    buckets = [k for k, r in template.get("Resources", {}).items() if r.get("Type") == "AWS::S3::Bucket"]
    return buckets[0] if len(buckets) == 1 else None, buckets


def store_expectations(template, values):
    """(enabled, bucket, prefix) that a scenario's parameter values ask for."""
    r = Resolver(template, values)
    enabled = r.param("RunStore") == "enabled"
    own = r.param("RunStoreBucketName")
    logical, _ = store_bucket_logical(template)
    bucket = own or (f"<{logical}>" if logical else "<no bucket resource>")
    return enabled, bucket, r.param("RunStorePrefix"), r.param("RunStoreKmsKeyArn")


def check_store(template, name, props, errors):
    """The run store's parameters, bucket, bucket policy, environment variable and outputs."""
    params = template.get("Parameters", {})
    missing = [p for p in STORE_PARAMETERS if p not in params]
    if missing:
        errors.append(f"the run store's parameters are missing: {missing}")
        return
    check_pattern("RunStorePrefix", params["RunStorePrefix"], PREFIXES_OK, PREFIXES_BAD, errors)
    check_pattern("RunStoreKmsKeyArn", params["RunStoreKmsKeyArn"], KMS_KEYS_OK, KMS_KEYS_BAD, errors)
    resources = template.get("Resources", {})
    logical, buckets = store_bucket_logical(template)
    if len(buckets) > 1:
        errors.append(f"expected at most one S3 bucket (the run store's), found {buckets}")
    bucket_res = resources.get(logical or "", {})
    policies = {k: p for k, p in resources.items() if p.get("Type") == "AWS::S3::BucketPolicy"}
    if bucket_res:
        if "BucketName" in bucket_res.get("Properties", {}):
            errors.append(f"bucket {logical} has a fixed BucketName: a deleted stack could not be created again "
                          "(a retained bucket keeps the name), and two stacks would clash")
        if bucket_res.get("DeletionPolicy") not in ("Retain", "Delete", "RetainExceptOnCreate", "Snapshot"):
            errors.append(f"bucket {logical}: DeletionPolicy must be chosen (Retain keeps the history when the stack "
                          "is deleted; Delete fails on a bucket that holds objects)")
        if bucket_res.get("UpdateReplacePolicy") != bucket_res.get("DeletionPolicy"):
            errors.append(f"bucket {logical}: UpdateReplacePolicy must match DeletionPolicy")
    fn_env = props.get("Environment", {}).get("Variables", {})
    for label, values in STORE_SCENARIOS:
        try:
            check_store_scenario(template, name, fn_env, logical, policies, label, values, errors)
        except (Unresolved, KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            errors.append(f"run store, with {label}: cannot evaluate the template ({type(e).__name__}: {e})")


def check_store_scenario(template, name, fn_env, logical, policies, label, values, errors):
    r = Resolver(template, values)
    enabled, bucket, prefix, key = store_expectations(template, values)
    where = f"run store, with {label}"
    # The environment variable.
    want = f"s3://{bucket}/{prefix}" if enabled else "none"
    if STORE_ENV not in fn_env:
        errors.append(f"{where}: {name} has no {STORE_ENV} environment variable (expected {want!r})")
    else:
        got = r(fn_env[STORE_ENV])
        if got != want:
            errors.append(f"{where}: {STORE_ENV} is {got!r}, expected {want!r}")
    # The outputs.
    if enabled:
        outs = {k: o for k, o in template.get("Outputs", {}).items()
                if "Condition" not in o or r.condition(o["Condition"])}
        shown = [r(o.get("Value")) for o in outs.values()]
        for what, value in (("bucket name", bucket), ("store URL", want)):
            if value not in shown:
                errors.append(f"{where}: no output gives the {what} {value!r}")
    created = bool(logical) and r.condition(template["Resources"][logical]["Condition"]) \
        if logical and "Condition" in template["Resources"][logical] else bool(logical)
    needs_bucket = enabled and not values.get("RunStoreBucketName")
    if needs_bucket and not created:
        errors.append(f"{where}: the stack creates no bucket, but the store needs one (RunStoreBucketName is empty)")
    if not created:
        return
    b = r(template["Resources"][logical].get("Properties", {}))
    # Private.
    pab = b.get("PublicAccessBlockConfiguration", {})
    closed = [k for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
              if pab.get(k) not in (True, "true")]
    if closed:
        errors.append(f"{where}: bucket {logical} is not private: PublicAccessBlockConfiguration {closed} must be true")
    owners = [rule.get("ObjectOwnership") for rule in b.get("OwnershipControls", {}).get("Rules", [])]
    if owners != ["BucketOwnerEnforced"]:
        errors.append(f"{where}: bucket {logical} must have OwnershipControls BucketOwnerEnforced (ACLs off), found {owners}")
    # Encrypted.
    rules = b.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    defaults = [rule.get("ServerSideEncryptionByDefault", {}) for rule in rules]
    if not defaults or any(d.get("SSEAlgorithm") not in ("AES256", "aws:kms", "aws:kms:dsse") for d in defaults):
        errors.append(f"{where}: bucket {logical} must encrypt by default (BucketEncryption SSE-S3 or SSE-KMS), found {rules}")
    elif key and enabled and not all(d.get("SSEAlgorithm", "").startswith("aws:kms") and d.get("KMSMasterKeyID") == key
                                     for d in defaults):
        errors.append(f"{where}: bucket {logical} is not encrypted with RunStoreKmsKeyArn ({key}), found {rules}")
    # Expiry.
    lifecycle = [rule for rule in b.get("LifecycleConfiguration", {}).get("Rules", []) if rule.get("Status") == "Enabled"]
    runs = f"{prefix}/runs/"

    def covers(rule):
        flt = rule.get("Filter", {})
        if flt.get("Tag") or flt.get("And") or flt.get("ObjectSizeGreaterThan") or rule.get("TagFilters"):
            return False
        return runs.startswith(rule.get("Prefix", flt.get("Prefix", "")))

    expiring = [rule for rule in lifecycle if covers(rule) and rule.get("ExpirationInDays") is not None]
    if not expiring:
        errors.append(f"{where}: bucket {logical} has no lifecycle rule expiring the store's runs ({runs}): "
                      "raw exports hold personal data")
    for rule in expiring:
        days = int(rule["ExpirationInDays"])
        if not values and not 1 <= days <= STORE_MAX_DEFAULT_RETENTION:
            errors.append(f"{where}: the store's runs expire after {days} days by default; keep personal data at most "
                          f"{STORE_MAX_DEFAULT_RETENTION} days unless the operator asks for more")
    if not any("AbortIncompleteMultipartUpload" in rule and covers(rule) for rule in lifecycle):
        errors.append(f"{where}: bucket {logical} has no lifecycle rule aborting incomplete multipart uploads "
                      "(the function may not abort them itself)")
    if b.get("VersioningConfiguration", {}).get("Status") == "Enabled" and not any(
            "NoncurrentVersionExpiration" in rule or "NoncurrentVersionExpirationInDays" in rule for rule in lifecycle):
        errors.append(f"{where}: bucket {logical} is versioned but no rule expires noncurrent versions: "
                      "expired runs would stay as old versions")
    # TLS only.
    arn = f"arn:aws:s3:::{bucket}"
    tls = False
    for key_name, policy in policies.items():
        pcond = policy.get("Condition")
        if pcond and not r.condition(pcond):
            continue
        pp = r(policy.get("Properties", {}))
        if pp.get("Bucket") != bucket:
            continue
        if policy.get("DeletionPolicy", "Delete") != template["Resources"][logical].get("DeletionPolicy", "Delete"):
            errors.append(f"{where}: bucket policy {key_name} must have the bucket's DeletionPolicy, so a kept bucket stays TLS-only")
        for st in as_list(pp.get("PolicyDocument", {}).get("Statement", [])):
            flag = st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            principal = st.get("Principal")
            if (st.get("Effect") == "Deny" and principal in ("*", {"AWS": "*"})
                    and "s3:*" in as_list(st.get("Action"))
                    and {arn, arn + "/*"} <= set(as_list(st.get("Resource")))
                    and str(flag).lower() == "false"):
                tls = True
    if not tls:
        errors.append(f"{where}: no bucket policy on {logical} denies s3:* on the bucket and its objects to everyone "
                      "when aws:SecureTransport is false (requests without TLS)")


def is_store_kms(statement, resources):
    """A kms statement for the run store's key (not the secret's)."""
    via = json.dumps(statement.get("Condition", {}))
    return "RunStoreKmsKeyArn" in json.dumps(resources) or '"s3.' in via


def check_store_access(out, function_name, errors):
    """The transformed template's IAM, under each scenario: S3 only for the function, only the
    store's prefix, only put, get and a prefixed list; the store's key only through S3."""
    role_name = f"{function_name}Role"
    for label, values in STORE_SCENARIOS:
        where = f"run store, with {label}"
        try:
            r = Resolver(out, values)
            enabled, bucket, prefix, key = store_expectations(out, values)
            granted = set()
            kms_granted = set()
            for rn, res in out["Resources"].items():
                if res.get("Type") != "AWS::IAM::Role":
                    continue
                for policy in r(res.get("Properties", {}).get("Policies", [])):
                    for st in as_list(policy.get("PolicyDocument", {}).get("Statement", [])):
                        check_store_statement(st, rn, role_name, policy.get("PolicyName", "?"), enabled, bucket,
                                              prefix, key, where, granted, kms_granted, errors)
        except (Unresolved, KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            errors.append(f"{where}: cannot evaluate the function's role ({type(e).__name__}: {e})")
            continue
        if enabled and granted != STORE_ACTIONS:
            errors.append(f"{where}: the function may not {sorted(STORE_ACTIONS - granted)} in its store "
                          f"(s3://{bucket}/{prefix}/); it needs {sorted(STORE_ACTIONS)}")
        if enabled and key and kms_granted != STORE_KMS_ACTIONS:
            errors.append(f"{where}: the function lacks {sorted(STORE_KMS_ACTIONS - kms_granted)} on RunStoreKmsKeyArn "
                          "(objects under that key could not be written or read)")


def check_store_statement(st, rn, role_name, policy_name, enabled, bucket, prefix, key, where, granted,
                          kms_granted, errors):
    if st.get("Effect") != "Allow":
        return
    actions = as_list(st.get("Action", []))
    resources = as_list(st.get("Resource", []))
    at = f"{where}: policy {rn}/{policy_name}"
    s3_actions = [a for a in actions if a.lower().startswith("s3:") or a == "*"]
    if s3_actions:
        if rn != role_name:
            errors.append(f"{at} reaches S3 {s3_actions}; only the function uses the run store")
        if not enabled:
            errors.append(f"{at} allows {s3_actions} although the store is disabled")
        if any("*" in a or "?" in a for a in s3_actions):
            errors.append(f"{at} allows a wildcard S3 action {s3_actions}")
        if any("delete" in a.lower() for a in s3_actions):
            errors.append(f"{at} allows {s3_actions}: the function may delete nothing (the lifecycle rule expires runs)")
        extra = sorted(set(s3_actions) - STORE_ACTIONS)
        if extra:
            errors.append(f"{at} allows {extra}; the store needs only {sorted(STORE_ACTIONS)}")
        objects = f"arn:aws:s3:::{bucket}/{prefix}/*"
        listing = f"arn:aws:s3:::{bucket}"
        obj = [a for a in s3_actions if a in STORE_OBJECT_ACTIONS]
        if obj:
            if resources != [objects]:
                errors.append(f"{at} grants {obj} on {resources}, not only the store's prefix ({objects})")
            else:
                granted.update(obj)
        if "s3:ListBucket" in s3_actions:
            cond = st.get("Condition", {})
            prefixes = as_list(cond.get("StringLike", {}).get("s3:prefix", []))
            only = set(cond) == {"StringLike"} and set(cond["StringLike"]) == {"s3:prefix"}
            if resources != [listing]:
                errors.append(f"{at} grants s3:ListBucket on {resources}, not only the bucket ({listing})")
            elif not prefixes or not only or not set(prefixes) <= {f"{prefix}/", f"{prefix}/*"}:
                errors.append(f"{at} grants s3:ListBucket without the condition StringLike s3:prefix "
                              f"= {prefix}/* (and {prefix}/): found {cond}")
            else:
                granted.add("s3:ListBucket")
    kms_actions = [a for a in actions if a.lower().startswith("kms:")]
    if kms_actions and (key in resources or '"s3.' in json.dumps(st.get("Condition", {}))):
        if not (enabled and key):
            errors.append(f"{at} allows {kms_actions} although no RunStoreKmsKeyArn is given")
        extra = sorted(set(kms_actions) - STORE_KMS_ACTIONS)
        if extra:
            errors.append(f"{at} allows {extra}; the store needs only {sorted(STORE_KMS_ACTIONS)}")
        via = st.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
        if resources != [key]:
            errors.append(f"{at} grants {kms_actions} on {resources}, not only the key RunStoreKmsKeyArn names")
        elif via != "s3.us-east-1.amazonaws.com":
            errors.append(f"{at} grants {kms_actions} without the condition kms:ViaService = s3.<region>.amazonaws.com")
        else:
            kms_granted.update(kms_actions)


# ---------------------------------------------------------------------------------------------
# Self-test: each break must be reported


def self_test():
    base = load_template()
    read, unclear = env_vars_read()
    fn = next(iter(functions(base)))

    def props(t):
        return t["Resources"][fn]["Properties"]

    def policy(t):
        return props(t)["Policies"][0]["AWSSecretsManagerGetSecretValuePolicy"]

    def kms(t):
        return props(t)["Policies"][1]["Fn::If"][1]

    def guarded(t, condition):
        return next(i for i, p in enumerate(props(t)["Policies"])
                    if isinstance(p, dict) and p.get("Fn::If", [None])[0] == condition)

    def store_statements(t):
        return props(t)["Policies"][guarded(t, "StoreEnabled")]["Fn::If"][1]["Statement"]

    def store_kms(t):
        return props(t)["Policies"][guarded(t, "HasStoreKmsKey")]["Fn::If"][1]["Statement"][0]

    def unguard(t, condition):
        i = guarded(t, condition)
        props(t)["Policies"][i] = props(t)["Policies"][i]["Fn::If"][1]

    def bucket(t):
        return t["Resources"]["RunStoreBucket"]

    def lifecycle(t):
        return bucket(t)["Properties"]["LifecycleConfiguration"]["Rules"]

    def tls(t):
        return t["Resources"]["RunStoreBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]

    def store_env(t):
        return props(t)["Environment"]["Variables"]

    breaks = {
        "Timeout 901": (lambda t: props(t).update(Timeout=901), "Timeout is 901"),
        "EphemeralStorage 20480": (lambda t: props(t)["EphemeralStorage"].update(Size=20480), "EphemeralStorage.Size is 20480"),
        "MemorySize 64": (lambda t: props(t).update(MemorySize=64), "MemorySize is 64"),
        "seam declared": (
            lambda t: props(t)["Environment"]["Variables"].update(AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:5000"),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER is a test seam",
        ),
        "sheets seam declared": (
            lambda t: props(t)["Environment"]["Variables"].update(SHEETS_API_BASE_URL="http://x/"),
            "SHEETS_API_BASE_URL is a test seam",
        ),
        "read variable undeclared": (
            lambda t: props(t)["Environment"]["Variables"].pop("CHROMIUM_PATH"),
            "CHROMIUM_PATH (read at",
        ),
        "unread variable declared": (
            lambda t: props(t)["Environment"]["Variables"].update(EXPORTSYNC_NOTHING="1"),
            "EXPORTSYNC_NOTHING is declared but no code",
        ),
        "policy on every secret": (lambda t: policy(t).update(SecretArn="*"), "on every resource"),
        "policy on another secret": (
            lambda t: policy(t).update(SecretArn="arn:aws:secretsmanager:us-east-1:1:secret:other-AbCdEf"),
            "not only the secret named by SecretId",
        ),
        "broad managed policy": (
            lambda t: props(t)["Policies"].append("SecretsManagerReadWrite"),
            "SecretsManagerReadWrite",
        ),
        "concurrency 2": (lambda t: props(t).update(ReservedConcurrentExecutions=2), "ReservedConcurrentExecutions must be 1"),
        "concurrency none by default": (
            lambda t: t["Parameters"]["ReservedConcurrency"].update(Default="none"),
            "ReservedConcurrentExecutions must be 1",
        ),
        "concurrency 2 unless none": (
            lambda t: props(t).update(ReservedConcurrentExecutions={"Fn::If": ["ReservesConcurrency", 2, {"Ref": "AWS::NoValue"}]}),
            "ReservedConcurrentExecutions must be 1",
        ),
        "START/REPORT dropped": (
            lambda t: t["Parameters"]["SystemLogLevel"].update(Default="WARN"),
            "SystemLogLevel is 'WARN'",
        ),
        "log group fixed name retained": (
            lambda t: t["Resources"]["FunctionLogGroup"]["Properties"].update(LogGroupName="/aws/lambda/exportsync"),
            "fixed LogGroupName and DeletionPolicy Retain",
        ),
        "SecretId without pattern": (lambda t: t["Parameters"]["SecretId"].pop("AllowedPattern"), "SecretId has no AllowedPattern"),
        "SecretId pattern takes partial ARNs": (
            lambda t: t["Parameters"]["SecretId"].update(AllowedPattern="^[A-Za-z0-9/_+=.@:-]+$"),
            "accepts 'arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:exportsync'",
        ),
        "KMS key pattern takes aliases": (
            lambda t: t["Parameters"]["SecretKmsKeyArn"].update(AllowedPattern="^.*$"),
            "SecretKmsKeyArn: AllowedPattern accepts",
        ),
        "kms without ViaService": (
            lambda t: kms(t)["Statement"][0].pop("Condition"),
            "without the condition kms:ViaService",
        ),
        "kms on every key": (lambda t: kms(t)["Statement"][0].update(Resource="*"), "not only the key SecretKmsKeyArn names"),
        "kms always granted": (
            lambda t: props(t)["Policies"].__setitem__(1, props(t)["Policies"][1]["Fn::If"][1]),
            "even when SecretKmsKeyArn is empty",
        ),
        "schedule without dead-letter queue": (
            lambda t: props(t)["Events"]["Evening"]["Properties"].pop("DeadLetterConfig"),
            "schedule Evening has no DeadLetterConfig",
        ),
        "schedule in the default group": (
            lambda t: props(t)["Events"]["Morning"]["Properties"].pop("GroupName"),
            "schedule Morning: GroupName must be",
        ),
        "no queue depth alarm": (lambda t: t["Resources"].pop("FailedRunsAlarm"), "no alarm (>= 1, with AlarmActions) on the depth"),
        "dead letters to an unwatched queue": (
            lambda t: (t["Resources"].update(OtherQueue={"Type": "AWS::SQS::Queue"}),
                       props(t)["Events"]["Morning"]["Properties"]["DeadLetterConfig"].update(Arn={"Fn::GetAtt": ["OtherQueue", "Arn"]})),
            "schedule Morning's dead-letter queue",
        ),
        "no dropped alarm": (lambda t: t["Resources"].pop("SchedulerDroppedAlarm"), "AWS/Scheduler InvocationDroppedCount"),
        "no target error alarm": (lambda t: t["Resources"].pop("SchedulerTargetErrorAlarm"), "AWS/Scheduler TargetErrorCount"),
        "no heartbeat": (lambda t: t["Resources"].pop("NoRunAlarm"), "no heartbeat alarm"),
        "heartbeat ignores missing data": (
            lambda t: t["Resources"]["NoRunAlarm"]["Properties"].update(TreatMissingData="notBreaching"),
            "TreatMissingData must be breaching",
        ),
        "heartbeat shorter than the schedules' gap": (
            lambda t: t["Resources"]["NoRunAlarm"]["Properties"].update(EvaluationPeriods=12, DatapointsToAlarm=12),
            "longer than the longest gap",
        ),
        "heartbeat while schedules are disabled": (lambda t: t["Resources"]["NoRunAlarm"].pop("Condition"), "only while the schedules are enabled"),
        "alarm without action": (lambda t: t["Resources"]["SchedulerTargetErrorAlarm"]["Properties"].pop("AlarmActions"), "SchedulerTargetErrorAlarm has no AlarmActions"),
        "build target missing": (
            lambda t: t["Resources"][fn]["Metadata"].update(DockerBuildTarget="prebuilt"),
            "DockerBuildTarget 'prebuilt' is not a stage",
        ),
        "text logs": (lambda t: props(t)["LoggingConfig"].update(LogFormat="Text"), "LogFormat must be JSON"),
        "schedule in UTC": (
            lambda t: t["Parameters"]["ScheduleTimezone"].update(Default="UTC"),
            "expected Asia/Jakarta",
        ),
        "input with an unknown key": (
            lambda t: props(t)["Events"]["Morning"]["Properties"].update(Input='{"trigger": "x", "scheduled_time": "<aws.scheduler.scheduled-time>", "day": 1}'),
            "keys the handler rejects",
        ),
        "no retry policy": (lambda t: props(t)["EventInvokeConfig"].pop("MaximumRetryAttempts"), "MaximumRetryAttempts must be chosen"),
        "no failure destination": (lambda t: props(t)["EventInvokeConfig"].pop("DestinationConfig"), "DestinationConfig.OnFailure"),
        # Issue 16, the run store.
        "store bucket open to public policies": (
            lambda t: bucket(t)["Properties"]["PublicAccessBlockConfiguration"].update(BlockPublicPolicy=False),
            "is not private: PublicAccessBlockConfiguration ['BlockPublicPolicy']",
        ),
        "store bucket with ACLs": (
            lambda t: bucket(t)["Properties"].pop("OwnershipControls"),
            "must have OwnershipControls BucketOwnerEnforced",
        ),
        "store bucket unencrypted": (lambda t: bucket(t)["Properties"].pop("BucketEncryption"), "must encrypt by default"),
        "store key ignored by the bucket": (
            lambda t: bucket(t)["Properties"]["BucketEncryption"].update(
                ServerSideEncryptionConfiguration=[{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]),
            "is not encrypted with RunStoreKmsKeyArn",
        ),
        "store bucket with a fixed name": (
            lambda t: bucket(t)["Properties"].update(BucketName="exportsync-runs"),
            "has a fixed BucketName",
        ),
        "store bucket without a DeletionPolicy": (
            lambda t: (bucket(t).pop("DeletionPolicy"), bucket(t).pop("UpdateReplacePolicy")),
            "DeletionPolicy must be chosen",
        ),
        "store runs never expire": (
            lambda t: lifecycle(t).__setitem__(0, {"Id": "x", "Status": "Disabled", "Prefix": "exportsync/", "ExpirationInDays": 90}),
            "has no lifecycle rule expiring the store's runs",
        ),
        "store expiry under another prefix": (
            lambda t: lifecycle(t)[0].update(Prefix="other/"),
            "has no lifecycle rule expiring the store's runs",
        ),
        "store kept for ever by default": (
            lambda t: t["Parameters"]["RunStoreRetentionDays"].update(Default=3650),
            "expire after 3650 days by default",
        ),
        "no multipart abort": (lambda t: lifecycle(t).pop(1), "no lifecycle rule aborting incomplete multipart uploads"),
        "versioned store without noncurrent expiry": (
            lambda t: bucket(t)["Properties"].update(VersioningConfiguration={"Status": "Enabled"}),
            "is versioned but no rule expires noncurrent versions",
        ),
        "store bucket without TLS policy": (lambda t: t["Resources"].pop("RunStoreBucketPolicy"), "when aws:SecureTransport is false"),
        "TLS policy on objects only": (
            lambda t: tls(t).update(Resource=[{"Fn::Sub": "${RunStoreBucket.Arn}/*"}]),
            "when aws:SecureTransport is false",
        ),
        "TLS policy deleted with a kept bucket": (
            lambda t: t["Resources"]["RunStoreBucketPolicy"].update(DeletionPolicy="Delete", UpdateReplacePolicy="Delete"),
            "must have the bucket's DeletionPolicy",
        ),
        "store on the whole bucket": (
            lambda t: store_statements(t)[0].update(Resource={"Fn::Sub": [
                "arn:${AWS::Partition}:s3:::${Bucket}/*",
                {"Bucket": {"Fn::If": ["CreatesStoreBucket", {"Ref": "RunStoreBucket"}, {"Ref": "RunStoreBucketName"}]}}]}),
            "not only the store's prefix",
        ),
        "store on every resource": (lambda t: store_statements(t)[0].update(Resource="*"), "not only the store's prefix"),
        "store may delete": (
            lambda t: store_statements(t)[0].update(Action=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]),
            "the function may delete nothing",
        ),
        "store with a wildcard action": (lambda t: store_statements(t)[0].update(Action="s3:*Object"), "wildcard S3 action"),
        "store list without a prefix": (
            lambda t: store_statements(t)[1].pop("Condition"),
            "s3:ListBucket without the condition StringLike s3:prefix",
        ),
        "store list of the whole bucket": (
            lambda t: store_statements(t)[1]["Condition"]["StringLike"].update({"s3:prefix": "*"}),
            "s3:ListBucket without the condition StringLike s3:prefix",
        ),
        "store cannot list": (lambda t: store_statements(t).pop(1), "may not ['s3:ListBucket']"),
        "store access when disabled": (lambda t: unguard(t, "StoreEnabled"), "although the store is disabled"),
        "store key without ViaService": (lambda t: store_kms(t).pop("Condition"), "without the condition kms:ViaService = s3."),
        "store key on every key": (lambda t: store_kms(t).update(Resource="*"), "not only the key RunStoreKmsKeyArn names"),
        "store key without GenerateDataKey": (lambda t: store_kms(t).update(Action="kms:Decrypt"), "lacks ['kms:GenerateDataKey']"),
        "store key granted with no key": (lambda t: unguard(t, "HasStoreKmsKey"), "although no RunStoreKmsKeyArn is given"),
        "store URL with another prefix": (
            lambda t: store_env(t)[STORE_ENV]["Fn::If"][1]["Fn::Sub"].__setitem__(0, "s3://${Bucket}/runs"),
            "EXPORTSYNC_STORE is 's3://<RunStoreBucket>/runs'",
        ),
        "store URL when disabled": (
            lambda t: store_env(t).update({STORE_ENV: store_env(t)[STORE_ENV]["Fn::If"][1]}),
            "expected 'none'",
        ),
        "store URL missing": (lambda t: store_env(t).pop(STORE_ENV), "has no EXPORTSYNC_STORE environment variable"),
        "store prefix with slashes": (
            lambda t: t["Parameters"]["RunStorePrefix"].update(AllowedPattern="^[A-Za-z0-9/_.-]+$"),
            "RunStorePrefix: AllowedPattern accepts '/exportsync'",
        ),
        "store URL output missing": (lambda t: t["Outputs"].pop("RunStoreUrl"), "no output gives the store URL"),
        "store URL ignores RunStoreBucketName": (
            lambda t: store_env(t)[STORE_ENV]["Fn::If"][1]["Fn::Sub"][1].update(Bucket={"Ref": "RunStoreBucket"}),
            "expected 's3://team-bucket/team/exportsync'",
        ),
    }
    failed = []
    clean = []
    check(copy.deepcopy(base), clean, read, unclear)
    if clean:
        failed.append(f"the template itself does not pass: {clean}")
    for label, (mutate, expected) in breaks.items():
        broken = copy.deepcopy(base)
        mutate(broken)
        errors = []
        check(broken, errors, read, unclear)
        if not any(expected in e for e in errors):
            failed.append(f"{label}: expected an error containing {expected!r}, got {errors}")
    # The Dockerfile: a stage before the target that copies what a clean checkout lacks (the
    # `prebuilt` stage of issue 9, which broke `sam build` on a fresh clone).
    dockerfile = (REPO / "Dockerfile.lambda").read_text()
    broken = dockerfile.replace(
        "FROM runtime AS image", "FROM runtime AS prebuilt\nCOPY dist/exportsync /var/task/exportsync\n\nFROM runtime AS image"
    )
    errors = []
    check(copy.deepcopy(base), errors, read, unclear, dockerfile_text=broken)
    if broken == dockerfile or not any("stage 'prebuilt' copies 'dist/exportsync'" in e for e in errors):
        failed.append(f"Dockerfile: expected the prebuilt stage's COPY dist/exportsync to be reported, got {errors}")
    else:
        breaks["Dockerfile stage copying an untracked file"] = None
    # The source scanner: an env read through a const, a literal, and an unclear one.
    scan_errors = []
    fake_read = {"EXPORTSYNC_NEW": ["src/x.rs:1"]}
    check(copy.deepcopy(base), scan_errors, {**read, **fake_read}, ["src/y.rs:2: env::var(name)"])
    for expected in ("EXPORTSYNC_NEW (read at src/x.rs:1) is not declared", "cannot tell which environment variable src/y.rs:2"):
        if not any(expected in e for e in scan_errors):
            failed.append(f"scanner: expected {expected!r} in {scan_errors}")
    for var in ("CHROMIUM_PATH", "SHEETS_API_BASE_URL"):
        if var not in read:
            failed.append(f"scanner: {var} is read in src/ but was not found (found {sorted(read)})")
    for line in failed:
        print(f"check_template self-test: FAILED {line}", file=sys.stderr)
    if failed:
        return 1
    print(f"check_template self-test: all {len(breaks) + 1} breaks reported, the template itself passes")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-test", action="store_true", help="prove each check fails on a broken copy")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    errors = []
    read, unclear = env_vars_read()
    check(load_template(), errors, read, unclear)
    check_events(errors)
    for e in errors:
        print(f"check_template: {e}", file=sys.stderr)
    if errors:
        print(f"check_template: {len(errors)} problem(s) in {TEMPLATE.relative_to(REPO)}", file=sys.stderr)
        return 1
    print(f"check_template: ok ({', '.join(sorted(read))} read by the code; all accounted for)")
    for var in sorted(set(DECLARED_AHEAD) & set(read)):
        print(f"check_template: note: {var} is now read at {', '.join(read[var])}; remove it from DECLARED_AHEAD")
    return 0


if __name__ == "__main__":
    sys.exit(main())
