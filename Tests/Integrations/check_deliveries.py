#!/usr/bin/env python3
"""Checks what the on-change recipes delivered to the loopback sinks (sinks.py) against the environment rdnscheck
(or the test) gave them, recorded by the wrapper with `env -0` (icinga-nagios-onchange.sh).

    check_deliveries.py mail DIR ENVFILE FROM TO...   exactly one mail in DIR: envelope FROM and TO..., only the
                                                      recipe's headers (each once), values sanitised, body intact
    check_deliveries.py webhook DIR ENVFILE STYLE     exactly one POST in DIR: JSON of STYLE (slack or teams)
                                                      whose text is exactly the sanitised values

The expected texts follow the rules the recipes state in their headers: bytes outside printable ASCII become `?`,
header values and webhook values are cut (ending in `...`), body values are whole and folded at 76 columns.
Prints one line per delivery checked; exits 1 with the reasons when anything differs.
"""
import glob
import json
import os
import sys

RECIPE_HEADERS = ["From", "To", "Subject", "Date", "Auto-Submitted", "MIME-Version", "Content-Type",
                  "Content-Transfer-Encoding"]
MTA_HEADERS = {"Message-ID"}  # msmtp adds one when the message has none
failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


def printable(value, limit=None):
    text = "".join(chr(b) if 0x20 <= b <= 0x7E else "?" for b in value)
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def read_environment(path):
    with open(path, "rb") as file:
        entries = [entry for entry in file.read().split(b"\0") if entry]
    return {name.decode(): value for name, _, value in (entry.partition(b"=") for entry in entries)}


def only_one(directory, pattern):
    found = sorted(glob.glob(os.path.join(directory, pattern)))
    expect(len(found) == 1, f"{directory}: {len(found)} deliveries ({pattern}), not exactly 1")
    return found[0] if found else None


def body_sections(lines):
    sections, label = {}, None
    for line in lines:
        if line.startswith("    ") and label is not None:
            sections[label].append(line[4:])
        elif line.endswith(":") and not line.startswith(" "):
            label = line[:-1]
            sections[label] = []
    return {key: "".join(value) for key, value in sections.items()}


def check_mail(directory, environment, sender, recipients):
    path = only_one(directory, "mail-*.eml")
    if path is None:
        return
    with open(path[:-4] + ".json") as file:
        envelope = json.load(file)
    expect(envelope["from"].split(">")[0] + ">" == f"<{sender}>", f"envelope sender {envelope['from']!r}")
    expect([r.split(">")[0] + ">" for r in envelope["to"]] == [f"<{r}>" for r in recipients],
           f"envelope recipients {envelope['to']!r}, not {recipients!r}")
    with open(path, "rb") as file:
        raw = file.read()
    head, separator, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    expect(separator == b"\n\n", "no blank line after the headers")
    headers = []
    for line in head.split(b"\n"):
        expect(all(0x20 <= b <= 0x7E for b in line), f"a header line is not printable ASCII: {line[:80]!r}")
        expect(len(line) <= 998, f"a header line of {len(line)} bytes")
        expect(not line.startswith((b" ", b"\t")), f"a folded header line: {line[:80]!r}")
        name, colon, value = line.decode("latin-1").partition(": ")
        expect(colon == ": ", f"not a header line: {line[:80]!r}")
        headers.append((name, value))
    names = [name for name, _ in headers]
    for name in RECIPE_HEADERS:
        expect(names.count(name) == 1, f"header {name} appears {names.count(name)} times")
    extra = [name for name in names if name not in RECIPE_HEADERS and name not in MTA_HEADERS]
    expect(not extra, f"headers the recipe does not write: {extra}")
    fields = dict(headers)

    def env(name):
        return environment.get(name, b"")

    address, old, new = printable(env("RDNSCHECK_ADDRESS"), 64), printable(env("RDNSCHECK_OLD_STATUS"), 16), \
        printable(env("RDNSCHECK_NEW_STATUS"), 16)
    expect(fields.get("Subject") == f"rdnscheck: {address} {old} -> {new}", f"Subject {fields.get('Subject')!r}")
    expect(fields.get("From") == sender, f"From {fields.get('From')!r}")
    expect(fields.get("To") == ", ".join(recipients), f"To {fields.get('To')!r}")
    lines = body.decode("latin-1").rstrip("\n").split("\n")
    for line in lines:
        expect(len(line) <= 80 and all(" " <= c <= "~" for c in line), f"a body line is not short ASCII: {line[:80]!r}")
    sections = body_sections(lines)
    wanted = {
        "Address": address,
        "Host": printable(os.uname().nodename.encode()),
        "Status": f"{old} -> {new}",
        "Problems": printable(env("RDNSCHECK_PROBLEMS")) or "(none)",
        "PTR names": printable(env("RDNSCHECK_PTR_NAMES")) or "(none)",
        "Changes": printable(env("RDNSCHECK_CHANGES")) or "(none)",
        "Drifts in this report": printable(env("RDNSCHECK_DRIFTS") or b"1"),
    }
    if env("RDNSCHECK_CHANGES_OMITTED"):
        wanted["Changes left out (too long)"] = printable(env("RDNSCHECK_CHANGES_OMITTED"))
    expect(sorted(sections) == sorted(wanted), f"body sections {sorted(sections)}, not {sorted(wanted)}")
    for label, value in wanted.items():
        expect(sections.get(label) == value,
               f"body {label}: {sections.get(label, '(missing)')[:120]!r}... is not {value[:120]!r}...")
    print(f"check_deliveries: mail {os.path.basename(path)}: {len(raw)} bytes, headers {names}, "
          f"PTR names {len(sections.get('PTR names', ''))} bytes")


def check_webhook(directory, environment, style):
    path = only_one(directory, "post-*.body")
    if path is None:
        return
    with open(path[:-5] + ".json") as file:
        meta = json.load(file)
    content_types = [v for k, v in meta["headers"] if k.lower() == "content-type"]
    expect(content_types == ["application/json"], f"Content-Type {content_types}")
    with open(path, "rb") as file:
        raw = file.read()
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=lambda name: failures.append(name))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        failures.append(f"the POST body is not JSON: {error}: {raw[:200]!r}")
        return

    def env(name):
        return environment.get(name, b"")

    title = printable(b"rdnscheck: " + printable(env("RDNSCHECK_ADDRESS"), 64).encode() + b" "
                      + env("RDNSCHECK_OLD_STATUS") + b" -> " + env("RDNSCHECK_NEW_STATUS"), 160)
    details = (f"problems: {printable(env('RDNSCHECK_PROBLEMS') or b'none', 1000)}\n"
               f"PTR names: {printable(env('RDNSCHECK_PTR_NAMES') or b'none', 1000)}\n"
               f"changes: {printable(env('RDNSCHECK_CHANGES') or b'[]', 1000)}")
    if env("RDNSCHECK_CHANGES_OMITTED"):
        details += f"\nchanges left out (too long): {printable(env('RDNSCHECK_CHANGES_OMITTED'), 200)}"
    if style == "slack":
        def slack(text):
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        expect(document == {"text": slack(title) + "\n" + slack(details)},
               f"Slack message {json.dumps(document)[:300]}")
    else:
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4",
                "body": [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                         {"type": "TextBlock", "text": details, "wrap": True}]}
        wanted = {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
        expect(document == wanted, f"Teams message {json.dumps(document)[:300]}")
    print(f"check_deliveries: {style} {os.path.basename(path)}: {len(raw)} bytes of JSON, title {title!r}")


def main():
    kind, directory, environment_file = sys.argv[1:4]
    environment = read_environment(environment_file)
    if kind == "mail":
        check_mail(directory, environment, sys.argv[4], sys.argv[5:])
    else:
        check_webhook(directory, environment, sys.argv[4])
    for failure in failures:
        print(f"check_deliveries: FAIL: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
