# The secrets. Terraform creates them empty: values never pass through this
# repository or the Terraform state. An operator puts the provider-issued one
# (SMS provider) with `aws secretsmanager put-secret-value` (README, "Rotate a
# secret"); the call-manager token is generated here by the rotation function
# on its first rotation and every 90 days after; the ARI credentials are
# generated on the telephony host by infra/asterisk/install.sh on its first
# run. (The SIP trunk needs no secret: the carrier authenticates the host by
# its Elastic IP, and the trunk's host and addresses are Terraform settings.)

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_secretsmanager_secret" "asterisk_ari" {
  name        = "${var.name_prefix}asterisk-ari"
  description = "Asterisk REST Interface user of the telephony host: {username, password}. Generated on the host by install.sh on its first run; read by install.sh (ari.conf) and the asterisk-bridge. ARI listens on 127.0.0.1 only."
  kms_key_id  = var.kms_key_arn
  # Rotated by putting a new value and re-running install.sh (README runbook).
  recovery_window_in_days = 30
}

# The fields the HTTP SMS adapter reads (shared/aws/src/http_sms.rs,
# HttpSmsCredentials); tests/offline/consistency.py keeps this list in step.
resource "aws_secretsmanager_secret" "sms_provider" {
  name                    = "${var.name_prefix}sms-provider"
  description             = "HTTP SMS provider (Twilio Messages API) credentials: {account_sid, auth_token, from | messaging_service_sid, base_url (optional, default https://api.twilio.com)}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret" "call_manager_token" {
  name                    = "${var.name_prefix}call-manager-token"
  description             = "Token of the call-manager v1 API (X-Auth-Token): {token}. Rotated every ${var.rotation_days} days; the previous value (AWSPREVIOUS) stays readable during the hand-over."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

# ------------------------------------------------------------ rotation

data "archive_file" "rotate_token" {
  type        = "zip"
  source_file = "${path.module}/rotation/rotate_token.py"
  output_path = "${path.module}/.build/rotate_token.zip"
}

data "aws_iam_policy_document" "rotation_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rotation" {
  name_prefix        = "${var.name_prefix}rotate-token-"
  assume_role_policy = data.aws_iam_policy_document.rotation_assume.json
}

data "aws_iam_policy_document" "rotation" {
  statement {
    sid = "RotateTheTokenOnly"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [aws_secretsmanager_secret.call_manager_token.arn]
  }
  statement {
    sid       = "RandomValues"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"] # an account-level API without a resource
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.rotation.arn}:*"]
  }
  statement {
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # an account-level API without a resource
  }
}

resource "aws_iam_role_policy" "rotation" {
  role   = aws_iam_role.rotation.id
  policy = data.aws_iam_policy_document.rotation.json
}

resource "aws_cloudwatch_log_group" "rotation" {
  name              = "/aws/lambda/${var.name_prefix}rotate-token"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "rotate_token" {
  function_name                  = "${var.name_prefix}rotate-token"
  description                    = "Rotates the call-manager v1 API token (Secrets Manager rotation protocol)"
  role                           = aws_iam_role.rotation.arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "rotate_token.handler"
  filename                       = data.archive_file.rotate_token.output_path
  source_code_hash               = data.archive_file.rotate_token.output_base64sha256
  timeout                        = 30
  memory_size                    = 128
  reserved_concurrent_executions = 1
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      TOKEN_FIELD  = "token"
      TOKEN_LENGTH = "48"
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.rotation, aws_iam_role_policy.rotation]
}

resource "aws_lambda_permission" "secrets_manager" {
  statement_id   = "SecretsManagerRotates"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotate_token.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
  source_arn     = aws_secretsmanager_secret.call_manager_token.arn
}

resource "aws_secretsmanager_secret_rotation" "call_manager_token" {
  secret_id           = aws_secretsmanager_secret.call_manager_token.id
  rotation_lambda_arn = aws_lambda_function.rotate_token.arn
  rotate_immediately  = true

  rotation_rules {
    automatically_after_days = var.rotation_days
  }

  depends_on = [aws_lambda_permission.secrets_manager]
}
