"""Rotates a generated token in Secrets Manager (the call-manager v1 API token).

Secrets Manager calls this function four times per rotation, with `Step`:

- createSecret: put a new random token as the AWSPENDING version (the other
  JSON fields of the secret are kept); a repeated call for the same version
  does nothing.
- setSecret: nothing to do: no other system stores the token; the API reads
  it from Secrets Manager (cached for a few minutes).
- testSecret: the pending version must be JSON with a non-empty token.
- finishSecret: move AWSCURRENT to the pending version. The old value keeps
  the AWSPREVIOUS label, so a caller still sending it can be accepted while
  the API's cache turns over.

Only the standard library and boto3 (in the Lambda runtime) are used.
"""

import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)

TOKEN_FIELD = os.environ.get("TOKEN_FIELD", "token")
TOKEN_LENGTH = int(os.environ.get("TOKEN_LENGTH", "48"))


def _client():
    import boto3  # in the Lambda runtime; imported late so tests can pass a fake

    return boto3.client("secretsmanager")


def handler(event, _context, client=None):
    client = client or _client()
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]

    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {arn}")
    stages = metadata.get("VersionIdsToStages", {})
    if token not in stages:
        raise ValueError(f"version {token} is not a version of {arn}")
    if "AWSCURRENT" in stages[token]:
        logger.info("version %s is already current", token)
        return
    if "AWSPENDING" not in stages[token]:
        raise ValueError(f"version {token} is not pending for {arn}")

    if step == "createSecret":
        create(client, arn, token)
    elif step == "setSecret":
        logger.info("setSecret: nothing outside Secrets Manager holds the token")
    elif step == "testSecret":
        test(client, arn, token)
    elif step == "finishSecret":
        finish(client, arn, token, stages)
    else:
        raise ValueError(f"unknown step {step!r}")


def _current_fields(client, arn):
    try:
        value = client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    except client.exceptions.ResourceNotFoundException:
        return {}  # the first rotation of an empty secret
    text = value.get("SecretString") or "{}"
    fields = json.loads(text)
    if not isinstance(fields, dict):
        raise ValueError("the secret's value must be a JSON object")
    return fields


def create(client, arn, token):
    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        logger.info("createSecret: version %s already has a value", token)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    fields = _current_fields(client, arn)
    fields[TOKEN_FIELD] = client.get_random_password(
        PasswordLength=TOKEN_LENGTH, ExcludePunctuation=True
    )["RandomPassword"]
    client.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps(fields),
        VersionStages=["AWSPENDING"],
    )
    logger.info("createSecret: new token put as version %s", token)


def test(client, arn, token):
    value = client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    fields = json.loads(value["SecretString"])
    if not isinstance(fields, dict) or not fields.get(TOKEN_FIELD):
        raise ValueError(f"the pending version has no {TOKEN_FIELD}")
    if len(fields[TOKEN_FIELD]) < 32:
        raise ValueError("the pending token is shorter than 32 characters")


def finish(client, arn, token, stages):
    current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
    move = {"SecretId": arn, "VersionStage": "AWSCURRENT", "MoveToVersionId": token}
    if current is not None:
        move["RemoveFromVersionId"] = current
    client.update_secret_version_stage(**move)
    logger.info("finishSecret: version %s is current (was %s)", token, current)
