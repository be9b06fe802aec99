#!/usr/bin/env python3
"""Count individual test cases from meson's testlog.json.

A test whose output is TAP contributes its "ok"/"not ok" lines; a test that
prints "N passed, N failed" (the vector runner) contributes those numbers; any
other test counts as one case. A test meson marked failed with no failing case
counted (a crash after the last case, a timeout) adds one failure.
"""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")
PLAIN = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


def count(test):
    out = test.get("stdout") or ""
    passed = failed = skipped = 0
    tap = plain = False
    for line in out.splitlines():
        m = TAP.match(line)
        if m:
            tap = True
            if "# SKIP" in m.group(2).upper():
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
    if not tap:
        for line in out.splitlines():
            m = PLAIN.match(line.strip())
            if m:
                plain = True
                passed, failed = int(m.group(1)), int(m.group(2))
                skipped = int(m.group(3) or 0)
    if not tap and not plain:
        if test["result"] in ("OK", "EXPECTEDFAIL"):
            passed = 1
        elif test["result"] == "SKIP":
            skipped = 1
        else:
            failed = 1
    elif test["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and failed == 0:
        failed = 1
    return passed, failed, skipped


def main():
    log, out = sys.argv[1], sys.argv[2]
    tot = [0, 0, 0]
    with open(log, encoding="utf-8") as f:
        for line in f:
            test = json.loads(line)
            p, fl, s = count(test)
            print(f"  {test['name']:<28} {p:6d} passed {fl:4d} failed {s:4d} skipped")
            tot[0] += p
            tot[1] += fl
            tot[2] += s
    summary = f"{tot[0]} passed, {tot[1]} failed" + (f", {tot[2]} skipped" if tot[2] else "")
    with open(out, "w", encoding="utf-8") as f:
        f.write(summary + "\n")
    print(summary)
    return 1 if tot[1] else 0


if __name__ == "__main__":
    sys.exit(main())
