#!/usr/bin/env python3
"""Checks one invocation of the function for scripts/lambda-image.sh, and prints one summary line.

  assert_run.py RESPONSE LABEL --exports a,b,c --sheets URL --expect first|again
                [--telegram-log FILE --telegram-before N --chat-id ID] [--secret VALUE]...

- RESPONSE is the run report the function returned: status ok, exactly the exports asked for,
  each ok; `first`: rows inserted (the sheets were empty); `again`: nothing inserted or updated
  and no write request (the upsert is idempotent).
- Each export's tab in the Sheets emulator (GET URL_sim/spreadsheets/ID) holds the header and
  as many distinct rows as the report read: no row lost, none duplicated.
- `exportsync sim telegram` (whose output is FILE) received at least one more message than the
  N it had before, each sent to the configured chat.
- No --secret value appears in the response, the sheets or the Telegram messages.
"""

import argparse
import json
import re
import sys
import urllib.request


def fail(label, message):
    print(f"lambda-image: {label}: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("response")
    p.add_argument("label")
    p.add_argument("--exports", required=True)
    p.add_argument("--sheets", required=True)
    p.add_argument("--expect", choices=["first", "again"], required=True)
    p.add_argument("--telegram-log")
    p.add_argument("--telegram-before", type=int, default=0)
    p.add_argument("--chat-id")
    p.add_argument("--secret", action="append", default=[])
    a = p.parse_args()
    label = a.label

    text = open(a.response).read()
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        fail(label, f"the response is not JSON: {text[:500]}")
    if not isinstance(report, dict) or "exports" not in report:
        fail(label, f"the response is not a run report: {text[:500]}")
    if report.get("status") != "ok":
        fail(label, f"status {report.get('status')!r}: {json.dumps(report.get('exports'))[:1500]}")
    wanted = a.exports.split(",")
    names = [e["name"] for e in report["exports"]]
    if sorted(names) != sorted(wanted):
        fail(label, f"the report has exports {names}, expected {wanted}")

    texts = [text]
    for export in report["exports"]:
        name = export["name"]
        if export["status"] != "ok":
            fail(label, f"{name}: {export.get('stage')} {export.get('error')}")
        rows = export.get("rows") or 0
        if rows <= 0:
            fail(label, f"{name}: no rows read")
        if a.expect == "first" and export["inserted"] != rows:
            fail(label, f"{name}: {export['inserted']} inserted of {rows} rows into an empty sheet")
        if a.expect == "again" and (export["inserted"], export["updated"], export["write_requests"]) != (0, 0, 0):
            fail(label, f"{name}: a repeated run wrote: {export}")
        url = f"{a.sheets.rstrip('/')}/_sim/spreadsheets/{export['spreadsheet_id']}"
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read().decode()
        texts.append(body)
        state = json.loads(body)
        tab = next((t for t in state["tabs"] if t["title"] == export["tab"]), None)
        if tab is None:
            fail(label, f"{name}: tab {export['tab']!r} missing in {url}")
        data = tab["rows"][1:]
        distinct = {json.dumps(r) for r in data}
        if len(data) != rows or len(distinct) != rows:
            fail(label, f"{name}: the tab holds {len(data)} rows ({len(distinct)} distinct), the export {rows}")

    sent = 0
    if a.telegram_log:
        log = open(a.telegram_log).read()
        texts.append(log)
        chats = re.findall(r"^--- message to chat (\S+) ---$", log, re.M)[a.telegram_before:]
        sent = len(chats)
        if not chats:
            fail(label, "no Telegram message")
        for chat in chats:
            if a.chat_id and chat != a.chat_id:
                fail(label, f"a Telegram message went to chat {chat!r}")
    for secret in a.secret:
        for t in texts:
            if secret and secret in t:
                fail(label, "a secret appears in the response, a sheet or a Telegram message")

    print(
        f"lambda-image: {label}: ok: {len(names)} exports, "
        + ", ".join(f"{e['name']} {e['rows']} rows (+{e['inserted']} ~{e['updated']} ={e['unchanged']})" for e in report["exports"])
        + f"; {sent} Telegram message(s); report says {report.get('seconds', 0):.2f} s"
    )


if __name__ == "__main__":
    main()
