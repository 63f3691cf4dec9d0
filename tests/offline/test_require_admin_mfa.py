"""The Cognito trigger that keeps administrators without MFA out
(infra/modules/auth/triggers/require_admin_mfa.py).

Cognito's sign-in (which calls the trigger) cannot run here; FakeCognito
stands in for its AdminGetUser answer.

    python3 -m unittest discover -s tests/offline -p 'test_*.py'
"""

import importlib.util
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location(
    "require_admin_mfa", ROOT / "infra/modules/auth/triggers/require_admin_mfa.py")
trigger = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(trigger)


class FakeCognito:
    def __init__(self, mfa):
        self.mfa = mfa
        self.asked = []

    def admin_get_user(self, UserPoolId, Username):
        self.asked.append((UserPoolId, Username))
        return {"Username": Username, "UserMFASettingList": self.mfa}


def event(groups):
    return {"userPoolId": "eu-central-1_pool", "userName": "u-1",
            "request": {"groupConfiguration": {"groupsToOverride": groups}}}


class RequireAdminMfa(unittest.TestCase):
    def test_an_administrator_with_totp_gets_tokens(self):
        cognito = FakeCognito(["SOFTWARE_TOKEN_MFA"])
        ev = event(["administrator"])
        self.assertIs(trigger.handler(ev, None, client=cognito), ev)
        self.assertEqual(cognito.asked, [("eu-central-1_pool", "u-1")])

    def test_an_administrator_without_totp_is_refused(self):
        for mfa in ([], None, ["SMS_MFA"]):
            with self.subTest(mfa=mfa), self.assertRaises(PermissionError):
                trigger.handler(event(["analyst", "administrator"]), None, client=FakeCognito(mfa))

    def test_other_roles_sign_in_without_mfa_and_without_a_lookup(self):
        cognito = FakeCognito([])
        for groups in (["campaign-manager"], ["analyst"], [], None):
            ev = event(groups)
            self.assertIs(trigger.handler(ev, None, client=cognito), ev)
        self.assertEqual(cognito.asked, [])


if __name__ == "__main__":
    unittest.main()
