# Sign-in for the dashboard: a Cognito user pool (email as the user name,
# self sign-up off: an administrator invites users), the three roles as groups
# (the API authorises by the `cognito:groups` claim), a public app client for
# the single-page dashboard and the operator console (authorization code with
# PKCE, no client secret; the console returns to <console>/callback), and MFA:
# optional for everyone, required for administrators - a pre-token-generation
# trigger refuses tokens to a member of `administrator` without a TOTP
# authenticator (see the README's "first administrator" step).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

resource "aws_cognito_user_pool" "this" {
  name                     = "${var.name_prefix}users"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  user_pool_add_ons {
    advanced_security_mode = var.advanced_security_mode
  }

  lambda_config {
    pre_token_generation = aws_lambda_function.require_admin_mfa.arn
  }
}

resource "aws_cognito_user_group" "roles" {
  for_each = {
    administrator      = { precedence = 1, description = "Everything, including users and the do-not-call list; MFA required" }
    "campaign-manager" = { precedence = 2, description = "Campaigns, contacts, audio and their reports" }
    analyst            = { precedence = 3, description = "Read-only: campaigns, live metrics and reports" }
  }

  user_pool_id = aws_cognito_user_pool.this.id
  name         = each.key
  description  = each.value.description
  precedence   = each.value.precedence
}

resource "aws_cognito_user_pool_client" "dashboard" {
  name         = "${var.name_prefix}dashboard"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = false # a browser cannot keep one; PKCE instead
  explicit_auth_flows                  = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls = concat(
    [for origin in var.dashboard_origins : "${origin}/auth/callback"],
    [for url in var.console_urls : "${url}/callback"],
  )
  logout_urls                   = distinct(concat([for origin in var.dashboard_origins : "${origin}/"], [for url in var.console_urls : "${url}/"]))
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  # 003_*: one-hour access tokens, 30-day refresh tokens.
  access_token_validity  = 60
  id_token_validity      = 60
  refresh_token_validity = 30
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_pool_domain" "this" {
  domain       = "${trimsuffix(var.name_prefix, "-")}-${data.aws_caller_identity.current.account_id}"
  user_pool_id = aws_cognito_user_pool.this.id
}

# ------------------------------------------------------------ the MFA trigger

data "archive_file" "require_admin_mfa" {
  type        = "zip"
  source_file = "${path.module}/triggers/require_admin_mfa.py"
  output_path = "${path.module}/.build/require_admin_mfa.zip"
}

data "aws_iam_policy_document" "trigger_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trigger" {
  name_prefix        = "${var.name_prefix}admin-mfa-"
  assume_role_policy = data.aws_iam_policy_document.trigger_assume.json
}

resource "aws_cloudwatch_log_group" "trigger" {
  name              = "/aws/lambda/${var.name_prefix}require-admin-mfa"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "trigger" {
  statement {
    sid     = "ReadTheUsersMfa"
    actions = ["cognito-idp:AdminGetUser"]
    # The pool's ARN is not known before the pool, which needs this function
    # first; every pool of the account and region is the closest bound.
    resources = ["arn:aws:cognito-idp:*:${data.aws_caller_identity.current.account_id}:userpool/*"]
  }
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trigger.arn}:*"]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # an account-level API without a resource
  }
}

resource "aws_iam_role_policy" "trigger" {
  role   = aws_iam_role.trigger.id
  policy = data.aws_iam_policy_document.trigger.json
}

resource "aws_lambda_function" "require_admin_mfa" {
  function_name                  = "${var.name_prefix}require-admin-mfa"
  description                    = "Cognito pre-token-generation: no tokens for an administrator without TOTP MFA"
  role                           = aws_iam_role.trigger.arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "require_admin_mfa.handler"
  filename                       = data.archive_file.require_admin_mfa.output_path
  source_code_hash               = data.archive_file.require_admin_mfa.output_base64sha256
  timeout                        = 5
  memory_size                    = 128
  reserved_concurrent_executions = 10
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      MFA_GROUPS = "administrator"
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.trigger, aws_iam_role_policy.trigger]
}

resource "aws_lambda_permission" "cognito" {
  statement_id   = "CognitoPreTokenGeneration"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.require_admin_mfa.function_name
  principal      = "cognito-idp.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
  source_arn     = aws_cognito_user_pool.this.arn
}
