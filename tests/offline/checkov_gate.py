"""Runs checkov on infra/ (Terraform) and template.yaml (SAM / CloudFormation)
and fails on every finding that tests/offline/checkov-skips.yaml does not
accept, and on every skip entry that no longer matches a finding (so the list
cannot rot). Run with the checkov virtualenv's Python:

    .venv-checkov/bin/python tests/offline/checkov_gate.py

checkov runs offline: --skip-download (no policy download, no API key).
"""

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import yaml  # checkov depends on PyYAML

ROOT = Path(__file__).resolve().parents[2]
SKIPS = ROOT / "tests" / "offline" / "checkov-skips.yaml"
CHECKOV = Path(sys.executable).parent / "checkov"

SCANS = [
    ["-d", "infra", "--framework", "terraform"],
    ["-f", "template.yaml", "--framework", "cloudformation"],
]


def findings():
    out = []
    for scan in SCANS:
        proc = subprocess.run(
            [str(CHECKOV), *scan, "--skip-download", "--quiet", "--compact", "-o", "json"],
            cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 1):  # 1: findings
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"checkov {' '.join(scan)} failed to run ({proc.returncode})")
        reports = json.loads(proc.stdout or "[]")
        if isinstance(reports, dict):
            reports = [reports]
        for report in reports:
            if not isinstance(report, dict) or "results" not in report:
                continue  # an empty report (no failed checks) is a summary only
            summary = report.get("summary", {})
            print(f"checkov {' '.join(scan)}: {summary.get('passed', 0)} passed, "
                  f"{summary.get('failed', 0)} failed, parse errors {summary.get('parsing_errors', 0)}")
            if summary.get("parsing_errors"):
                raise SystemExit(f"checkov could not parse a file of {' '.join(scan)}")
            for f in report["results"]["failed_checks"]:
                out.append((f["check_id"], f["resource"], f["file_path"], f["check_name"]))
        if not any(isinstance(r, dict) and "results" in r for r in reports):
            print(f"checkov {' '.join(scan)}: no finding")
    return out


def main():
    skips = yaml.safe_load(SKIPS.read_text())
    for entry in skips:
        if not entry.get("reason", "").strip():
            raise SystemExit(f"{SKIPS.name}: {entry['check']} has no reason")
    used = [0] * len(skips)
    unaccepted = []
    for check_id, resource, path, name in findings():
        for i, entry in enumerate(skips):
            patterns = entry.get("resources", ["*"])
            if entry["check"] == check_id and any(fnmatch.fnmatchcase(resource, p) for p in patterns):
                used[i] += 1
                break
        else:
            unaccepted.append(f"  {check_id} {name}\n    {resource} ({path})")
    stale = [entry["check"] for entry, n in zip(skips, used) if n == 0]
    accepted = sum(used)
    print(f"checkov: {accepted} finding(s) accepted by {SKIPS.name} "
          f"({len(skips)} entries, each with its reason)")
    if unaccepted:
        print("checkov findings not accepted (fix them, or add them with a reason to "
              f"{SKIPS.relative_to(ROOT)}):")
        print("\n".join(unaccepted))
    if stale:
        print(f"{SKIPS.name} entries that match nothing any more (remove them): {', '.join(stale)}")
    if unaccepted or stale:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
