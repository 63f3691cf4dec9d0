"""Writes a state machine definition with its ${...} substitutions filled in
with values of the right shape (what CloudFormation will put there), so the
ASL validator checks the real ARNs, numbers and ids:

    python3 tests/offline/fill-asl.py statemachines/campaign.asl.json OUT.json

An unknown placeholder is an error: add its sample value here.
"""

import re
import sys
from pathlib import Path

SAMPLES = {
    "DispatcherFunctionArn": "arn:aws:lambda:eu-central-1:123456789012:function:campaign-dev-dispatcher",
    "ReportGeneratorFunctionArn": "arn:aws:lambda:eu-central-1:123456789012:function:campaign-dev-report-generator",
    "NotificationsTopicArn": "arn:aws:sns:eu-central-1:123456789012:campaign-dev-campaign-notifications",
    "MonitorIntervalSeconds": "60",
    "RoundsPerExecution": "800",
    "TelephonyInstanceId": "i-0123456789abcdef0",
}


def main():
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    text = source.read_text()
    unknown = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text)) - set(SAMPLES))
    if unknown:
        raise SystemExit(f"{source}: no sample value for {', '.join(unknown)} (tests/offline/fill-asl.py)")
    for key, value in SAMPLES.items():
        text = text.replace("${" + key + "}", value)
    target.write_text(text)


if __name__ == "__main__":
    main()
