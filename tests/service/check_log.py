#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check fusekeyd's decision log (docs/service.md, "The decision log").

    check_log.py --key HEX LOG...

Every line of every LOG must be one JSON object with the fields its event
documents; no line may hold the key (HEX, in either case). Within one run
(from a "start" line to the next), decision ids count 1, 2, 3, ... and the
"stop" line's counts equal the released and refused lines. Prints one
summary line per file; exit 1 with the first problems on stderr.
"""
import json
import re
import sys

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# docs/service.md: the stable reason tokens.
REASONS = {
    "allowed", "mr_enclave", "mr_signer", "isv_prod_id", "isv_family_id", "isv_ext_prod_id",
    "config_id", "debug", "attributes", "isv_svn", "config_svn", "launch_digest",
    "launch_digest_missing", "no_rule", "unknown_session", "session_expired", "handshake",
    "kdf_mismatch", "malformed", "invalid_container_id", "no_key", "key_busy", "key_unusable", "internal",
}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_release(o, where, errs):
    if not isinstance(o.get("time"), str) or not TIME.match(o["time"]):
        errs.append(f"{where}: time is not an ISO 8601 UTC timestamp")
    if not is_int(o.get("decision_id")) or o["decision_id"] < 1:
        errs.append(f"{where}: decision_id is not a positive integer")
    if o.get("decision") not in ("released", "refused"):
        errs.append(f"{where}: decision is not released/refused")
    if o.get("reason") not in REASONS:
        errs.append(f"{where}: reason {o.get('reason')!r} is not a documented token")
    if (o.get("decision") == "released") != (o.get("reason") == "allowed"):
        errs.append(f"{where}: decision {o.get('decision')} with reason {o.get('reason')}")
    if "container" not in o or not (o["container"] is None or isinstance(o["container"], str)):
        errs.append(f"{where}: container is missing (string or null)")
    for k in ("detail", "rule"):
        if k in o and not isinstance(o[k], str):
            errs.append(f"{where}: {k} is not a string")
    peer = o.get("peer")
    if not isinstance(peer, dict):
        errs.append(f"{where}: peer is not an object")
        return
    for k in ("uid", "gid", "pid", "conn"):
        if not is_int(peer.get(k)):
            errs.append(f"{where}: peer.{k} is not an integer")
    # After the handshake, the app enclave's verified identity.
    if "mr_enclave" in peer or o.get("decision") == "released":
        for k in ("mr_enclave", "mr_signer"):
            if not isinstance(peer.get(k), str) or not HEX64.match(peer[k]):
                errs.append(f"{where}: peer.{k} is not 64 hex digits")
        for k in ("isv_prod_id", "isv_svn"):
            if not is_int(peer.get(k)):
                errs.append(f"{where}: peer.{k} is not an integer")
        if not isinstance(peer.get("debug"), bool):
            errs.append(f"{where}: peer.debug is not a boolean")


def check_file(path, key):
    errs = []
    counts = {}
    runs = 0
    run = None  # {"next_id", "released", "refused"} of the run in progress
    with open(path, "rb") as f:
        data = f.read()
    if key and key.encode() in data.lower():
        errs.append(f"{path}: holds the key")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        errs.append(f"{path}: the last line is not terminated")
    for n, raw in enumerate(lines, 1):
        where = f"{path}:{n}"
        try:
            o = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            errs.append(f"{where}: not JSON ({e})")
            continue
        if not isinstance(o, dict):
            errs.append(f"{where}: not a JSON object")
            continue
        ev = o.get("event")
        counts[ev] = counts.get(ev, 0) + 1
        if ev == "start":
            runs += 1
            run = {"next_id": 1, "released": 0, "refused": 0}
            if not isinstance(o.get("time"), str) or not TIME.match(o["time"]):
                errs.append(f"{where}: time is not an ISO 8601 UTC timestamp")
            for k in ("socket", "policy"):
                if not isinstance(o.get(k), str):
                    errs.append(f"{where}: {k} is not a string")
            for k in ("emulated", "memory_locked"):
                if not isinstance(o.get(k), bool):
                    errs.append(f"{where}: {k} is not a boolean")
            if not is_int(o.get("pid")):
                errs.append(f"{where}: pid is not an integer")
        elif ev == "stop":
            if not isinstance(o.get("time"), str) or not TIME.match(o["time"]):
                errs.append(f"{where}: time is not an ISO 8601 UTC timestamp")
            for k in ("opened", "released", "refused"):
                if not is_int(o.get(k)):
                    errs.append(f"{where}: {k} is not an integer")
            if not isinstance(o.get("status"), str):
                errs.append(f"{where}: status is not a string")
            if run is None:
                errs.append(f"{where}: stop without start")
            else:
                for k in ("released", "refused"):
                    if o.get(k) != run[k]:
                        errs.append(f"{where}: stop counts {k}={o.get(k)}, the log has {run[k]}")
            run = None
        elif ev == "key_release":
            check_release(o, where, errs)
            if run is None:
                errs.append(f"{where}: a decision outside a start..stop run")
            else:
                if o.get("decision_id") != run["next_id"]:
                    errs.append(f"{where}: decision_id {o.get('decision_id')}, "
                                f"want {run['next_id']}")
                run["next_id"] += 1
                if o.get("decision") in ("released", "refused"):
                    run[o["decision"]] += 1
        elif ev == "connection":
            if not isinstance(o.get("detail"), str) or not o["detail"].startswith("ttrpc conn="):
                errs.append(f"{where}: connection line without its ttrpc detail")
        else:
            errs.append(f"{where}: unknown event {ev!r}")
        if len(errs) > 20:
            break
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
    return errs, f"{path.rsplit('/', 1)[-1]}: {len(lines)} lines, {runs} runs ({summary})"


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "--key":
        print("usage: check_log.py --key HEX LOG...", file=sys.stderr)
        return 2
    key = args[1].lower()
    bad = False
    for path in args[2:]:
        try:
            errs, summary = check_file(path, key)
        except OSError as e:
            errs, summary = [f"{path}: {e}"], ""
        if errs:
            bad = True
            for e in errs[:20]:
                print(e, file=sys.stderr)
        else:
            print(summary)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
