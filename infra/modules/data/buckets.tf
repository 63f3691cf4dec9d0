# The buckets: versioned, encrypted with the stage's key, never public, TLS
# only, access-logged, with the lifecycle rules of the design (003: audio to
# Glacier after 90 days, reports after a year, uploads deleted after 30 days).
# Glacier Instant Retrieval, not Flexible: an old recording or report is
# still played or downloaded at once, only stored cheaper.

locals {
  buckets = {
    audio = {
      transition_days = 90
      expire_days     = null
      replicate       = true
      browser_uploads = true
    }
    reports = {
      transition_days = 365
      expire_days     = null
      replicate       = true
      browser_uploads = false
    }
    uploads = {
      transition_days = null
      expire_days     = 30
      replicate       = false # the contacts are in DynamoDB once imported
      browser_uploads = true
    }
    tts-cache = {
      transition_days = null
      expire_days     = 90 # synthesized again on a miss
      replicate       = false
    }
    artifacts = {
      transition_days = null
      expire_days     = null
      replicate       = false # rebuilt from the repository
      browser_uploads = false
    }
  }
  replicated = { for name, b in local.buckets : name => b if b.replicate && var.replica_region != null }
}

module "bucket" {
  source   = "../bucket"
  for_each = local.buckets

  name                    = "${var.name_prefix}${each.key}-${local.account_id}"
  kms_key_arn             = aws_kms_key.this.arn
  access_log_bucket       = aws_s3_bucket.access_logs.id
  transition_days         = each.value.transition_days
  expire_days             = each.value.expire_days
  noncurrent_version_days = var.noncurrent_version_days
  cors_origins            = each.value.browser_uploads ? var.dashboard_origins : []
}

# ------------------------------------------------------------ access logs
# S3 delivers server access logs only into a bucket encrypted with S3-managed
# keys (SSE-S3), so this one bucket does not use the stage's key.

resource "aws_s3_bucket" "access_logs" {
  bucket        = "${var.name_prefix}access-logs-${local.account_id}"
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  policy     = data.aws_iam_policy_document.access_logs.json
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
