#!/usr/bin/env python3
"""The Python baseline of the import benchmark: the same job as
`campaign contacts check FILE` on the same file — read the CSV, parse and
validate every number for region IL (`phonenumbers`), normalise it to E.164,
tell mobiles from landlines, drop duplicates (first wins), count invalid rows
— and print a one-line JSON summary."""
import csv
import json
import sys
import time

import phonenumbers
from phonenumbers import PhoneNumberType

MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def main(path: str) -> None:
    started = time.perf_counter()
    seen = set()
    rows = imported = duplicates = invalid = landlines = 0
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows += 1
            raw = (row.get("phone") or "").strip()
            tz = (row.get("timezone") or "").strip()
            try:
                number = phonenumbers.parse(raw, "IL")
            except phonenumbers.NumberParseException:
                invalid += 1
                continue
            if not phonenumbers.is_valid_number(number):
                invalid += 1
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in seen:
                duplicates += 1
                continue
            seen.add(e164)
            if phonenumbers.number_type(number) not in MOBILE:
                landlines += 1
            _ = (row.get("first_name"), row.get("last_name"), tz)
            imported += 1
    secs = time.perf_counter() - started
    print(json.dumps({
        "rows": rows, "imported": imported, "duplicates": duplicates,
        "invalid": invalid, "landlines": landlines, "seconds": secs,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
