"""Prints the token secret's values exactly as the rotation function writes
them: an empty secret rotated twice, so both AWSCURRENT and AWSPREVIOUS are
rotation output. The API's tests store these strings and call the v1 API
with the tokens inside (shared/api/tests/v1.rs), so a format the two sides
disagree on fails there.

    python3 tests/offline/rotation_secret.py   ->  {"current": "...", "previous": "..."}
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_rotate_token import FakeSecretsManager, rotate  # noqa: E402

fake = FakeSecretsManager()
rotate(fake, fake.start_rotation())
rotate(fake, fake.start_rotation())
print(json.dumps({
    "current": fake.get_secret_value(fake.arn, VersionStage="AWSCURRENT")["SecretString"],
    "previous": fake.get_secret_value(fake.arn, VersionStage="AWSPREVIOUS")["SecretString"],
}))
