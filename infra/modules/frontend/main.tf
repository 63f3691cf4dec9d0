# The operator console (web/, a single-page app) on S3 behind CloudFront:
# a private bucket that only this distribution reads (Origin Access
# Control), HTTPS only, the app's routes answered with index.html (403/404
# from S3 become /index.html with 200), and security headers on every
# response. scripts/deploy-console uploads a build and invalidates the cache.

data "aws_caller_identity" "current" {}

locals {
  bucket_name = "${var.name_prefix}console-${data.aws_caller_identity.current.account_id}"
  custom_name = var.domain_name != null
}

# ------------------------------------------------------------ the bucket
# Made like infra/modules/bucket's buckets (versioned, public access
# blocked, owner-enforced, TLS only; its access logging is set where the
# stage's log bucket is known, in modules/stack), except the encryption:
# SSE-S3 rather than the stage's KMS key, so CloudFront reads it without a
# grant on the key (the files are the public app itself; see
# tests/offline/checkov-skips.yaml, CKV_AWS_145).

resource "aws_s3_bucket" "console" {
  bucket        = local.bucket_name
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "console" {
  bucket = aws_s3_bucket.console.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "console" {
  bucket                  = aws_s3_bucket.console.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "console" {
  bucket = aws_s3_bucket.console.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "console" {
  bucket = aws_s3_bucket.console.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "console" {
  bucket = aws_s3_bucket.console.id

  rule {
    id     = "old-versions-and-uploads"
    status = "Enabled"
    filter {}

    # A deploy replaces index.html and removes stale assets (aws s3 sync
    # --delete); older versions stay long enough to roll back by hand.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.console]
}

data "aws_iam_policy_document" "console" {
  statement {
    sid       = "CloudFrontReadsTheApp"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.console.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.console.arn]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.console.arn, "${aws_s3_bucket.console.arn}/*"]
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

resource "aws_s3_bucket_policy" "console" {
  bucket     = aws_s3_bucket.console.id
  policy     = data.aws_iam_policy_document.console.json
  depends_on = [aws_s3_bucket_public_access_block.console]
}

# ------------------------------------------------------------ CloudFront

resource "aws_cloudfront_origin_access_control" "console" {
  name                              = "${var.name_prefix}console"
  description                       = "CloudFront signs its reads of the console bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.name_prefix}console-security"
  comment = "Security headers of the operator console"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      # Asks browsers' preload lists to take the name (without effect for a
      # *.cloudfront.net name, which only AWS could submit).
      preload  = true
      override = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
    # The app loads only its own files; it calls the API and Cognito, plays
    # audio from presigned S3 links, and may not be framed.
    content_security_policy {
      content_security_policy = join("; ", [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "media-src 'self' https://*.amazonaws.com",
        "connect-src 'self' ${var.api_origin} ${var.cognito_origin}",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self' ${var.cognito_origin}",
        "object-src 'none'",
      ])
      override = true
    }
  }
}

# AWS's managed "CachingOptimized" policy: long TTLs, gzip and brotli.
data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "console" {
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "${var.name_prefix}operator console"
  default_root_object = "index.html"
  price_class         = var.price_class
  aliases             = local.custom_name ? [var.domain_name] : []
  web_acl_id          = var.web_acl_arn
  http_version        = "http2and3"

  origin {
    origin_id                = "console-bucket"
    domain_name              = aws_s3_bucket.console.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.console.id
  }

  default_cache_behavior {
    target_origin_id           = "console-bucket"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # The app routes in the browser: a deep link (/campaigns/cmp-1) is no
  # object, which S3 answers 403 (no ListBucket) or 404; both get the app.
  custom_error_response {
    error_code            = 403
    response_code         = 200
    response_page_path    = "/index.html"
    error_caching_min_ttl = 10
  }

  custom_error_response {
    error_code            = 404
    response_code         = 200
    response_page_path    = "/index.html"
    error_caching_min_ttl = 10
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = !local.custom_name
    acm_certificate_arn            = local.custom_name ? var.certificate_arn : null
    ssl_support_method             = local.custom_name ? "sni-only" : null
    minimum_protocol_version       = local.custom_name ? "TLSv1.2_2021" : "TLSv1"
  }
}
