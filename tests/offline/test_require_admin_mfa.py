"""The Cognito trigger that keeps administrators without MFA out
(infra/modules/auth/triggers/require_admin_mfa.py).

Cognito's sign-in (which calls the trigger) cannot run here; FakeCognito
stands in for its AdminGetUser answer.

    python3 -m unittest discover -s tests/offline -p 'test_*.py'
"""

import importlib.util
import re
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


def api_administrator_groups():
    """The group names the API maps to the administrator role
    (shared/api/src/auth.rs, Role::parse): the names in a match arm that
    yields Role::Administrator, or, when parse compares with as_str(), the
    administrator's as_str name."""
    src = (ROOT / "shared/api/src/auth.rs").read_text()
    parse = src[src.index("pub fn parse(s: &str)"):]
    parse = parse[:parse.index("\n    }\n")]
    arm = re.search(r"((?:\"[^\"]*\"\s*\|?\s*)+)=>\s*Some\(Role::Administrator\)", parse)
    if arm:
        return set(re.findall(r'"([^"]*)"', arm.group(1)))
    assert "as_str()" in parse, "Role::parse changed shape: teach this test to read it"
    return set(re.findall(r'Role::Administrator => "([^"]+)"', src)[:1])


class SameGroupsOnBothSides(unittest.TestCase):
    def test_the_trigger_demands_mfa_of_exactly_the_groups_the_api_makes_administrator(self):
        # GIVEN the names the API reads as administrator, the trigger's
        # default and what Terraform configures it with
        terraform = re.search(r'MFA_GROUPS\s*=\s*"([^"]*)"',
                              (ROOT / "infra/modules/auth/main.tf").read_text()).group(1)
        configured = {g.strip() for g in terraform.split(",") if g.strip()}
        # THEN they are the same set: an administrator alias the trigger does
        # not know would sign in without MFA
        self.assertEqual(api_administrator_groups(), {"administrator"})
        self.assertEqual(trigger.MFA_GROUPS, api_administrator_groups())
        self.assertEqual(configured, api_administrator_groups())

    def test_near_names_are_neither_administrators_nor_asked_for_mfa(self):
        # (they carry no role in the API either: shared/api auth tests)
        cognito = FakeCognito([])
        for group in ["admin", "admins", "administrators", "Administrator", "ADMINISTRATOR"]:
            ev = event([group])
            self.assertIs(trigger.handler(ev, None, client=cognito), ev)
            self.assertNotIn(group, api_administrator_groups())
        self.assertEqual(cognito.asked, [])


if __name__ == "__main__":
    unittest.main()
