output "kms_key_arn" {
  value = aws_kms_key.this.arn
}

output "table_arns" {
  description = "Table name suffix => ARN"
  value       = { for name, t in aws_dynamodb_table.this : name => t.arn }
}

output "bucket_names" {
  description = "audio, reports, uploads, tts-cache, artifacts => bucket name"
  value       = { for name, b in module.bucket : name => b.name }
}

output "bucket_arns" {
  value = { for name, b in module.bucket : name => b.arn }
}

output "access_log_bucket" {
  description = "The bucket receiving the other buckets' server access logs"
  value       = aws_s3_bucket.access_logs.id
}

output "contact_import_queue_arn" {
  description = "The queue the uploads bucket notifies of new contact files (contact-importer consumes it)"
  value       = aws_sqs_queue.contact_imports.arn
}
