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
- events/*.json parse, and those meant as the handler's own input use only its keys.

Run with the Python that has cfn-lint (it brings the SAM translator):
    $EXPORTSYNC_VENV/bin/python infra/check_template.py [--self-test]
--self-test breaks a copy of the template in each of the ways above and fails unless every
break is reported.
"""

import argparse
import copy
import json
import logging
import os
import re
import sys
from pathlib import Path

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

# The SAM translator logs a warning about its own metrics on every transform.
logging.getLogger("samtranslator").setLevel(logging.ERROR)

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "infra" / "template.yaml"

# Keys of the handler's input object (the Scheduler Input, a manual or backfill event).
HANDLER_KEYS = {"from", "to", "exports", "dry_run", "trigger", "scheduled_time"}
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


def check(template, errors, read=None, unclear=None):
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
    if props.get("ReservedConcurrentExecutions") != 1:
        errors.append(f"{name}.ReservedConcurrentExecutions must be 1: two runs must never write one sheet at once")
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

    # Environment.
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    declared = {**globals_env, **props.get("Environment", {}).get("Variables", {})}
    logging = props.get("LoggingConfig", {})
    for var, value in declared.items():
        if var in TEST_SEAMS or var.startswith(TEST_SEAM_PREFIXES):
            errors.append(f"environment variable {var} is a test seam: tests set it, the template must not")
        elif var in SET_BY_LAMBDA or var in SET_BY_LOGGING_CONFIG:
            errors.append(f"environment variable {var} is set by Lambda itself; remove it from the template")
        elif var not in read:
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

    check_access(template, name, errors)


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
    for policy in role.get("Policies", []):
        for st in policy.get("PolicyDocument", {}).get("Statement", []):
            actions = st.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = st.get("Resource", [])
            resources = [simplify(r) for r in (resources if isinstance(resources, list) else [resources])]
            where = policy.get("PolicyName", "?")
            if any(a == "*" or a.endswith(":*") for a in actions):
                errors.append(f"policy {where} allows a wildcard action {actions}")
            if "*" in resources:
                errors.append(f"policy {where} allows {actions} on every resource (\"*\")")
            if any(a.lower().startswith("secretsmanager:") for a in actions):
                secret_statements += 1
                if actions != ["secretsmanager:GetSecretValue"]:
                    errors.append(f"policy {where} allows {actions}; the function needs secretsmanager:GetSecretValue only")
                if not resources or not all(refers_to_secret_parameter(r) for r in resources):
                    errors.append(f"policy {where} grants {actions} on {resources}, not only the secret named by SecretId")
    if secret_statements == 0:
        errors.append("the function's role cannot read the secret (no secretsmanager:GetSecretValue statement)")


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
# Self-test: each break must be reported


def self_test():
    base = load_template()
    read, unclear = env_vars_read()
    fn = next(iter(functions(base)))

    def props(t):
        return t["Resources"][fn]["Properties"]

    def policy(t):
        return props(t)["Policies"][0]["AWSSecretsManagerGetSecretValuePolicy"]

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
