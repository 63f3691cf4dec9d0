"""The call-manager token's rotation function
(infra/modules/secrets/rotation/rotate_token.py) through a whole rotation.

Secrets Manager's rotation orchestration (labels moved between versions,
the four calls) cannot run here - the local emulator marks the new version
current before the function is called - so FakeSecretsManager stands in for
it at that boundary, with the label rules of the real service.

    python3 -m unittest discover -s tests/offline -p 'test_*.py'
"""

import importlib.util
import json
import unittest
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location(
    "rotate_token", ROOT / "infra/modules/secrets/rotation/rotate_token.py")
rotate_token = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(rotate_token)


class FakeSecretsManager:
    """One secret's versions and labels, as Secrets Manager keeps them."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, value=None):
        self.arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:tok"
        self.values = {}   # version id -> SecretString
        self.stages = {}   # version id -> [labels]
        self.rotation_enabled = True
        if value is not None:
            first = str(uuid.uuid4())
            self.values[first] = json.dumps(value)
            self.stages[first] = ["AWSCURRENT"]

    # What RotateSecret does before calling the function.
    def start_rotation(self):
        token = str(uuid.uuid4())
        for labels in self.stages.values():
            if "AWSPENDING" in labels:
                labels.remove("AWSPENDING")
        self.stages[token] = ["AWSPENDING"]
        return token

    def describe_secret(self, SecretId):
        return {"ARN": self.arn, "RotationEnabled": self.rotation_enabled,
                "VersionIdsToStages": {v: list(s) for v, s in self.stages.items() if s}}

    def get_secret_value(self, SecretId, VersionId=None, VersionStage=None):
        for version, labels in self.stages.items():
            if VersionId is not None and version != VersionId:
                continue
            if VersionStage is not None and VersionStage not in labels:
                continue
            if version in self.values:
                return {"VersionId": version, "SecretString": self.values[version]}
        raise self.exceptions.ResourceNotFoundException("no such version")

    def get_random_password(self, PasswordLength, ExcludePunctuation):
        assert ExcludePunctuation
        return {"RandomPassword": (uuid.uuid4().hex * 4)[:PasswordLength]}

    def put_secret_value(self, SecretId, ClientRequestToken, SecretString, VersionStages):
        self.values[ClientRequestToken] = SecretString
        self.stages.setdefault(ClientRequestToken, [])
        for label in VersionStages:
            if label not in self.stages[ClientRequestToken]:
                self.stages[ClientRequestToken].append(label)

    def update_secret_version_stage(self, SecretId, VersionStage, MoveToVersionId,
                                    RemoveFromVersionId=None):
        holders = [v for v, s in self.stages.items() if VersionStage in s]
        assert holders == ([RemoveFromVersionId] if RemoveFromVersionId else []), holders
        if RemoveFromVersionId:
            self.stages[RemoveFromVersionId].remove(VersionStage)
            if VersionStage == "AWSCURRENT":
                for labels in self.stages.values():
                    if "AWSPREVIOUS" in labels:
                        labels.remove("AWSPREVIOUS")
                self.stages[RemoveFromVersionId].append("AWSPREVIOUS")
        self.stages[MoveToVersionId].append(VersionStage)
        if VersionStage == "AWSCURRENT" and "AWSPENDING" in self.stages[MoveToVersionId]:
            self.stages[MoveToVersionId].remove("AWSPENDING")

    def current(self):
        return json.loads(self.get_secret_value(self.arn, VersionStage="AWSCURRENT")["SecretString"])


def rotate(fake, token, steps=("createSecret", "setSecret", "testSecret", "finishSecret")):
    for step in steps:
        rotate_token.handler({"SecretId": fake.arn, "ClientRequestToken": token, "Step": step},
                             None, client=fake)


class RotateToken(unittest.TestCase):
    def test_a_rotation_replaces_the_token_and_keeps_the_other_fields(self):
        # GIVEN a token secret with another field
        fake = FakeSecretsManager({"token": "o" * 48, "note": "call manager"})
        # WHEN it is rotated
        rotate(fake, fake.start_rotation())
        # THEN the current token is new and long, the note is kept, the old
        # value is still readable as AWSPREVIOUS
        current = fake.current()
        self.assertNotEqual(current["token"], "o" * 48)
        self.assertEqual(len(current["token"]), 48)
        self.assertEqual(current["note"], "call manager")
        previous = json.loads(fake.get_secret_value(fake.arn, VersionStage="AWSPREVIOUS")[
            "SecretString"])
        self.assertEqual(previous["token"], "o" * 48)

    def test_the_first_rotation_fills_an_empty_secret(self):
        fake = FakeSecretsManager()
        rotate(fake, fake.start_rotation())
        self.assertEqual(len(fake.current()["token"]), 48)

    def test_a_repeated_create_step_keeps_the_pending_value(self):
        # Secrets Manager retries a step that timed out.
        fake = FakeSecretsManager({"token": "o" * 48})
        token = fake.start_rotation()
        rotate(fake, token, ["createSecret"])
        first = fake.values[token]
        rotate(fake, token, ["createSecret"])
        self.assertEqual(fake.values[token], first)

    def test_a_pending_value_without_a_usable_token_fails_the_test_step(self):
        fake = FakeSecretsManager({"token": "o" * 48})
        token = fake.start_rotation()
        fake.put_secret_value(fake.arn, token, json.dumps({"token": "short"}), ["AWSPENDING"])
        with self.assertRaises(ValueError):
            rotate(fake, token, ["testSecret"])
        self.assertEqual(fake.current()["token"], "o" * 48)

    def test_a_version_that_is_not_pending_is_refused(self):
        fake = FakeSecretsManager({"token": "o" * 48})
        with self.assertRaises(ValueError):
            rotate(fake, str(uuid.uuid4()), ["createSecret"])

    def test_rotation_must_be_enabled(self):
        fake = FakeSecretsManager({"token": "o" * 48})
        fake.rotation_enabled = False
        with self.assertRaises(ValueError):
            rotate(fake, fake.start_rotation(), ["createSecret"])


if __name__ == "__main__":
    unittest.main()
