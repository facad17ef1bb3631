#!/usr/bin/env python3
"""Holds rdnscheck's postfix-client and postfix-reverse verdicts against what Postfix did (run.sh's matching rule).

    compare.py CASES OBSERVATIONS MAILLOG RDNSCHECK_JSON...

CASES is cases.tsv; OBSERVATIONS holds one line per connection (case, address, resolv.conf setting, rule, the
service's configured code, RCPT's reply code, its text), written by run.sh; MAILLOG is Postfix's maillog_file;
each RDNSCHECK_JSON is the `--format json` report of one run (one per resolv.conf setting: the verdicts must be the
same in all). Prints each case's replies and the names Postfix logged, every mismatch, and the summary line.
Exit 0 when every verdict matches, 1 otherwise."""

import json
import re
import sys
from collections import defaultdict

TEXT = {
    "client": "cannot find your hostname",
    "reverse": "cannot find your reverse hostname",
}
RULE_KEY = {"client": "postfix-client", "reverse": "postfix-reverse"}


def outcome(reply, rule):
    """'250', or the refusal code ('450', '550') when the text is the rule's; anything else as it came."""
    code, text = reply
    if code == "250" or TEXT[rule] in text:
        return code
    return f"{code} {text}"


def judge(verdict, observed, rule):
    """Whether Postfix's replies match the verdict; returns None, or the reason they do not.

    observed maps (configured code, setting) to the outcomes of that service's connections."""
    outcomes = [o for per in observed.values() for o in per]
    if verdict == "accept":
        ok = all(o == "250" for o in outcomes)
        return None if ok else "accept: every RCPT should get 250"
    if verdict == "reject":
        ok = all(o == code for (code, _), per in observed.items() for o in per)
        return None if ok else "reject: every RCPT should get the configured code with '%s'" % TEXT[rule]
    if verdict == "defer":
        ok = all(o == "450" for o in outcomes)
        return None if ok else "defer: every RCPT should get 450 with '%s', whatever the code" % TEXT[rule]
    if verdict == "at-risk":
        allowed = all(o in ("250", "450", code) for (code, _), per in observed.items() for o in per)
        if not allowed:
            return "at-risk: every RCPT should get 250, 450 or the configured code with '%s'" % TEXT[rule]
        strict = {o for (code, _), per in observed.items() if code == "550" for o in per}
        if len(strict) < 2:
            return "at-risk: but with code 550 Postfix did the same (%s) on every connection and setting" % (
                ", ".join(sorted(strict)) or "nothing")
        return None
    return f"unknown verdict {verdict!r}"


def logged_names(maillog):
    """Per client address, the names Postfix logged: `connect from NAME[ADDRESS]` and the PTR names of its
    `hostname NAME does not resolve to address ADDRESS` warnings."""
    names = defaultdict(lambda: defaultdict(int))
    try:
        lines = open(maillog, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return names
    for line in lines:
        match = re.search(r"connect from (\S+)\[([0-9a-fA-F.:]+)\]$", line)
        if match and "disconnect" not in line:
            names[match.group(2)]["connect from " + match.group(1)] += 1
        match = re.search(r"hostname (\S+) does not resolve to address ([0-9a-fA-F.:]+)", line)
        if match:
            names[match.group(2)]["does not resolve: " + match.group(1)] += 1
        match = re.search(r"warning: ([0-9a-fA-F.:]+): hostname (\S+) verification failed", line)
        if match:
            names[match.group(1)]["verification failed: " + match.group(2)] += 1
    return names


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    cases_file, observations_file, maillog = sys.argv[1:4]
    cases = []
    for line in open(cases_file, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            name, address, _, what = line.rstrip("\n").split(None, 3)
            cases.append((name, address, what))

    observed = defaultdict(lambda: defaultdict(list))  # (case, rule) -> (code, setting) -> [outcome]
    connections = 0
    for line in open(observations_file, encoding="utf-8"):
        case, _, setting, rule, code, reply_code, text = line.rstrip("\n").split("\t", 6)
        observed[(case, rule)][(code, setting)].append(outcome((reply_code, text), rule))
        connections += 1

    verdicts = defaultdict(set)  # (address, rule key) -> {(verdict, reason)}
    for report in sys.argv[4:]:
        for result in json.load(open(report, encoding="utf-8"))["results"]:
            for key, value in result["receivers"].items():
                verdicts[(result["address"], key)].add((value["verdict"], value["reason"]))

    names = logged_names(maillog)
    mismatches = []
    comparisons = 0
    for name, address, what in cases:
        print(f"{name} ({address}): {what}")
        for rule in ("client", "reverse"):
            seen = verdicts.get((address, RULE_KEY[rule]), set())
            replies = observed.get((name, rule), {})
            shown = "; ".join(f"{code}/{setting}: {' '.join(per)}" for (code, setting), per in sorted(replies.items()))
            verdict = next(iter(seen))[0] if len(seen) == 1 else None
            print(f"  {RULE_KEY[rule]:15} rdnscheck {verdict or seen}; Postfix {shown}")
            comparisons += 1
            if len(seen) != 1:
                problem = f"rdnscheck gave {len(seen)} different verdicts: {sorted(seen)}"
            elif len(replies) != 4:
                problem = f"Postfix was asked with {len(replies)} of the 4 code and setting combinations"
            else:
                problem = judge(verdict, replies, rule)
            if problem:
                reason = next(iter(seen))[1] if len(seen) == 1 else ""
                mismatches.append(f"{name} ({address}) {RULE_KEY[rule]}: {problem}\n"
                                  f"    rdnscheck: {verdict} ({reason})\n    Postfix: {shown}")
        logged = names.get(address, {})
        print("  Postfix logged: " + (", ".join(f"{n} x{c}" for n, c in sorted(logged.items())) or "nothing"))

    for mismatch in mismatches:
        print("MISMATCH " + mismatch)
    result = "OK" if not mismatches else f"FAILED, {len(mismatches)} mismatches"
    print(f"receivers: {len(cases)} cases, {connections} connections, {comparisons} comparisons "
          f"(each over 2 codes x 2 resolv.conf settings): {result}")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
