"""Cognito pre-token-generation trigger: a member of an MFA group (by default
`administrator`) gets tokens only if a TOTP authenticator is set up for the
user, so every later sign-in asks for the code (the pool's MFA is optional,
and Cognito asks for it whenever the user has it enabled).

Raising an exception makes Cognito refuse the sign-in with the message.
"""

import os

MFA_GROUPS = {g.strip() for g in os.environ.get("MFA_GROUPS", "administrator").split(",") if g.strip()}


def _client():
    import boto3  # in the Lambda runtime

    return boto3.client("cognito-idp")


def handler(event, _context, client=None):
    groups = set(event["request"].get("groupConfiguration", {}).get("groupsToOverride") or [])
    if not groups & MFA_GROUPS:
        return event
    client = client or _client()
    user = client.admin_get_user(UserPoolId=event["userPoolId"], Username=event["userName"])
    if "SOFTWARE_TOKEN_MFA" not in (user.get("UserMFASettingList") or []):
        raise PermissionError(
            "administrators must set up an authenticator app (TOTP) before signing in"
        )
    return event
