# Presigned contact uploads import themselves: the uploads bucket notifies
# the import queue of every object created under uploads/, and the SAM
# stack's contact-importer function consumes the queue. The queue is here,
# beside the bucket, because the bucket's notification needs it (and its
# policy letting S3 send) when it is created; SAM takes its ARN as the
# parameter ContactImportQueueArn (output contact_import_queue_arn).

resource "aws_sqs_queue" "contact_imports_dlq" {
  name                              = "${var.name_prefix}contact-imports-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "contact_imports" {
  name                              = "${var.name_prefix}contact-imports"
  visibility_timeout_seconds        = 5400 # 6 x the function's timeout (900 s)
  message_retention_seconds         = 345600
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.contact_imports_dlq.arn
    maxReceiveCount     = 3
  })
}

data "aws_iam_policy_document" "contact_imports" {
  statement {
    sid       = "FromTheUploadsBucket"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.contact_imports.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.bucket["uploads"].arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "contact_imports" {
  queue_url = aws_sqs_queue.contact_imports.id
  policy    = data.aws_iam_policy_document.contact_imports.json
}

# S3 sends an s3:TestEvent when this is set up; the function drops it.
resource "aws_s3_bucket_notification" "uploads" {
  bucket = module.bucket["uploads"].name

  queue {
    id            = "contact-uploads"
    queue_arn     = aws_sqs_queue.contact_imports.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "uploads/"
  }

  depends_on = [aws_sqs_queue_policy.contact_imports]
}
